import { acquireLock } from "../engine/lock.js";
import { ReconcileError, UsageError } from "../errors.js";
import { ExecutorError } from "../executor.js";
import type { ReconciledRpo } from "../journal/events.js";
import { type ExecutionState, observedRpoMs } from "../journal/fold.js";
import { JournalWriter } from "../journal/journal.js";
import { journalPath } from "../journal/paths.js";
import type { DivergenceParams } from "./divergence-spec.js";
import { type DivergenceReport, measureDivergence } from "./measure-divergence.js";

/** The journal keeps this many lost writes; beyond, the count (a replay reads the data again). */
export const JOURNALED_LOST_WRITES = 10_000;

/**
 * `runbook reconcile`: diff the failover's old primary against the promoted database and
 * append the result to the failover's own journal as `rpo.reconciled`, under the runbook's
 * lock (no engine may be appending to it meanwhile). Reads only, so it may be run again;
 * the latest reconciliation is the one reports use.
 */
export async function reconcileExecution(o: {
  home: string;
  executionId: string;
  /** The execution as its journal folds now (the caller has read it). */
  state: ExecutionState;
  settings: DivergenceParams;
  operator: string;
  host: string;
  signal: AbortSignal;
  now?: () => Date;
}): Promise<{ report: DivergenceReport; event: ReconciledRpo }> {
  const path = journalPath(o.home, o.executionId);
  const state = o.state;
  if (state.status === "running" || state.status === "paused")
    throw new UsageError(
      `${o.executionId} is still ${state.status}: reconcile a failover once it has ended`,
      `Follow it with: runbook status ${o.executionId}`,
    );
  if (!state.milestones.db_promoted)
    throw new UsageError(
      `${o.executionId} (${state.runbook.name}) never promoted a database (no db_promoted milestone): there is no divergence to reconcile`,
    );
  let report: DivergenceReport;
  try {
    report = await measureDivergence(o.settings, o.signal);
  } catch (err) {
    if (err instanceof ExecutorError) throw explain(err, o.settings);
    throw err;
  }
  const bound = observedRpoMs(state);
  const event: ReconciledRpo = {
    rpoMs: report.rpoMs,
    ...(bound !== undefined ? { boundMs: bound } : {}),
    lastCommittedAt: report.lastCommittedAt,
    lastReplicatedAt: report.lastReplicatedAt,
    heartbeat: report.heartbeat,
    oldPrimary: report.oldPrimary,
    promoted: report.promoted,
    tables: report.tables,
    lostWrites: report.lostWrites.slice(0, JOURNALED_LOST_WRITES),
    lostWritesTotal: report.lostWrites.length,
    conflicts: report.conflicts,
    replayCount: report.replayPlan.length,
    operator: o.operator,
    host: o.host,
  };
  const lock = acquireLock(o.home, state.runbook.name, o.executionId, (o.now ?? (() => new Date()))());
  try {
    const { writer } = JournalWriter.reopen(path, o.now);
    try {
      writer.append("rpo.reconciled", event);
    } finally {
      writer.close();
    }
  } finally {
    lock.release();
  }
  return { report, event };
}

function explain(err: ExecutorError, settings: DivergenceParams): ReconcileError {
  if (err.errorClass !== "retryable") return new ReconcileError(err.message);
  return new ReconcileError(
    err.message,
    [
      "Both databases must answer: the promoted one, and the old primary back up (fenced, not rebuilt yet)",
      "or its snapshot restored to a temporary cluster (README: reconciling on Aurora).",
      `Sandbox: runbook sandbox fault region-down --clear brings the old primary back (${settings.tables.length} table(s) to compare).`,
    ].join("\n"),
  );
}
