import type { ExecutionState } from "../journal/fold.js";
import { formatDurationExact as exactDuration, formatDuration } from "../language/duration.js";
import { measuredRpoMs, plural } from "./objectives.js";
import { MAX_LOST_WRITES_SHOWN, type Reconciliation } from "./timeline-model.js";

/** The latest `runbook reconcile` of an execution, as the timeline shows it (lost writes cut). */
export function buildReconciliation(state: ExecutionState, declaredMs: number): Reconciliation | undefined {
  const r = state.reconciled;
  if (!r) return undefined;
  const boundMs = measuredRpoMs(state) ?? r.boundMs;
  const lostWrites = r.lostWrites.slice(0, MAX_LOST_WRITES_SHOWN);
  return {
    at: r.at,
    offsetMs: Date.parse(r.at) - declaredMs,
    operator: r.operator,
    host: r.host,
    rpoMs: r.rpoMs,
    ...(boundMs !== undefined ? { boundMs } : {}),
    lastCommittedAt: r.lastCommittedAt,
    lastReplicatedAt: r.lastReplicatedAt,
    heartbeat: { ...r.heartbeat },
    oldPrimary: r.oldPrimary,
    promoted: r.promoted,
    tables: r.tables.map((t) => ({ ...t })),
    lostWritesTotal: r.lostWritesTotal,
    conflicts: r.conflicts,
    replayCount: r.replayCount,
    lostWrites: lostWrites.map((w) => ({ ...w, ...(w.conflict ? { conflict: { ...w.conflict } } : {}) })),
    lostWritesShown: lostWrites.length,
  };
}

/** `RPO reconciled: 2.43s exact (bound measured during the failover 8.6s), 48 lost writes, 0 conflicts, 48 to replay`. */
export function reconciledSentence(r: {
  rpoMs: number;
  boundMs?: number;
  lostWritesTotal: number;
  conflicts: number;
  replayCount: number;
}): string {
  const bound =
    r.boundMs !== undefined
      ? `bound measured during the failover ${formatDuration(r.boundMs)}`
      : "no bound was measured during the failover";
  return (
    `RPO reconciled: ${exactDuration(r.rpoMs)} exact (${bound}), ${plural(r.lostWritesTotal, "lost write")}, ` +
    `${plural(r.conflicts, "conflict")}, ${r.replayCount} to replay`
  );
}

/** The line under a cut list of lost writes: where to find the rest. */
export function moreLostWrites(r: Reconciliation, executionId: string): string | undefined {
  const more = r.lostWritesTotal - r.lostWritesShown;
  if (more <= 0) return undefined;
  return `and ${more} more (runbook reconcile ${executionId} --format json lists all)`;
}
