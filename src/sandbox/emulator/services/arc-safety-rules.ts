import type { RoutingControlState } from "../topology.js";

/**
 * ARC safety rules, evaluated on the state a change would produce.
 *
 * - assertion: of `controls`, at least `atLeast` must be On afterwards (e.g. "never turn
 *   every cell Off"). Checked when the change touches one of its controls.
 * - gating: `targetControls` may change only while at least `atLeast` of `gatingControls`
 *   are On (a master switch). Checked when the change touches a target control.
 *
 * A rule whose ARN is in SafetyRulesToOverride is skipped, as in ARC.
 */
export type SafetyRule =
  | { type: "assertion"; name: string; arn: string; controls: string[]; atLeast: number }
  | {
      type: "gating";
      name: string;
      arn: string;
      gatingControls: string[];
      targetControls: string[];
      atLeast: number;
    };

/** The first rule the change would break, or undefined when it is allowed. */
export function brokenRule(
  rules: readonly SafetyRule[],
  current: ReadonlyMap<string, RoutingControlState>,
  changes: ReadonlyMap<string, RoutingControlState>,
  overrides: ReadonlySet<string>,
): SafetyRule | undefined {
  const after = new Map(current);
  for (const [arn, state] of changes) after.set(arn, state);
  const changed = [...changes].filter(([arn, state]) => current.get(arn) !== state).map(([arn]) => arn);
  const onCount = (arns: string[]) => arns.filter((a) => after.get(a) === "On").length;

  for (const rule of rules) {
    if (overrides.has(rule.arn)) continue;
    if (rule.type === "assertion") {
      if (changed.some((a) => rule.controls.includes(a)) && onCount(rule.controls) < rule.atLeast)
        return rule;
    } else if (
      changed.some((a) => rule.targetControls.includes(a)) &&
      onCount(rule.gatingControls) < rule.atLeast
    ) {
      return rule;
    }
  }
  return undefined;
}
