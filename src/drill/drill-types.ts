/**
 * The contract between drills and whoever starts them (`runbook drill`, the scheduler).
 * A drill is a rehearsal of a runbook against a non-prod environment, optionally under a
 * scenario (faults applied to the sandbox), judged against expectations.
 */

export type ExpectedOutcome = "completed" | "aborted" | "blocked";

export interface DrillRequest {
  /** A runbook name (runbooks/<name>.yaml) or file. */
  runbook: string;
  /** Environment name (environments/<name>.yaml); never a prod one. */
  env?: string;
  /** A scenario from drills/scenarios/<name>.yaml. */
  scenario?: string;
  expect?: ExpectedOutcome;
  inputs?: Record<string, string>;
}

export interface Expectation {
  name: string;
  ok: boolean;
  detail: string;
}

export interface DrillResult {
  runbook: string;
  scenario?: string;
  executionId?: string;
  /** pass: every expectation held; fail: one did not; error: the drill itself could not run. */
  verdict: "pass" | "fail" | "error";
  outcome: "completed" | "failed" | "aborted" | "paused" | "not-run";
  expectations: Expectation[];
  rtoMs?: number;
  rpoMs?: number;
  startedAt: string;
  endedAt: string;
  /** Why the drill could not run (verdict error). */
  error?: string;
}

/**
 * Runs one drill. `stop` asks it to stop at the next safe point (between steps); the
 * execution can then be resumed. Never throws for a failed drill: that is a verdict.
 */
export type DrillRunner = (request: DrillRequest, stop: AbortSignal) => Promise<DrillResult>;
