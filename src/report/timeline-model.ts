import type { ReconciledLostWrite, ReconciledRpo } from "../journal/events.js";

/**
 * The post-incident timeline as data: what every renderer (Markdown, HTML, JSON) shows.
 * Built only from journal events; all instants are UTC ISO-8601 strings with milliseconds,
 * all offsets and durations are milliseconds. Documented in docs/timeline-schema.md.
 */

export const TIMELINE_SCHEMA_VERSION = 1;

/**
 * Lost writes a timeline lists (the journal may hold 10,000): a review document needs the
 * first few and the count, so the list is cut once, here, and every renderer shows that cut.
 */
export const MAX_LOST_WRITES_SHOWN = 50;

export type Outcome = "completed" | "failed" | "aborted" | "in progress" | "paused";
export type Verdict = "pass" | "fail" | "unknown";

export interface TimelineHeader {
  executionId: string;
  runbook: { name: string; file: string; sourceSha256: string; description?: string };
  environment: string;
  mode: "run" | "drill";
  operator: string;
  host: string;
  engineVersion: string;
  declaredAt: string;
  startedAt: string;
  /** Absent while the execution is unfinished. */
  endedAt?: string;
  lastEventAt: string;
  outcome: Outcome;
  /** Why it failed/aborted/paused, in one sentence. */
  outcomeDetail?: string;
  inputs: Record<string, string>;
}

export interface ObjectiveResult {
  objectiveMs?: number;
  /** RTO achieved or RPO observed; absent when never measured. */
  actualMs?: number;
  verdict: Verdict;
  /** Why the verdict is unknown, or how the figure was obtained. */
  note: string;
}

/** The RPO: once `runbook reconcile` ran, `actualMs` is its exact figure and the measured one a bound. */
export interface RpoResult extends ObjectiveResult {
  /** The RPO measured during the failover (`rpo_observed_ms`): an upper bound, shown beside the reconciled one. */
  boundMs?: number;
  /** When the latest `runbook reconcile` read the old primary: `actualMs` is its RPO. */
  reconciledAt?: string;
}

export interface TimelineSummary {
  rto: ObjectiveResult;
  rpo: RpoResult;
  /** fail if any objective failed, pass if every declared objective passed, else unknown. */
  verdict: Verdict;
  /** Incident declared → end (or last event when unfinished). */
  elapsedMs: number;
  stepsSucceeded: number;
  stepsFailed: number;
  stepsSkipped: number;
  retries: number;
}

export interface Milestone {
  name: string;
  at: string;
  /** Since incident_declared. */
  offsetMs: number;
}

export type EntryKind =
  | "execution"
  | "step"
  | "retry"
  | "check"
  | "skip"
  | "gate"
  | "abort"
  | "milestone"
  | "measure"
  | "resume"
  | "lock"
  | "repair";

export type Severity = "info" | "ok" | "warn" | "error";

export interface TimelineEntry {
  seq: number;
  at: string;
  offsetMs: number;
  kind: EntryKind;
  /** The raw journal event type, for tools. */
  eventType: string;
  stepId?: string;
  /** Who did it, when a person did (gate approvals/declines, resumes, start). */
  actor?: string;
  text: string;
  severity: Severity;
}

export type SpanStatus =
  | "succeeded"
  | "failed"
  | "declined"
  | "skipped"
  | "running"
  | "awaiting approval"
  | "in doubt"
  | "not run";

/** How an approver's identity was proven: STS's answer, by its request id. */
export interface ProofSummary {
  method: string;
  requestId: string;
}

export interface StepSpan {
  id: string;
  type: string;
  description: string;
  phase: "main" | "onAbort";
  parent?: string;
  /** A `parallel` block: its span covers its children. */
  parallel: boolean;
  status: SpanStatus;
  attempts: number;
  /** First intent (or first outcome when no intent was recorded). */
  startedAt?: string;
  endedAt?: string;
  startOffsetMs?: number;
  durationMs?: number;
  alreadyInPlace: boolean;
  /** An operator asserted the effect is in place (`resume --assume-done`); nothing verified it. */
  assumedBy?: string;
  /** The account its AWS calls went to, when it named one, and who made them (an ARN). */
  account?: string;
  principal?: string;
  /** Its AWS calls, all attempts, by `service:Operation`. */
  calls?: Record<string, number>;
  pointOfNoReturn: boolean;
  gate: boolean;
  milestone?: string;
  skipReason?: string;
  error?: { message: string; class: string };
  /** `proof`: how the approver's identity was proven (absent: a name, as given). */
  approvals: { by: string; via: string; at: string; proof?: ProofSummary }[];
  declined?: { by: string; at: string; reason?: string; proof?: ProofSummary };
}

export interface Resume {
  at: string;
  operator: string;
  host: string;
  /** What the resume followed: an engine that died mid-run, a pause, or a failure. */
  after: "crash" | "pause" | "failure" | "abort";
  /** The last event before the resume: nothing ran in between. */
  idleSince: string;
  idleMs: number;
}

export interface Integrity {
  verified: boolean;
  events: number;
  finalHash: string;
  /** First broken line, 1-based. */
  problem?: { line: number; seq: number | null; message: string };
  /** Bytes of a write cut short by a crash at the end of the file (not tampering). */
  tornTailBytes: number;
}

/** A write the old primary committed that the promoted database never received (as journaled). */
export type LostWrite = ReconciledLostWrite;

/** The latest `runbook reconcile` of the execution: what the old primary held that was lost. */
export interface Reconciliation {
  at: string;
  /** Since incident_declared, like every entry (it may come long after the end). */
  offsetMs: number;
  operator: string;
  host: string;
  /** Exact: newest commit on the old primary − newest of its commits that replicated. */
  rpoMs: number;
  /** The RPO measured during the failover, an upper bound. */
  boundMs?: number;
  lastCommittedAt: string;
  lastReplicatedAt: string;
  heartbeat: ReconciledRpo["heartbeat"];
  /** Redacted connection URLs, as reconcile recorded them. */
  oldPrimary: string;
  promoted: string;
  tables: ReconciledRpo["tables"];
  lostWritesTotal: number;
  conflicts: number;
  /** Lost writes that can be replayed without overwriting newer data. */
  replayCount: number;
  /** Oldest first, at most MAX_LOST_WRITES_SHOWN: `runbook reconcile <id> --format json` lists all. */
  lostWrites: LostWrite[];
  /** `lostWrites.length`; below `lostWritesTotal` when the list is cut. */
  lostWritesShown: number;
}

export interface Timeline {
  schemaVersion: typeof TIMELINE_SCHEMA_VERSION;
  /** Shown first by every renderer: integrity failures, torn writes. Empty when all is well. */
  warnings: string[];
  header: TimelineHeader;
  summary: TimelineSummary;
  milestones: Milestone[];
  steps: StepSpan[];
  entries: TimelineEntry[];
  resumes: Resume[];
  lockTakeovers: number;
  integrity: Integrity;
  /** Present once `runbook reconcile` appended its result to this execution's journal. */
  reconciliation?: Reconciliation;
}
