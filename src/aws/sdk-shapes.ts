import { NormalizedSchema } from "@smithy/core/schema";
import { closest } from "../language/issues.js";
import type { SdkModule } from "./sdk-modules.js";

/**
 * An operation's input and output shapes, read from the SDK client's own schemas (the
 * `<Operation>$` exports, walked with smithy's NormalizedSchema): the member names and types
 * AWS publishes, so a misspelled parameter in a runbook is found at review time.
 */

export type Shape = NormalizedSchema;
export type ShapePath = (string | number)[];

export interface ShapeProblem {
  /** Inside the value checked (`["desiredCount"]`, `["loadBalancers", 0, "port"]`). */
  path: ShapePath;
  message: string;
  /** The problem is the member's name (unknown), not its value. */
  key?: boolean;
}

export interface OperationShapes {
  input: Shape;
  output: Shape;
}

export function operationShapes(mod: SdkModule, operation: string): OperationShapes | undefined {
  const op = mod.operationSchema(operation);
  if (!Array.isArray(op)) return undefined;
  const ref = (x: unknown) => (typeof x === "function" ? (x as () => unknown)() : x);
  return {
    input: NormalizedSchema.of(ref(op[4]) as never),
    output: NormalizedSchema.of(ref(op[5]) as never),
  };
}

/** "a string", "a list", … for messages. */
export function kindOf(s: Shape): string {
  if (s.isStructSchema()) return "an object";
  if (s.isUnionSchema()) return "an object with one member";
  if (s.isListSchema()) return "a list";
  if (s.isMapSchema()) return "a map";
  if (s.isBooleanSchema()) return "a boolean";
  if (s.isNumericSchema() || s.isBigIntegerSchema() || s.isBigDecimalSchema()) return "a number";
  if (s.isTimestampSchema()) return "a timestamp";
  if (s.isBlobSchema()) return "binary data (a string)";
  if (s.isDocumentSchema()) return "any JSON value";
  return "a string";
}

export function memberNames(s: Shape): string[] {
  return s.isStructSchema() || s.isUnionSchema() ? [...s.structIterator()].map(([name]) => name) : [];
}

/** Members a structure must have: the SDK's static schemas list required members first and count them. */
function requiredMembers(s: Shape): string[] {
  const raw = s.getSchema() as unknown;
  if (!Array.isArray(raw) || typeof raw[6] !== "number") return [];
  return (raw[4] as string[]).slice(0, raw[6] as number);
}

/** A value written in YAML that is not known until the run (an expression): any type may come. */
const isTemplate = (v: unknown) => typeof v === "string" && v.includes("${{");

/** Problems of `value` against `shape`; templated values are accepted as they are. */
export function checkValue(value: unknown, shape: Shape, path: ShapePath = []): ShapeProblem[] {
  const out: ShapeProblem[] = [];
  walk(value, shape, path, out);
  return out;
}

function walk(value: unknown, shape: Shape, path: ShapePath, out: ShapeProblem[]): void {
  if (value === undefined || value === null || isTemplate(value)) return;
  const wrong = () => {
    out.push({ path, message: `expected ${kindOf(shape)}, got ${describe(value)}` });
  };
  if (shape.isDocumentSchema()) return;
  if (shape.isStructSchema() || shape.isUnionSchema()) {
    if (typeof value !== "object" || Array.isArray(value)) {
      wrong();
      return;
    }
    const names = memberNames(shape);
    const entries = Object.entries(value as Record<string, unknown>);
    for (const [key, v] of entries) {
      if (!names.includes(key)) {
        const hint = closest(key, names);
        out.push({
          path: [...path, key],
          key: true,
          message: `unknown member "${key}" of ${shape.getName()}${hint ? ` (did you mean "${hint}"?)` : ""}`,
        });
        continue;
      }
      walk(v, shape.getMemberSchema(key), [...path, key], out);
    }
    if (shape.isStructSchema()) {
      for (const r of requiredMembers(shape)) {
        if (!Object.hasOwn(value as object, r))
          out.push({ path, message: `missing required member "${r}" of ${shape.getName()}` });
      }
    } else if (entries.length > 1) {
      out.push({
        path,
        message: `${shape.getName()} takes exactly one of its members, got ${entries.length}`,
      });
    }
    return;
  }
  if (shape.isListSchema()) {
    if (!Array.isArray(value)) {
      wrong();
      return;
    }
    for (const [i, v] of value.entries()) walk(v, shape.getValueSchema(), [...path, i], out);
    return;
  }
  if (shape.isMapSchema()) {
    if (typeof value !== "object" || Array.isArray(value)) {
      wrong();
      return;
    }
    for (const [k, v] of Object.entries(value as Record<string, unknown>))
      walk(v, shape.getValueSchema(), [...path, k], out);
    return;
  }
  if (shape.isBooleanSchema()) {
    if (typeof value !== "boolean") wrong();
    return;
  }
  if (shape.isNumericSchema() || shape.isBigIntegerSchema() || shape.isBigDecimalSchema()) {
    if (typeof value !== "number") wrong();
    return;
  }
  if (shape.isTimestampSchema()) {
    const ok =
      value instanceof Date ||
      typeof value === "number" ||
      (typeof value === "string" && !Number.isNaN(Date.parse(value)));
    if (!ok)
      out.push({ path, message: `expected a timestamp (ISO 8601 or epoch seconds), got ${describe(value)}` });
    return;
  }
  if (typeof value !== "string" && !(shape.isBlobSchema() && value instanceof Uint8Array)) wrong();
}

function describe(v: unknown): string {
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "an object";
  if (typeof v === "string") return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  return `${typeof v === "number" ? "the number" : "the value"} ${String(v)}`;
}
