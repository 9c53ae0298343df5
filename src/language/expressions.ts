/**
 * `${{ … }}` expressions: references (`inputs.x`, `steps.id.outputs.k`, `env.X`), string,
 * number and boolean literals, `== != < <= > >= && || !` and parentheses. A small
 * hand-written evaluator on purpose: no `eval`, no function calls, no prototype access, so a
 * runbook can never run code it does not show.
 */

export type Expr =
  | { kind: "literal"; value: string | number | boolean | null }
  | { kind: "ref"; path: string[] }
  | { kind: "not"; operand: Expr }
  | { kind: "binary"; op: BinaryOp; left: Expr; right: Expr };

type BinaryOp = "==" | "!=" | "<" | "<=" | ">" | ">=" | "&&" | "||";

export class ExpressionError extends Error {}

const TOKEN =
  /\s*(?:(?<num>-?\d+(?:\.\d+)?)|(?<str>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")|(?<op>==|!=|<=|>=|&&|\|\||[<>!()])|(?<ident>[A-Za-z_][A-Za-z0-9_-]*(?:\.[A-Za-z_][A-Za-z0-9_-]*)*))/y;
const FORBIDDEN_SEGMENTS = new Set(["__proto__", "prototype", "constructor"]);
/** `sandbox` is only for environment files (values of a running sandbox); the validator says so. */
const ROOTS = new Set(["inputs", "steps", "env", "vars", "run", "sandbox"]);

type Token = { type: "num" | "str" | "op" | "ident"; text: string };

function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < src.length) {
    if (/^\s*$/.test(src.slice(TOKEN.lastIndex))) break;
    const at = TOKEN.lastIndex;
    const m = TOKEN.exec(src);
    if (!m?.groups)
      throw new ExpressionError(`unexpected character at ${at + 1}: ${src.slice(at).trim()[0]}`);
    const g = m.groups;
    if (g.num !== undefined) tokens.push({ type: "num", text: g.num });
    else if (g.str !== undefined) tokens.push({ type: "str", text: g.str });
    else if (g.op !== undefined) tokens.push({ type: "op", text: g.op });
    else if (g.ident !== undefined) tokens.push({ type: "ident", text: g.ident });
  }
  return tokens;
}

const PRECEDENCE: Record<string, number> = {
  "||": 1,
  "&&": 2,
  "==": 3,
  "!=": 3,
  "<": 4,
  "<=": 4,
  ">": 4,
  ">=": 4,
};

export function parseExpression(src: string): Expr {
  const tokens = tokenize(src);
  let i = 0;
  const peek = () => tokens[i];
  const primary = (): Expr => {
    const t = tokens[i++];
    if (!t) throw new ExpressionError("expression ends too early");
    if (t.type === "num") return { kind: "literal", value: Number(t.text) };
    if (t.type === "str") return { kind: "literal", value: unescapeLiteral(t.text.slice(1, -1)) };
    if (t.type === "op" && t.text === "!") return { kind: "not", operand: primary() };
    if (t.type === "op" && t.text === "(") {
      const inner = binary(0);
      if (tokens[i++]?.text !== ")") throw new ExpressionError("missing )");
      return inner;
    }
    if (t.type === "ident") {
      if (t.text === "true" || t.text === "false") return { kind: "literal", value: t.text === "true" };
      if (t.text === "null") return { kind: "literal", value: null };
      const path = t.text.split(".");
      for (const seg of path) {
        if (FORBIDDEN_SEGMENTS.has(seg)) throw new ExpressionError(`"${seg}" is not allowed in a reference`);
      }
      if (!ROOTS.has(path[0]!)) {
        throw new ExpressionError(
          `unknown reference "${t.text}": use inputs.<name>, steps.<id>.outputs.<key>, vars.<name> or env.<NAME>`,
        );
      }
      return { kind: "ref", path };
    }
    throw new ExpressionError(`unexpected "${t.text}"`);
  };
  const binary = (minPrec: number): Expr => {
    let left = primary();
    for (;;) {
      const t = peek();
      const prec = t?.type === "op" ? PRECEDENCE[t.text] : undefined;
      if (prec === undefined || prec < minPrec) return left;
      i++;
      const right = binary(prec + 1);
      left = { kind: "binary", op: t!.text as BinaryOp, left, right };
    }
  };
  const expr = binary(0);
  if (i < tokens.length) throw new ExpressionError(`unexpected "${tokens[i]!.text}"`);
  return expr;
}

export function collectRefs(expr: Expr, out: string[][] = []): string[][] {
  if (expr.kind === "ref") out.push(expr.path);
  else if (expr.kind === "not") collectRefs(expr.operand, out);
  else if (expr.kind === "binary") {
    collectRefs(expr.left, out);
    collectRefs(expr.right, out);
  }
  return out;
}

export interface Scope {
  inputs: Record<string, unknown>;
  steps: Record<string, { outputs: Record<string, unknown> }>;
  env: Record<string, string | undefined>;
  /** The environment file's values (`--env`): what differs between AWS and the sandbox. */
  vars?: Record<string, unknown>;
  /** This execution so far: `run.executionId`, `run.rtoMs`, `run.rpoMs`, `run.runbook`. */
  run?: Record<string, unknown>;
  sandbox?: unknown;
}

function lookup(scope: Scope, path: string[]): unknown {
  let cur: unknown = scope;
  for (const seg of path) {
    if (cur === null || typeof cur !== "object" || !Object.hasOwn(cur, seg)) return undefined;
    cur = (cur as Record<string, unknown>)[seg];
  }
  return cur;
}

export function evaluate(expr: Expr, scope: Scope): unknown {
  switch (expr.kind) {
    case "literal":
      return expr.value;
    case "ref":
      return lookup(scope, expr.path);
    case "not":
      return !evaluate(expr.operand, scope);
    case "binary": {
      if (expr.op === "&&")
        return Boolean(evaluate(expr.left, scope)) && Boolean(evaluate(expr.right, scope));
      if (expr.op === "||")
        return Boolean(evaluate(expr.left, scope)) || Boolean(evaluate(expr.right, scope));
      const l = evaluate(expr.left, scope);
      const r = evaluate(expr.right, scope);
      // Inputs arrive as strings: compare numbers numerically when both sides look like numbers.
      const bothNumeric = l !== "" && r !== "" && !Number.isNaN(Number(l)) && !Number.isNaN(Number(r));
      const a = bothNumeric ? Number(l) : l;
      const b = bothNumeric ? Number(r) : r;
      switch (expr.op) {
        case "==":
          return a === b || (a != null && b != null && String(a) === String(b));
        case "!=":
          return !(a === b || (a != null && b != null && String(a) === String(b)));
        case "<":
          return (a as number) < (b as number);
        case "<=":
          return (a as number) <= (b as number);
        case ">":
          return (a as number) > (b as number);
        case ">=":
          return (a as number) >= (b as number);
      }
    }
  }
}

/** A template: literal text and `${{ expr }}` parts. */
export type TemplatePart = { text: string } | { expr: Expr; source: string };

const TEMPLATE = /\$\{\{([\s\S]*?)\}\}/g;

export function hasExpression(text: string): boolean {
  return text.includes("${{");
}

export function parseTemplate(text: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let last = 0;
  for (const m of text.matchAll(TEMPLATE)) {
    if (m.index > last) parts.push({ text: text.slice(last, m.index) });
    parts.push({ expr: parseExpression(m[1]!), source: m[1]!.trim() });
    last = m.index + m[0].length;
  }
  if (last < text.length) parts.push({ text: text.slice(last) });
  if (parts.some((p) => "text" in p && p.text.includes("${{"))) throw new ExpressionError("unclosed ${{");
  return parts;
}

/** A string that is exactly one expression keeps the value's type; otherwise parts are joined as text. */
export function renderTemplate(text: string, scope: Scope): unknown {
  const parts = parseTemplate(text);
  if (parts.length === 1 && "expr" in parts[0]!) return evaluate(parts[0].expr, scope);
  return parts.map((p) => ("text" in p ? p.text : stringify(evaluate(p.expr, scope)))).join("");
}

function stringify(v: unknown): string {
  if (v === undefined || v === null) return "";
  return typeof v === "object" ? JSON.stringify(v) : String(v);
}

/** Apply `renderTemplate` to every string inside a params value. */
export function renderDeep(value: unknown, scope: Scope): unknown {
  if (typeof value === "string") return hasExpression(value) ? renderTemplate(value, scope) : value;
  if (Array.isArray(value)) return value.map((v) => renderDeep(v, scope));
  if (value && typeof value === "object") {
    // Keys may be expressions too (`weights: { "${{ vars.primaryRegion }}": 10 }`): a region, a set id.
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [
        hasExpression(k) ? String(renderTemplate(k, scope)) : k,
        renderDeep(v, scope),
      ]),
    );
  }
  return value;
}

/** Every template string inside a params value (map keys included: `key`), with its path, for validation. */
export function findTemplates(
  value: unknown,
  path: (string | number)[] = [],
): { path: (string | number)[]; text: string; key?: true }[] {
  if (typeof value === "string") return hasExpression(value) ? [{ path, text: value }] : [];
  if (Array.isArray(value)) return value.flatMap((v, i) => findTemplates(v, [...path, i]));
  if (value && typeof value === "object")
    return Object.entries(value).flatMap(([k, v]) => [
      ...(hasExpression(k) ? [{ path: [...path, k], text: k, key: true as const }] : []),
      ...findTemplates(v, [...path, k]),
    ]);
  return [];
}

const ESCAPES: Record<string, string> = { n: "\n", t: "\t", r: "\r" };

/** `\'`, `\"`, `\\`, `\n`, `\t`, `\r` inside a string literal; any other `\x` is just `x`. */
function unescapeLiteral(body: string): string {
  return body.replace(/\\(.)/g, (_, c: string) => ESCAPES[c] ?? c);
}
