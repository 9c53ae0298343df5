import { readFileSync } from "node:fs";
import { type Diagnostic, UsageError, ValidationError } from "../errors.js";
import type { Runbook } from "./runbook.js";
import { SourceMap } from "./source-map.js";

/** `--input k=v` pairs → a map; a pair without `=` is a usage error. */
export function parseInputPairs(pairs: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new UsageError(`--input expects name=value, got "${pair}"`);
    out[pair.slice(0, eq)] = pair.slice(eq + 1);
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
    throw new UsageError(
      `unknown input${unknown.length > 1 ? "s" : ""} ${unknown.map((u) => `"${u}"`).join(", ")} for runbook ${runbook.name}`,
      declared.length ? `Declared inputs: ${declared.join(", ")}` : "This runbook declares no inputs.",
    );
  }
  let map: SourceMap | undefined;
  const at = (path: (string | number)[], message: string): Diagnostic => {
    map ??= new SourceMap(runbook.file, readFileSync(runbook.file, "utf8"));
    return map.diagnostic(path, message, { key: true });
  };
  const problems: Diagnostic[] = [];
  const out: Record<string, string> = {};
  for (const [name, spec] of Object.entries(runbook.inputs)) {
    const value = given[name] ?? spec.default;
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
