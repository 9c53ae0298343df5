import { type Diagnostic, UsageError, ValidationError } from "../errors.js";
import { closest } from "./issues.js";
import type { Runbook } from "./runbook.js";
import { SourceMap } from "./source-map.js";
import { readSourceText } from "./source-text.js";

/** `--input k=v` pairs → a map; a pair without `=` is a usage error. */
export function parseInputPairs(pairs: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new UsageError(`--input expects name=value, got "${pair}"`);
    // Defined, not assigned: `__proto__=x` is then an input name like any other (and unknown).
    Object.defineProperty(out, pair.slice(0, eq), {
      value: pair.slice(eq + 1),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}

/**
 * Given inputs + defaults → the inputs a run uses. Unknown names, missing required inputs
 * and values outside an enum are reported together, pointing at the input's declaration.
 */
export function resolveInputs(runbook: Runbook, given: Record<string, string>): Record<string, string> {
  const unknown = Object.keys(given).filter((k) => !Object.hasOwn(runbook.inputs, k));
  if (unknown.length > 0) {
    const declared = Object.keys(runbook.inputs);
    const named = unknown.map((u) => {
      const near = closest(u, declared);
      return `"${u}"${near ? ` (did you mean "${near}"?)` : ""}`;
    });
    throw new UsageError(
      `unknown input${unknown.length > 1 ? "s" : ""} ${named.join(", ")} for runbook ${runbook.name}`,
      declared.length ? `Declared inputs: ${declared.join(", ")}` : "This runbook declares no inputs.",
    );
  }
  let map: SourceMap | undefined;
  const at = (path: (string | number)[], message: string): Diagnostic => {
    map ??= new SourceMap(runbook.file, readSourceText(runbook.file));
    return map.diagnostic(path, message, { key: true });
  };
  const problems: Diagnostic[] = [];
  const out: Record<string, string> = {};
  for (const [name, spec] of Object.entries(runbook.inputs)) {
    // Own names only: an input called `toString` must not find Object.prototype.toString.
    const value = Object.hasOwn(given, name) ? given[name] : spec.default;
    if (value === undefined) {
      if (spec.required) {
        problems.push(
          at(
            ["inputs", name],
            `missing required input "${name}": pass --input ${name}=<value>${spec.description ? ` (${spec.description})` : ""}`,
          ),
        );
      }
      continue;
    }
    if (spec.enum && !spec.enum.includes(value)) {
      problems.push(
        at(["inputs", name], `input "${name}" is "${value}", expected one of ${spec.enum.join(", ")}`),
      );
    }
    out[name] = value;
  }
  if (problems.length > 0) throw new ValidationError(problems);
  return out;
}
