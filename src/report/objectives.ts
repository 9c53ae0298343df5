import { achievedRtoMs, type ExecutionState } from "../journal/fold.js";
import { formatDuration } from "../language/duration.js";
import type { ObjectiveResult, RpoResult, StepSpan, TimelineSummary, Verdict } from "./timeline-model.js";

/** RTO achieved and RPO observed against the runbook's objectives: measured, never assumed. */
export function summarize(
  state: ExecutionState,
  spans: StepSpan[],
  retries: number,
  unfinished: boolean,
  /** The execution's own last event: a reconciliation appended later does not lengthen it. */
  lastEventAt: string = state.lastEventAt,
): TimelineSummary {
  const declaredMs = Date.parse(state.milestones.incident_declared ?? state.declaredAt);
  const elapsedMs = Date.parse(state.endedAt ?? lastEventAt) - declaredMs;
  const rto = rtoResult(state, elapsedMs, unfinished);
  const rpo = rpoResult(state);
  const leaves = spans.filter((s) => !s.parallel);
  return {
    rto,
    rpo,
    verdict: overallVerdict([rto, rpo]),
    elapsedMs,
    stepsSucceeded: leaves.filter((s) => s.status === "succeeded").length,
    stepsFailed: leaves.filter((s) => s.status === "failed").length,
    stepsSkipped: leaves.filter((s) => s.status === "skipped").length,
    retries,
  };
}

function compare(actualMs: number | undefined, objectiveMs: number | undefined): Verdict {
  if (actualMs === undefined || objectiveMs === undefined) return "unknown";
  return actualMs <= objectiveMs ? "pass" : "fail";
}

function withObjective(r: ObjectiveResult, objectiveMs: number | undefined): ObjectiveResult {
  return objectiveMs === undefined ? r : { objectiveMs, ...r };
}

function rtoResult(state: ExecutionState, elapsedMs: number, unfinished: boolean): ObjectiveResult {
  const objectiveMs = state.objectives.rtoMs;
  const actualMs = achievedRtoMs(state);
  if (actualMs !== undefined) {
    const note =
      objectiveMs === undefined
        ? "service_restored − incident_declared; no RTO objective declared"
        : "service_restored − incident_declared";
    return withObjective({ actualMs, verdict: compare(actualMs, objectiveMs), note }, objectiveMs);
  }
  const note = unfinished
    ? `service not restored yet; ${formatDuration(elapsedMs)} elapsed since incident_declared`
    : "service_restored was never recorded";
  return withObjective({ verdict: "unknown", note }, objectiveMs);
}

/** `rpo_observed_ms` in milliseconds (an executor may record it in seconds). */
export function measuredRpoMs(state: ExecutionState): number | undefined {
  const m = state.measures.rpo_observed_ms;
  if (!m) return undefined;
  return m.unit === "s" ? m.value * 1000 : m.value;
}

function rpoResult(state: ExecutionState): RpoResult {
  const objectiveMs = state.objectives.rpoMs;
  const noObjective = objectiveMs === undefined ? "; no RPO objective declared" : "";
  const measured = measuredRpoMs(state);
  const r = state.reconciled;
  if (r) {
    // The exact figure from the old primary's data replaces the bound measured under fire.
    const boundMs = measured ?? r.boundMs;
    const note =
      `reconciled from the old primary's data at ${r.at}: ${plural(r.lostWritesTotal, "lost write")}, ` +
      `${plural(r.conflicts, "conflict")}${noObjective}`;
    const result: RpoResult = withObjective(
      { actualMs: r.rpoMs, verdict: compare(r.rpoMs, objectiveMs), note },
      objectiveMs,
    );
    if (boundMs !== undefined) result.boundMs = boundMs;
    result.reconciledAt = r.at;
    return result;
  }
  if (measured === undefined)
    return withObjective({ verdict: "unknown", note: "rpo_observed_ms was never measured" }, objectiveMs);
  const note = `measured (rpo_observed_ms)${noObjective}`;
  return withObjective({ actualMs: measured, verdict: compare(measured, objectiveMs), note }, objectiveMs);
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

function overallVerdict(results: ObjectiveResult[]): Verdict {
  if (results.some((r) => r.verdict === "fail")) return "fail";
  const declared = results.filter((r) => r.objectiveMs !== undefined);
  if (declared.length > 0 && declared.every((r) => r.verdict === "pass")) return "pass";
  return "unknown";
}
