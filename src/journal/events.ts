/**
 * The journal's vocabulary. The journal is the only store of execution state: status,
 * resume, timelines and history are folds over these events, so every fact they need
 * must be written here, and nothing else may be relied on.
 */

export type ExecutionMode = "run" | "drill";
export type ErrorClass = "retryable" | "conflict" | "fatal" | "timeout";

/** How a step is laid out, recorded once at start so readers need not re-parse the runbook. */
export interface PlannedStep {
  id: string;
  type: string;
  /** Id of the enclosing `parallel` block, if any. */
  parent?: string;
  phase: "main" | "onAbort";
  /** A `parallel` block itself: it has no executor, its children do the work. */
  parallel?: boolean;
  description: string;
  /** The account its AWS calls go to, as written (`recovery`, an id, `${{ vars.x }}`). */
  account?: string;
  milestone?: string;
  pointOfNoReturn?: boolean;
  gate?: boolean;
}

/** How an approver's identity was proven: STS said who signed (never credentials, never the key id). */
export interface ApprovalProof {
  method: "sts:GetCallerIdentity";
  requestId: string;
  /** The signed proof's nonce (absent for the engine's own call, for the operator). */
  nonce?: string;
}

/** An execution run by AWS Step Functions (`runbook run --engine stepfunctions`). */
export interface StepFunctionsEngine {
  kind: "stepfunctions";
  region: string;
  stateMachineArn: string;
  executionArn: string;
  /** The function `runbook approve` invokes to answer a gate (it checks the approver). */
  approvalsFunctionArn: string;
  /** Where the approval function checks proofs of identity: approvers sign for it. */
  sts: { endpoint: string; region: string };
}

/** A lost write: a key whose version on the old primary never reached the promoted database. */
export interface ReconciledLostWrite {
  table: string;
  key: string;
  /** Its updated-at on the old primary (absent for a table with a version column only). */
  committedAt?: string;
  version?: string;
  /** The promoted region wrote the key again after the fork: replaying it would overwrite that. */
  conflict?: { rewrittenAt?: string; version?: string };
}

export interface ReconciledRpo {
  /** The newest commit on the old primary minus the newest of its commits that replicated (ms). */
  rpoMs: number;
  /** The RPO measured during the failover (`rpo_observed_ms`), an upper bound when the old primary was unreachable. */
  boundMs?: number;
  lastCommittedAt: string;
  lastReplicatedAt: string;
  heartbeat: { table: string; lastWrittenAt: string; lastReplicatedAt: string; rpoMs: number; lost: number };
  /** Redacted connection URLs of the two databases compared. */
  oldPrimary: string;
  promoted: string;
  tables: { name: string; key: string; compared: number; lost: number; conflicts: number }[];
  /** Oldest first; at most 10,000 (lostWritesTotal says how many there were). */
  lostWrites: ReconciledLostWrite[];
  lostWritesTotal: number;
  conflicts: number;
  /** Lost writes that can be replayed without overwriting newer data (failback applies them behind a gate). */
  replayCount: number;
  /** Who ran it and from where. */
  operator: string;
  host: string;
}

export interface EventData {
  "execution.started": {
    executionId: string;
    runbook: { name: string; file: string; sourceSha256: string; description?: string };
    environment: string;
    mode: ExecutionMode;
    objectives: { rtoMs?: number; rpoMs?: number };
    inputs: Record<string, string>;
    steps: PlannedStep[];
    abortCriteria: { id: string; type: string; everyMs: number; during?: string[] }[];
    operator: string;
    host: string;
    pid: number;
    declaredAt: string;
    /** The `--env` file, reloaded by resume (its values may hold secrets, so they are not journaled). */
    environmentFile?: string;
    /** What chose it: `--env`, `$RUNBOOK_ENV`, or the project config's defaultEnvironment (file:line). */
    environmentSource?: string;
    /** Where relative paths in steps resolve: the directory `runbook run` was started in. */
    workdir: string;
    engineVersion: string;
    /** The validated runbook as data: resume runs exactly what was started, even if the file changed. */
    runbookIr: unknown;
    /** Absent: this machine's engine. Step Functions: where the execution runs, for follow and approve. */
    engine?: StepFunctionsEngine;
  };
  "execution.resumed": { operator: string; host: string; pid: number };
  "lock.takenOver": { previous: { pid: number; host: string; executionId: string; since: string } };
  "journal.repaired": { droppedBytes: number };
  milestone: { name: string; at: string };
  measure: { name: string; value: number; unit: string };
  "step.skipped": { reason: "condition" | "pastPointOfNoReturn" | "aborted"; detail: string };
  /**
   * `identities: "aws"`: only approvals proven by GetCallerIdentity count (src/engine/approvers.ts),
   * checked at the engine's `sts` (what `runbook approve` signs for).
   */
  "gate.requested": {
    prompt: string;
    approvers?: string[];
    minApprovals: number;
    identities?: "aws";
    sts?: { endpoint: string; region: string };
  };
  "gate.approved": { by: string; via: "flag" | "tty" | "approve-command"; proof?: ApprovalProof };
  "gate.declined": { by: string; via: "tty" | "approve-command"; reason?: string; proof?: ApprovalProof };
  /** An approval or decline that did not count, and why; `claimed` is who it said (or was proven) to be. */
  "gate.refused": {
    decision: "approve" | "decline";
    via: "flag" | "tty" | "approve-command";
    claimed?: string;
    reason: string;
    /** The proof's nonce, once verified: a replay of it is refused too. */
    nonce?: string;
  };
  "step.intent": {
    attempt: number;
    type: string;
    params: unknown;
    /** The account the step's AWS calls are made in (its `account:`, resolved), when it names one. */
    account?: string;
    /** Who makes them: the ARN STS GetCallerIdentity gives for the step's session (never credentials). */
    principal?: string;
  };
  "step.checked": {
    attempt: number;
    inPlace: boolean;
    detail?: string;
    account?: string;
    principal?: string;
  };
  "step.succeeded": {
    attempt: number;
    outputs: Record<string, unknown>;
    durationMs: number;
    /** The effect was found already in place by `check`; `run` was not called. */
    alreadyInPlace?: boolean;
    /** An operator asserted the effect is in place (`resume --assume-done`). */
    assumedBy?: string;
    /** AWS calls this attempt sent (its check's too), by `service:Operation`. */
    calls?: Record<string, number>;
    /** Who made the calls, when only the outcome could say (Step Functions: the intent is journaled first). */
    account?: string;
    principal?: string;
  };
  "step.failed": {
    attempt: number;
    error: { message: string; class: ErrorClass };
    durationMs: number;
    willRetry: boolean;
    retryInMs?: number;
    /** AWS calls this attempt sent (its check's too), by `service:Operation`. */
    calls?: Record<string, number>;
  };
  "abort.fired": { criterion: string; reason: string; duringStep?: string };
  /** Waiting for a person: approvals, or a decision about a step a crash left in doubt. */
  "execution.paused": { reason: "approval" | "in-doubt" | "stopped"; stepId: string; message: string };
  "execution.completed": Record<string, never>;
  /** Appended by `runbook drill` after the execution ended: how the rehearsal was judged. */
  "drill.verdict": {
    scenario?: string;
    expect: string;
    verdict: "pass" | "fail";
    expectations: { name: string; ok: boolean; detail: string }[];
  };
  /**
   * Appended by `runbook reconcile` after the failover, once the old primary could be read:
   * the exact RPO and the writes lost, beside the bound measured during the failover.
   */
  "rpo.reconciled": ReconciledRpo;
  "execution.failed": { stepId?: string; message: string };
  "execution.aborted": { reason: string; criterion?: string; declinedGate?: string };
}

export type EventType = keyof EventData;

/** Where an imported event was first recorded: a Step Functions execution's history event. */
export interface EventOrigin {
  executionArn: string;
  eventId: number;
}

export interface JournalEvent<T extends EventType = EventType> {
  seq: number;
  ts: string;
  type: T;
  stepId?: string;
  /** Set on events imported from another engine's record (`--engine stepfunctions`). */
  origin?: EventOrigin;
  data: EventData[T];
  /** Hash of the previous line ("0".repeat(64) for the first). */
  prev: string;
  hash: string;
}

export type AnyJournalEvent = { [K in EventType]: JournalEvent<K> }[EventType];

export const TERMINAL_EVENTS = ["execution.completed", "execution.failed", "execution.aborted"] as const;
