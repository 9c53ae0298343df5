import { formatDurationExact as exactDuration, formatDuration } from "../language/duration.js";
import type { ObjectiveResult, Outcome, RpoResult, Timeline } from "./timeline-model.js";

/**
 * Every execution and drill of a runbook, oldest first, with RTO/RPO against objectives
 * and regressions called out. A pure function of the executions' timelines.
 */

export const HISTORY_SCHEMA_VERSION = 1;
/** A run regresses when its RTO exceeds the median of the previous runs by more than this. */
export const REGRESSION_TOLERANCE = 0.2;
/** How many previous runs (with a measured RTO and an intact journal) make the baseline. */
export const BASELINE_WINDOW = 5;
/** Fewer previous runs than this is too little to call a regression against the median. */
export const MIN_BASELINE_RUNS = 3;

export type RegressionKind = "rto-over-objective" | "rto-over-baseline" | "rpo-over-objective";

export interface Regression {
  executionId: string;
  kind: RegressionKind;
  actualMs: number;
  /** The objective, or the baseline median × (1 + tolerance). */
  thresholdMs: number;
  message: string;
}

export interface HistoryRun {
  executionId: string;
  environment: string;
  mode: "run" | "drill";
  operator: string;
  startedAt: string;
  outcome: Outcome;
  rto: ObjectiveResult;
  /** The reconciled RPO where `runbook reconcile` ran (`reconciledAt`), else the one measured. */
  rpo: RpoResult;
  /** Median RTO of up to BASELINE_WINDOW previous runs, when there were enough. */
  baselineRtoMs?: number;
  integrityVerified: boolean;
  regressions: Regression[];
}

export interface RunbookHistory {
  runbook: string;
  runs: HistoryRun[];
  regressions: Regression[];
  stats: { executions: number; drills: number; completed: number; medianRtoMs?: number; lastRtoMs?: number };
}

export interface History {
  schemaVersion: typeof HISTORY_SCHEMA_VERSION;
  runbooks: RunbookHistory[];
  /** Executions whose journal failed its hash chain: listed, never used as a baseline. */
  tampered: string[];
  /** Journals that could not be read as executions at all. */
  unreadable: { executionId: string; reason: string }[];
}

export function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid] : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}

export function buildHistory(
  timelines: readonly Timeline[],
  unreadable: { executionId: string; reason: string }[] = [],
): History {
  const byRunbook = new Map<string, Timeline[]>();
  for (const t of timelines) {
    const name = t.header.runbook.name;
    const list = byRunbook.get(name);
    if (list) list.push(t);
    else byRunbook.set(name, [t]);
  }
  const runbooks = [...byRunbook.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, ts]) => runbookHistory(name, ts));
  return {
    schemaVersion: HISTORY_SCHEMA_VERSION,
    runbooks,
    tampered: timelines.filter((t) => !t.integrity.verified).map((t) => t.header.executionId),
    unreadable,
  };
}

function runbookHistory(name: string, timelines: Timeline[]): RunbookHistory {
  const sorted = [...timelines].sort(
    (a, b) =>
      a.header.startedAt.localeCompare(b.header.startedAt) ||
      a.header.executionId.localeCompare(b.header.executionId),
  );
  const previousRtos: number[] = [];
  const runs = sorted.map((t) => {
    const run = toRun(t);
    const baseline =
      previousRtos.length >= MIN_BASELINE_RUNS ? median(previousRtos.slice(-BASELINE_WINDOW)) : undefined;
    if (baseline !== undefined) run.baselineRtoMs = baseline;
    run.regressions = regressionsOf(run);
    if (run.rto.actualMs !== undefined && run.integrityVerified) previousRtos.push(run.rto.actualMs);
    return run;
  });
  const rtos = runs.map((r) => r.rto.actualMs).filter((v): v is number => v !== undefined);
  const stats: RunbookHistory["stats"] = {
    executions: runs.length,
    drills: runs.filter((r) => r.mode === "drill").length,
    completed: runs.filter((r) => r.outcome === "completed").length,
  };
  const med = median(rtos);
  if (med !== undefined) stats.medianRtoMs = med;
  if (rtos.length > 0) stats.lastRtoMs = rtos[rtos.length - 1];
  return { runbook: name, runs, regressions: runs.flatMap((r) => r.regressions), stats };
}

function toRun(t: Timeline): HistoryRun {
  return {
    executionId: t.header.executionId,
    environment: t.header.environment,
    mode: t.header.mode,
    operator: t.header.operator,
    startedAt: t.header.startedAt,
    outcome: t.header.outcome,
    rto: t.summary.rto,
    rpo: t.summary.rpo,
    integrityVerified: t.integrity.verified,
    regressions: [],
  };
}

function regressionsOf(run: HistoryRun): Regression[] {
  const out: Regression[] = [];
  const rto = run.rto.actualMs;
  const id = run.executionId;
  if (rto !== undefined && run.rto.objectiveMs !== undefined && rto > run.rto.objectiveMs) {
    out.push({
      executionId: id,
      kind: "rto-over-objective",
      actualMs: rto,
      thresholdMs: run.rto.objectiveMs,
      message: `RTO ${formatDuration(rto)} exceeded the objective ${formatDuration(run.rto.objectiveMs)}`,
    });
  }
  if (
    rto !== undefined &&
    run.baselineRtoMs !== undefined &&
    rto > run.baselineRtoMs * (1 + REGRESSION_TOLERANCE)
  ) {
    const pct = Math.round((rto / run.baselineRtoMs - 1) * 100);
    out.push({
      executionId: id,
      kind: "rto-over-baseline",
      actualMs: rto,
      thresholdMs: Math.round(run.baselineRtoMs * (1 + REGRESSION_TOLERANCE)),
      message: `RTO ${formatDuration(rto)} is ${pct}% worse than the median ${formatDuration(run.baselineRtoMs)} of the previous runs`,
    });
  }
  const rpo = run.rpo.actualMs;
  if (rpo !== undefined && run.rpo.objectiveMs !== undefined && rpo > run.rpo.objectiveMs) {
    out.push({
      executionId: id,
      kind: "rpo-over-objective",
      actualMs: rpo,
      thresholdMs: run.rpo.objectiveMs,
      message: `RPO ${formatDuration(rpo)}${run.rpo.reconciledAt !== undefined ? " (reconciled)" : ""} exceeded the objective ${formatDuration(run.rpo.objectiveMs)}`,
    });
  }
  return out;
}

/** The warnings a run carries in history tables: tampered journal, regressions. */
export function runFlags(r: HistoryRun): string[] {
  const label = {
    "rto-over-baseline": "REGRESSION",
    "rto-over-objective": "RTO MISSED",
    "rpo-over-objective": "RPO MISSED",
  } as const;
  return [...(r.integrityVerified ? [] : ["TAMPERED"]), ...r.regressions.map((g) => label[g.kind])];
}

/** `850ms`, or `2.43s reconciled (bound 8.6s)`: which RPOs are exact figures from the old primary's data. */
export function rpoLabel(r: RpoResult): string {
  if (r.actualMs === undefined) return "—";
  if (r.reconciledAt === undefined) return formatDuration(r.actualMs);
  const bound = r.boundMs !== undefined ? ` (bound ${formatDuration(r.boundMs)})` : "";
  return `${exactDuration(r.actualMs)} reconciled${bound}`;
}
