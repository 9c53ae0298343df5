import type { Path } from "../language/source-map.js";
import type { RawFinding } from "./finding.js";
import type { LintContext } from "./lint-context.js";

/** The rules about what is written in the file itself: hard-coded places, committed secrets. */

// Region ids as AWS forms them (partition prefix, direction, number): us-east-1, ap-southeast-4,
// us-gov-west-1, cn-north-1, eu-central-2, il-central-1, mx-central-1, ap-east-2.
const REGION =
  /\b(?:us-gov|us-iso[bef]?|eusc|us|eu|ap|sa|ca|me|af|il|mx|cn)-(?:north|south|east|west|central|northeast|northwest|southeast|southwest)-\d{1,2}\b/;
const ARN = /\barn:aws(?:-[a-z]+)*:[^\s"',;]*/;

/** Text for people, or identities: not where a deployment is hard-coded. */
const PROSE_KEYS = new Set(["name", "description", "prompt", "message", "approvers"]);

/** RB007: region ids and ARNs in steps, onAbort steps, abort probes and input defaults. */
export function hardCodedRegionOrArn({ map }: LintContext): RawFinding[] {
  const doc = map.value() as Record<string, unknown>;
  const out: RawFinding[] = [];
  const check = (text: string, path: Path, key: boolean) => {
    // Only the match is repeated: the rest of the value may be a connection string with a password.
    const arn = ARN.exec(text)?.[0];
    const region = REGION.exec(text)?.[0];
    const what = arn ? `ARN ${clip(arn)}` : region ? `region ${region}` : undefined;
    if (what) out.push({ ruleId: "RB007", path, key, message: `${what} is hard-coded here` });
  };
  const walk = (value: unknown, path: Path) => {
    if (typeof value === "string") check(value, path, false);
    else if (Array.isArray(value)) {
      for (const [i, v] of value.entries()) walk(v, [...path, i]);
    } else if (value && typeof value === "object") {
      for (const [k, v] of Object.entries(value)) {
        if (PROSE_KEYS.has(k)) continue;
        check(k, [...path, k], true);
        walk(v, [...path, k]);
      }
    }
  };
  for (const section of ["steps", "onAbort", "abort"]) walk(doc[section], [section]);
  const inputs = (doc.inputs ?? {}) as Record<string, { default?: unknown }>;
  for (const [name, spec] of Object.entries(inputs)) {
    if (typeof spec?.default === "string") check(spec.default, ["inputs", name, "default"], false);
  }
  return out;
}

function clip(text: string): string {
  const one = text.replace(/\s+/g, " ");
  return one.length > 80 ? `${one.slice(0, 77)}...` : one;
}

/** RB013: a secret input with a default value (the value itself is never repeated). */
export function secretInputDefault({ rb }: LintContext): RawFinding[] {
  return Object.entries(rb.inputs)
    .filter(([, spec]) => spec.secret && spec.default !== undefined)
    .map(([name]) => ({
      ruleId: "RB013",
      path: ["inputs", name, "default"],
      message: `secret input "${name}" has a default: its value is committed with the runbook`,
    }));
}
