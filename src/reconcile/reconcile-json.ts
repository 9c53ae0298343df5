import type { DivergenceReport } from "./measure-divergence.js";

/** `runbook reconcile --format json`: the whole report (every lost write), for scripts and tickets. */
export interface ReconcileJson extends DivergenceReport {
  executionId: string;
  boundMs?: number;
}

export function reconcileJson(
  executionId: string,
  report: DivergenceReport,
  boundMs?: number,
): ReconcileJson {
  return { executionId, ...(boundMs !== undefined ? { boundMs } : {}), ...report };
}
