/** The validated runbook: what the compiler and engine consume. Durations are milliseconds. */

export interface ApprovalSpec {
  prompt: string;
  approvers?: string[];
  minApprovals: number;
}

export interface RetrySpec {
  attempts: number;
  backoffMs: number;
  maxBackoffMs: number;
}

export interface ExecutorStepIR {
  kind: "executor";
  id: string;
  name?: string;
  type: string;
  /** Params as written (templates unresolved); rendered and checked again just before the step runs. */
  with: Record<string, unknown>;
  /** The account its AWS calls are made in, as written (id, alias or `${{ vars.x }}`); default: the base credentials'. */
  account?: string;
  timeoutMs?: number;
  retry: RetrySpec;
  approval?: ApprovalSpec;
  milestone?: string;
  pointOfNoReturn: boolean;
  always: boolean;
  when?: string;
  parent?: string;
}

export interface ParallelStepIR {
  kind: "parallel";
  id: string;
  name?: string;
  approval?: ApprovalSpec;
  milestone?: string;
  when?: string;
  children: ExecutorStepIR[];
}

export type StepIR = ExecutorStepIR | ParallelStepIR;

export interface InputIR {
  description?: string;
  default?: string;
  required: boolean;
  enum?: string[];
  secret: boolean;
}

export interface AbortCriterionIR {
  id: string;
  description?: string;
  probe: { type: string; with: Record<string, unknown>; account?: string };
  everyMs: number;
  failures: number;
  during?: string[];
}

export interface Runbook {
  name: string;
  description?: string;
  environment: "prod" | "nonprod" | "sandbox";
  accounts?: string[];
  file: string;
  /** Directory of the runbook file: relative paths in steps resolve against it. */
  dir: string;
  sourceSha256: string;
  objectives: { rtoMs?: number; rpoMs?: number };
  /** `approvals.identities`: absent = the default for the environment (src/engine/approvers.ts). */
  approvals?: { identities: "aws" | "names" };
  inputs: Record<string, InputIR>;
  abort: AbortCriterionIR[];
  steps: StepIR[];
  onAbort: ExecutorStepIR[];
}

export const NO_RETRY: RetrySpec = { attempts: 1, backoffMs: 1000, maxBackoffMs: 60_000 };

/** Every executor step, in order, parallel children in place of their block. */
export function executorSteps(steps: readonly StepIR[]): ExecutorStepIR[] {
  return steps.flatMap((s) => (s.kind === "parallel" ? s.children : [s]));
}

/** Every step id (blocks and children) in document order. */
export function allStepIds(rb: Pick<Runbook, "steps" | "onAbort">): string[] {
  const ids: string[] = [];
  for (const s of rb.steps) {
    ids.push(s.id);
    if (s.kind === "parallel") ids.push(...s.children.map((c) => c.id));
  }
  ids.push(...rb.onAbort.map((s) => s.id));
  return ids;
}
