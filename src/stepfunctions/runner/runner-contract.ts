import type { ExecutionMode } from "../../journal/events.js";

/**
 * What the state machine hands the functions and what they answer (the contract of issue 13):
 * the Lambda payloads of the `steps` function (a step, an abort probe) and of the `approvals`
 * function (a gate opening, a decision), their results, and the error names Retry and Catch
 * match on.
 */

export interface RunInfo {
  executionId: string;
  runbook: string;
  environment: string;
  mode: ExecutionMode;
  /** ISO time the incident was declared: RTO counts from it. */
  declaredAt: string;
  inputs: Record<string, string>;
}

/** What an executor step leaves in the state data (`$.steps.<id>`, the Task's ResultSelector). */
export interface StepRecord {
  outputs: Record<string, unknown>;
  finishedAt: string;
  measures: Record<string, { value: number; unit: string }>;
}

/** The execution's state data, as the `start` Pass state shapes it. */
export interface StateData {
  run: RunInfo;
  steps: Record<string, StepRecord>;
  gates?: Record<string, unknown>;
  watch?: Record<string, { failures: number; tripped: boolean; reason?: string }>;
}

export interface StepEvent {
  action: "step";
  stepId: string;
  state: StateData;
}

export interface ProbeEvent {
  action: "probe";
  criterion: string;
  /** Consecutive failures so far (`$.watch.<id>.failures`). */
  failures: number;
  state: StateData;
}

export interface StepResult {
  outputs: Record<string, unknown>;
  finishedAt: string;
  durationMs: number;
  alreadyInPlace?: true;
  detail?: string;
  /** AWS calls by IAM-style name (`monitoring:DescribeAlarms`). */
  calls?: Record<string, number>;
  /** The account id the step's calls were made in, when it names one. */
  account?: string;
  /** Who made them (an assumed role's session ARN, or the function's own role). */
  principal?: string;
  measures: Record<string, { value: number; unit: string }>;
  milestones: { name: string; at: string }[];
}

export interface ProbeResult {
  failures: number;
  tripped: boolean;
  reason?: string;
}

export interface GateOpenEvent {
  action: "gate.open";
  stepId: string;
  /** Which approval of the step's `minApprovals` this gate Task waits for (1-based). */
  approval: number;
  token: string;
  executionArn: string;
  state: StateData;
}

export interface GateDecideEvent {
  action: "gate.decide";
  executionArn: string;
  stepId: string;
  decision: "approve" | "decline";
  reason?: string;
  /** src/aws/identity-proof.ts, bound to executionId/stepId/decision/nonce. */
  proof?: unknown;
  /** A name, where the gate allows names (the sandbox): counted only there. */
  by?: string;
}

export interface GateAnswer {
  accepted: boolean;
  reason?: string;
  /** Approvals the gate still needs after this decision (0 once declined). */
  remaining: number;
}

/** What SendTaskSuccess hands the state machine (and the history, and so the journal). */
export interface GateApproval {
  approvedBy: string;
  principalArn?: string;
  proof?: { method: string; requestId: string; nonce: string };
}

export type RunnerErrorName =
  | "Runbook.Retryable"
  | "Runbook.Conflict"
  | "Runbook.Fatal"
  | "Runbook.Timeout"
  | "Runbook.Declined";

export const ERROR_NAME_OF_CLASS = {
  retryable: "Runbook.Retryable",
  conflict: "Runbook.Conflict",
  fatal: "Runbook.Fatal",
  timeout: "Runbook.Timeout",
} as const satisfies Record<string, RunnerErrorName>;
