import { achievedRtoMs, type ExecutionState, observedRpoMs } from "../journal/fold.js";
import { formatDuration } from "../language/duration.js";
import type { CallRecord } from "../sandbox/emulator/index.js";
import type { TrafficAnalysis } from "../sandbox/traffic/traffic-analysis.js";
import type { Expectation, ExpectedOutcome } from "./drill-types.js";

/**
 * How a drill is judged: a pure function of the execution (its journal's fold), the AWS
 * calls the emulator saw, and what the clients saw. Each expectation says why it held or not.
 */

const PROMOTIONS = new Set([
  "FailoverGlobalCluster",
  "SwitchoverGlobalCluster",
  "PromoteReadReplica",
  "PromoteReadReplicaDBCluster",
]);
const ROUTING = new Set(["UpdateRoutingControlState", "UpdateRoutingControlStates"]);

export interface JudgeInput {
  expect: ExpectedOutcome;
  state: ExecutionState;
  calls: CallRecord[];
  traffic?: TrafficAnalysis;
  chainVerified: boolean;
  /** For `blocked`: steps that must not have started. */
  notStarted?: string[];
}

export function judge(i: JudgeInput): Expectation[] {
  const s = i.state;
  const ok = (c: CallRecord) => c.outcome === "ok";
  const promotions = i.calls.filter((c) => ok(c) && PROMOTIONS.has(c.operation));
  const routing = i.calls.filter((c) => ok(c) && ROUTING.has(c.operation));
  const out: Expectation[] = [];

  if (i.expect === "completed") {
    out.push({ name: "outcome: completed", ok: s.status === "completed", detail: describeOutcome(s) });
  } else if (i.expect === "aborted") {
    out.push({ name: "outcome: aborted", ok: s.status === "aborted", detail: describeOutcome(s) });
    out.push({
      name: "nothing promoted",
      ok: promotions.length === 0,
      detail: promotions.length
        ? `${promotions.map((c) => c.operation).join(", ")} was called`
        : "no promotion call reached AWS",
    });
  } else {
    const started = (i.notStarted ?? []).filter((id) => (s.steps.get(id)?.attempts ?? 0) > 0);
    out.push({
      name: "outcome: blocked",
      ok: s.status === "failed" && started.length === 0,
      detail: `${describeOutcome(s)}${started.length ? `; but ${started.join(", ")} started` : ""}`,
    });
    out.push({
      name: "traffic did not move",
      ok: routing.length === 0,
      detail: routing.length
        ? `${routing.length} routing control change(s) reached ARC`
        : "no routing control change reached ARC",
    });
  }

  const dupes = duplicates([...promotions, ...routing]);
  out.push({
    name: "no side effect twice",
    ok: dupes.length === 0,
    detail: dupes.length
      ? `repeated: ${dupes.join("; ")}`
      : `${promotions.length} promotion(s), ${routing.length} routing change(s), none repeated`,
  });

  if (i.expect === "completed") {
    const rto = achievedRtoMs(s);
    const rtoObjective = s.objectives.rtoMs;
    if (rtoObjective !== undefined) {
      out.push({
        name: "RTO within objective",
        ok: rto !== undefined && rto <= rtoObjective,
        detail:
          rto === undefined
            ? "service was not restored"
            : `${formatDuration(rto)} of ${formatDuration(rtoObjective)}`,
      });
    }
    const rpo = observedRpoMs(s);
    const rpoObjective = s.objectives.rpoMs;
    if (rpoObjective !== undefined && rpo !== undefined) {
      out.push({
        name: "RPO within objective",
        ok: rpo <= rpoObjective,
        detail: `${formatDuration(rpo)} of ${formatDuration(rpoObjective)}`,
      });
    }
    if (i.traffic?.outage) {
      const o = i.traffic.outage;
      out.push({
        name: "clients recovered",
        ok: o.endedAt !== undefined,
        detail:
          o.durationMs !== undefined
            ? `client-observed outage ${formatDuration(o.durationMs)}, ${i.traffic.lostWrites.length} acknowledged writes lost`
            : "requests still failing at the end",
      });
    }
  }
  out.push({
    name: "journal verifies",
    ok: i.chainVerified,
    detail: i.chainVerified ? "hash chain intact" : "hash chain broken",
  });
  return out;
}

function describeOutcome(s: ExecutionState): string {
  if (s.status === "failed") return `failed at ${s.failure?.stepId ?? "?"}: ${s.failure?.message ?? ""}`;
  if (s.status === "aborted") return `aborted: ${s.abort?.reason ?? ""}`;
  return s.status;
}

/** Mutating calls with identical parameters that succeeded more than once. */
function duplicates(calls: CallRecord[]): string[] {
  const counts = new Map<string, number>();
  for (const c of calls) {
    const key = `${c.operation} ${JSON.stringify(c.params)}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].filter(([, n]) => n > 1).map(([k, n]) => `${k.slice(0, 120)} ×${n}`);
}
