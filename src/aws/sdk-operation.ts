import { classifyError, ExecutorError } from "../executor.js";
import { closest } from "../language/issues.js";
import { SdkModuleMissingError, sdkModuleSync } from "./sdk-modules.js";
import {
  checkValue,
  type OperationShapes,
  operationShapes,
  type Shape,
  type ShapePath,
} from "./sdk-shapes.js";

/**
 * One SDK operation named in a runbook (`service` + `command`): resolved against the installed
 * client package, its input checked and shaped against the operation's schema, its errors
 * turned into the executor contract's classes with AWS's own words kept.
 */

export type Report = (path: ShapePath, message: string, opts?: { key?: boolean }) => void;

/** Operations `runbook check` may call: reads. `aws.assert`, `inPlaceWhen` and `waitFor` must be one. */
const READ_ONLY = /^(Describe|Get|List|Head|Query|Scan|BatchGet|Lookup|Search)[A-Z0-9]/;

export function isReadOnlyOperation(operation: string): boolean {
  return READ_ONLY.test(operation);
}

/**
 * The operation's shapes, or undefined after reporting why not (missing client package,
 * unknown command). `at` is where `service` and `command` are written.
 */
export function resolveOperation(
  service: string,
  command: string,
  runbookDir: string | undefined,
  report: Report,
  at: { service: ShapePath; command: ShapePath },
): OperationShapes | undefined {
  let mod: ReturnType<typeof sdkModuleSync>;
  try {
    mod = sdkModuleSync(service, runbookDir);
  } catch (err) {
    if (!(err instanceof SdkModuleMissingError)) throw err;
    report(at.service, err.message);
    return undefined;
  }
  const shapes = operationShapes(mod, command);
  if (!shapes) {
    const bare = command.replace(/Command$/, "");
    const hint = bare !== command && mod.operations.includes(bare) ? bare : closest(command, mod.operations);
    report(
      at.command,
      `${mod.packageName} has no operation "${command}"${hint ? ` (did you mean "${hint}"?)` : ""}`,
    );
    return undefined;
  }
  return shapes;
}

/** Checks a written input against the operation's input shape (templated values pass). */
export function checkInput(input: unknown, shapes: OperationShapes, report: Report, at: ShapePath): void {
  for (const p of checkValue(input ?? {}, shapes.input))
    report([...at, ...p.path], p.message, p.key ? { key: true } : undefined);
}

/**
 * The rendered input in the types the SDK's serializers expect: an expression renders to a
 * string, so `"6"` becomes 6 for a number, `"true"` true for a boolean, an ISO string a Date
 * for a timestamp. Anything still wrong is a fatal error naming the member.
 */
export function shapeInput(input: unknown, shapes: OperationShapes, what: string): Record<string, unknown> {
  const coerced = coerce(input ?? {}, shapes.input) as Record<string, unknown>;
  const problems = checkValue(coerced, shapes.input);
  if (problems.length) {
    const list = problems.map((p) => `${p.path.join(".") || "input"}: ${p.message}`).join("; ");
    throw new ExecutorError(`${what}: ${list}`, "fatal");
  }
  return coerced;
}

function coerce(v: unknown, s: Shape): unknown {
  if (v === null || v === undefined) return v;
  if ((s.isStructSchema() || s.isUnionSchema()) && typeof v === "object" && !Array.isArray(v)) {
    const names = new Set([...s.structIterator()].map(([n]) => n));
    return Object.fromEntries(
      Object.entries(v as Record<string, unknown>).map(([k, x]) => [
        k,
        names.has(k) ? coerce(x, s.getMemberSchema(k)) : x,
      ]),
    );
  }
  if (s.isListSchema() && Array.isArray(v)) return v.map((x) => coerce(x, s.getValueSchema()));
  if (s.isMapSchema() && typeof v === "object" && !Array.isArray(v))
    return Object.fromEntries(
      Object.entries(v as object).map(([k, x]) => [k, coerce(x, s.getValueSchema())]),
    );
  if (typeof v !== "string") {
    if (s.isTimestampSchema() && typeof v === "number") return new Date(v * 1000);
    return v;
  }
  if (s.isNumericSchema() && v.trim() !== "" && Number.isFinite(Number(v))) return Number(v);
  if (s.isBooleanSchema() && (v === "true" || v === "false")) return v === "true";
  if (s.isTimestampSchema() && !Number.isNaN(Date.parse(v))) return new Date(v);
  if (s.isBlobSchema()) return new TextEncoder().encode(v);
  return v;
}

/** An SDK error as the executor contract's error: class from the SDK error, AWS's code and request id kept. */
export function operationError(err: unknown, service: string, command: string, region: string): unknown {
  if (err instanceof ExecutorError) return err;
  const e = err as { name?: string; message?: string; $metadata?: { requestId?: string } };
  if (e?.name === "AbortError") return err;
  const { class: errorClass } = classifyError(err);
  const code = e?.name && e.name !== "Error" ? `${e.name}: ` : "";
  const request = e?.$metadata?.requestId ? ` (request ${e.$metadata.requestId})` : "";
  // A conflict AWS names (a resource in use, a concurrent change) says so, so the operator sees why.
  const named = /ResourceInUse|ConcurrentModification|Conflict|OperationAborted|^Invalid\w*State/.test(
    e?.name ?? "",
  )
    ? "conflict"
    : errorClass;
  return new ExecutorError(
    `${service} ${command} in ${region} failed: ${code}${e?.message ?? String(err)}${request}`,
    named,
    { cause: err },
  );
}
