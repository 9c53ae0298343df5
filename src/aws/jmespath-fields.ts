import jmespath from "jmespath";
import { closest } from "../language/issues.js";
import { kindOf, memberNames, type Shape } from "./sdk-shapes.js";

/**
 * JMESPath over SDK responses: evaluated by the `jmespath` library (the one the AWS CLI's
 * `--query` follows), and checked before any run against the operation's output shape, so
 * `Services[0].runningCount` (ECS's members are camelCase) fails review, not a 3 a.m. wait.
 * Only fields the shape can vouch for are checked: inside documents, maps and function
 * results anything goes.
 */

export function searchResponse(data: unknown, expression: string): unknown {
  return jmespath.search(plain(data), expression);
}

/** JMESPath's own truthiness: false, null, "", [] and {} are false. */
export function isTruthy(v: unknown): boolean {
  if (v === null || v === undefined || v === false || v === "") return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === "object") return Object.keys(v as object).length > 0;
  return true;
}

/** Dates stay comparable as ISO strings; SDK output objects may hold them. */
function plain(v: unknown): unknown {
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) return v.map(plain);
  if (v && typeof v === "object") {
    if (v instanceof Uint8Array) return Buffer.from(v).toString("base64");
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  }
  return v;
}

/** A syntax error, or fields the output shape does not have. Empty when the expression is fine. */
export function checkExpression(expression: string, output: Shape): string[] {
  let ast: Node;
  try {
    // `compile` (the parser) is exported by the library but missing from its typings.
    ast = (jmespath as unknown as { compile(e: string): Node }).compile(expression);
  } catch (err) {
    return [`not a JMESPath expression: ${(err as Error).message}`];
  }
  const problems: string[] = [];
  typeOf(ast, { shape: output }, problems);
  return problems;
}

interface Node {
  type: string;
  name?: string;
  value?: unknown;
  children?: (Node | null)[];
}

/** What an expression yields, as far as the shapes tell: a shape, a list of something, or unknown. */
type Typed = { shape: Shape } | { listOf: Typed | undefined } | undefined;

function typeOf(node: Node | null | undefined, cur: Typed, problems: string[]): Typed {
  if (!node) return undefined;
  const [a, b, c] = node.children ?? [];
  switch (node.type) {
    case "Field":
      return field(node.name ?? "", cur, problems);
    case "Subexpression":
    case "Pipe":
      return typeOf(b, typeOf(a, cur, problems), problems);
    case "IndexExpression":
      return typeOf(b, typeOf(a, cur, problems), problems);
    case "Index":
      return elementOf(cur);
    case "Slice":
      return cur;
    case "Identity":
    case "Current":
      return cur;
    case "Projection":
    case "ValueProjection": {
      const left = typeOf(a, cur, problems);
      const element = node.type === "Projection" ? elementOf(left) : valuesOf(left);
      return { listOf: typeOf(b, element, problems) };
    }
    case "FilterProjection": {
      const element = elementOf(typeOf(a, cur, problems));
      typeOf(c, element, problems);
      return { listOf: typeOf(b, element, problems) };
    }
    case "Flatten": {
      const inner = typeOf(a, cur, problems);
      const element = elementOf(inner);
      return { listOf: elementOf(element) ?? element };
    }
    case "KeyValuePair":
      return typeOf(node.value as Node, cur, problems);
    default:
      // Comparators, and/or/not, functions, multi-selects: check what they read, type unknown.
      for (const child of node.children ?? []) typeOf(child, cur, problems);
      return undefined;
  }
}

function field(name: string, cur: Typed, problems: string[]): Typed {
  if (!cur || !("shape" in cur)) return undefined;
  const s = cur.shape;
  if (s.isMapSchema()) return { shape: s.getValueSchema() };
  if (!s.isStructSchema() && !s.isUnionSchema()) {
    if (!s.isDocumentSchema())
      problems.push(`"${name}": ${s.getName() || "this value"} is ${kindOf(s)}, which has no fields`);
    return undefined;
  }
  const names = memberNames(s);
  if (names.includes(name)) return { shape: s.getMemberSchema(name) };
  const hint = closest(name, names);
  problems.push(
    `"${name}" is not a field of ${s.getName()}${hint ? ` (did you mean "${hint}"?)` : `; its fields: ${names.slice(0, 12).join(", ")}${names.length > 12 ? ", …" : ""}`}`,
  );
  return undefined;
}

function elementOf(t: Typed): Typed {
  if (!t) return undefined;
  if ("listOf" in t) return t.listOf;
  return t.shape.isListSchema() ? { shape: t.shape.getValueSchema() } : undefined;
}

function valuesOf(t: Typed): Typed {
  if (t && "shape" in t && t.shape.isMapSchema()) return { shape: t.shape.getValueSchema() };
  return undefined;
}
