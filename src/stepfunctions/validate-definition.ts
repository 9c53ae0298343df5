import { createRequire } from "node:module";
import type { AslBranch } from "./asl.js";

/**
 * asl-validator over an exported definition (JSON Schema of the States Language, transitions,
 * unique names, terminal states, JSONPath syntax, ARN shapes). The export writes only what it
 * knows to be valid, so a finding here is a bug in runbook, reported as one with the states it
 * names, never a runbook author's problem.
 */

interface AslValidatorResult {
  isValid: boolean;
  errors: { "Error code": string; Message: string; schemaError?: { instancePath: string } }[];
}
type AslValidator = (
  definition: unknown,
  options: { checkPaths: boolean; checkArn: boolean },
) => AslValidatorResult;

// A CommonJS module without types: loaded and typed here, where it is used.
const aslValidator = createRequire(import.meta.url)("asl-validator") as AslValidator;

export function validateDefinition(definition: AslBranch): void {
  // It writes QueryLanguage into every state of what it is given.
  const result = aslValidator(structuredClone(definition), { checkPaths: true, checkArn: true });
  if (result.isValid) return;
  const findings = result.errors.map(
    (e) => `${e["Error code"]}: ${e.Message}${e.schemaError ? ` at ${e.schemaError.instancePath}` : ""}`,
  );
  throw new Error(
    `internal: the exported state machine does not validate (asl-validator):\n  ${findings.join("\n  ")}`,
  );
}
