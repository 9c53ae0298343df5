import { formatDuration, parseDuration } from "../language/duration.js";
import type { ExecutorStepIR, Runbook } from "../language/runbook.js";
import type { RawFinding } from "./finding.js";
import type { LintContext } from "./lint-context.js";

/**
 * The longest the main steps up to service_restored may take before the engine gives up on
 * them, from what the runbook itself allows: RTO achieved is `service_restored −
 * incident_declared`, so those are the steps on its critical path.
 */

export interface StepCost {
  id: string;
  ms: number;
}

export interface CriticalPath {
  /** Sum over the top-level entries up to service_restored (a block: its costliest child). */
  totalMs: number;
  /** Counted steps, costliest first. */
  steps: StepCost[];
  /** Steps on the path whose cost is unknown (no timeout): not counted. */
  uncounted: string[];
  /** The step the path ends at (service_restored), or undefined: the whole main phase. */
  endsAt?: string;
}

/**
 * One executor step's worst case: timeout × attempts, plus the backoff before each retry at
 * its ceiling (the engine's equal jitter waits between half the ceiling and the ceiling, which
 * doubles from `backoff` up to `maxBackoff`). A wait step without a timeout costs its literal
 * duration. Undefined when the step has no timeout (an approval step is always undefined:
 * people's time is not the runbook's to bound).
 */
export function stepCostMs(step: ExecutorStepIR): number | undefined {
  const perAttempt =
    step.timeoutMs ??
    (step.type === "wait" && typeof step.with.duration === "string"
      ? parseDuration(step.with.duration)
      : undefined);
  if (perAttempt === undefined || step.type === "approval") return undefined;
  const { attempts, backoffMs, maxBackoffMs } = step.retry;
  let backoffs = 0;
  for (let n = 1; n < attempts; n++) backoffs += Math.min(maxBackoffMs, backoffMs * 2 ** (n - 1));
  return perAttempt * attempts + backoffs;
}

export function criticalPath(rb: Runbook): CriticalPath {
  const end = rb.steps.findIndex(
    (s) =>
      s.milestone === "service_restored" ||
      (s.kind === "parallel" && s.children.some((c) => c.milestone === "service_restored")),
  );
  const path = end === -1 ? rb.steps : rb.steps.slice(0, end + 1);
  const steps: StepCost[] = [];
  const uncounted: string[] = [];
  let totalMs = 0;
  for (const entry of path) {
    const children = entry.kind === "parallel" ? entry.children : [entry];
    let costliest: StepCost | undefined;
    for (const c of children) {
      if (c.type === "approval") continue;
      const ms = stepCostMs(c);
      if (ms === undefined) uncounted.push(c.id);
      else if (!costliest || ms > costliest.ms) costliest = { id: c.id, ms };
    }
    if (costliest) {
      steps.push(costliest);
      totalMs += costliest.ms;
    }
  }
  steps.sort((a, b) => b.ms - a.ms || (a.id < b.id ? -1 : 1));
  return { totalMs, steps, uncounted, ...(end === -1 ? {} : { endsAt: path[end]!.id }) };
}

/** RB012 */
export function rtoBelowCriticalPath({ rb, map }: LintContext): RawFinding[] {
  const rto = rb.objectives.rtoMs;
  if (rto === undefined) return [];
  const cp = criticalPath(rb);
  if (cp.totalMs <= rto) return [];
  const until = cp.endsAt ? `the steps up to service_restored ("${cp.endsAt}")` : "the main steps";
  const written = (map.value() as { objectives?: { rto?: string } }).objectives?.rto ?? formatDuration(rto);
  const costliest = cp.steps
    .slice(0, 3)
    .map((s) => `${s.id} ${formatDuration(s.ms)}`)
    .join(", ");
  const uncounted = cp.uncounted.length
    ? `; ${cp.uncounted.length} step${cp.uncounted.length === 1 ? "" : "s"} without a timeout not counted`
    : "";
  return [
    {
      ruleId: "RB012",
      path: ["objectives", "rto"],
      message: `objectives.rto ${written} is shorter than the worst case of ${until}: ${formatDuration(cp.totalMs)} by their timeouts and retries (costliest: ${costliest})${uncounted}`,
      fix: `Lower the timeouts or attempts of ${cp.steps
        .slice(0, 3)
        .map((s) => s.id)
        .join(", ")}, or raise objectives.rto to at least ${formatDuration(cp.totalMs)}.`,
    },
  ];
}
