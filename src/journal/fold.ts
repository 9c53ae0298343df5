import type {
  AnyJournalEvent,
  ApprovalProof,
  EventData,
  ExecutionMode,
  PlannedStep,
  StepFunctionsEngine,
} from "./events.js";

/**
 * Execution state as a pure fold over journal events: the one definition status, resume,
 * timelines and history share. No I/O, no clock; unknown event types are ignored so old
 * readers survive new writers.
 */

export type StepStatus =
  | "pending"
  | "skipped"
  | "awaiting-approval"
  | "running"
  | "retrying"
  | "succeeded"
  | "failed";

export interface StepApproval {
  by: string;
  via: string;
  at: string;
  /** How the approver's identity was proven (absent: a name, as given). */
  proof?: ApprovalProof;
}

/** An approval or decline that did not count (`gate.refused`). */
export interface StepRefusal {
  decision: "approve" | "decline";
  via: string;
  claimed?: string;
  reason: string;
  nonce?: string;
  at: string;
}

export interface StepState {
  id: string;
  status: StepStatus;
  attempts: number;
  firstStartedAt?: string;
  endedAt?: string;
  outputs?: Record<string, unknown>;
  error?: { message: string; class: string };
  skipReason?: string;
  approvals: StepApproval[];
  gateRequested?: {
    prompt: string;
    approvers?: string[];
    minApprovals: number;
    identities?: "aws";
    sts?: { endpoint: string; region: string };
    at: string;
  };
  declined?: { by: string; at: string; reason?: string; proof?: ApprovalProof };
  /** Absent until an approval is refused. */
  refusals?: StepRefusal[];
  alreadyInPlace?: boolean;
  assumedBy?: string;
  /** The account its AWS calls were made in, when it named one. */
  account?: string;
  /** Who made its AWS calls (an ARN), from its latest intent or check. */
  principal?: string;
  /** AWS calls of every attempt so far, by `service:Operation`. */
  calls?: Record<string, number>;
  /** An intent with no outcome: a crash left it unknown whether the side effect happened. */
  inDoubt: boolean;
}

export type ExecutionStatus = "running" | "paused" | "completed" | "failed" | "aborted";

export interface ExecutionState {
  executionId: string;
  runbook: EventData["execution.started"]["runbook"];
  environment: string;
  mode: ExecutionMode;
  objectives: { rtoMs?: number; rpoMs?: number };
  inputs: Record<string, string>;
  plan: PlannedStep[];
  operator: string;
  workdir: string;
  environmentFile?: string;
  environmentSource?: string;
  startedAt: string;
  declaredAt: string;
  endedAt?: string;
  status: ExecutionStatus;
  failure?: { stepId?: string; message: string };
  abort?: { reason: string; criterion?: string; declinedGate?: string; at: string; duringStep?: string };
  pausedAt?: { stepId: string; at: string; reason: "approval" | "in-doubt" | "stopped"; message: string };
  steps: Map<string, StepState>;
  milestones: Record<string, string>;
  measures: Record<string, { value: number; unit: string }>;
  resumes: { at: string; operator: string; pid: number }[];
  lockTakeovers: number;
  drill?: EventData["drill.verdict"];
  /** The latest `runbook reconcile` of this execution, when there was one. */
  reconciled?: EventData["rpo.reconciled"] & { at: string };
  runbookIr: unknown;
  /** Set when AWS Step Functions runs it (`runbook follow`, `runbook approve` go there). */
  engine?: StepFunctionsEngine;
  lastSeq: number;
  lastHash: string;
  lastEventAt: string;
}

function emptyStep(id: string): StepState {
  return { id, status: "pending", attempts: 0, approvals: [], inDoubt: false };
}

function stepOf(s: ExecutionState, id: string): StepState {
  let st = s.steps.get(id);
  if (!st) {
    st = emptyStep(id);
    s.steps.set(id, st);
  }
  return st;
}

export function foldEvents(events: Iterable<AnyJournalEvent>): ExecutionState | undefined {
  let s: ExecutionState | undefined;
  for (const e of events) s = applyEvent(s, e);
  return s;
}

/** One step of the fold; the engine uses it to keep a live view of the journal it writes. */
export function applyEvent(
  state: ExecutionState | undefined,
  e: AnyJournalEvent,
): ExecutionState | undefined {
  const s = state;
  {
    if (e.type === "execution.started") {
      const d = e.data;
      return {
        executionId: d.executionId,
        runbook: d.runbook,
        environment: d.environment,
        mode: d.mode,
        objectives: d.objectives,
        inputs: d.inputs,
        plan: d.steps,
        operator: d.operator,
        workdir: d.workdir,
        ...(d.environmentFile ? { environmentFile: d.environmentFile } : {}),
        ...(d.environmentSource ? { environmentSource: d.environmentSource } : {}),
        startedAt: e.ts,
        declaredAt: d.declaredAt,
        status: "running",
        steps: new Map(d.steps.map((p) => [p.id, emptyStep(p.id)])),
        milestones: { incident_declared: d.declaredAt },
        measures: {},
        resumes: [],
        lockTakeovers: 0,
        runbookIr: d.runbookIr,
        ...(d.engine ? { engine: d.engine } : {}),
        lastSeq: e.seq,
        lastHash: e.hash,
        lastEventAt: e.ts,
      };
    }
    if (!s) return s;
    s.lastSeq = e.seq;
    s.lastHash = e.hash;
    s.lastEventAt = e.ts;
    const st = e.stepId === undefined ? undefined : stepOf(s, e.stepId);
    switch (e.type) {
      case "execution.resumed":
        s.resumes.push({ at: e.ts, operator: e.data.operator, pid: e.data.pid });
        if (s.status === "paused" || s.status === "failed") s.status = "running";
        s.pausedAt = undefined;
        s.failure = undefined;
        s.endedAt = undefined;
        break;
      case "lock.takenOver":
        s.lockTakeovers++;
        break;
      case "milestone":
        // The first occurrence counts: a milestone re-recorded on resume must not move the clock.
        s.milestones[e.data.name] ??= e.data.at;
        break;
      case "measure":
        s.measures[e.data.name] = { value: e.data.value, unit: e.data.unit };
        break;
      case "step.skipped":
        if (st) {
          st.status = "skipped";
          st.skipReason = e.data.detail;
          st.endedAt = e.ts;
        }
        break;
      case "gate.requested":
        if (st) {
          st.status = "awaiting-approval";
          st.gateRequested = { ...e.data, at: e.ts };
        }
        break;
      case "gate.approved":
        st?.approvals.push({
          by: e.data.by,
          via: e.data.via,
          at: e.ts,
          ...(e.data.proof ? { proof: e.data.proof } : {}),
        });
        break;
      case "gate.declined":
        if (st)
          st.declined = {
            by: e.data.by,
            at: e.ts,
            ...(e.data.reason ? { reason: e.data.reason } : {}),
            ...(e.data.proof ? { proof: e.data.proof } : {}),
          };
        break;
      case "gate.refused":
        if (st) st.refusals = [...(st.refusals ?? []), { ...e.data, at: e.ts }];
        break;
      case "step.intent":
        if (st) {
          st.status = "running";
          st.attempts = e.data.attempt;
          st.firstStartedAt ??= e.ts;
          st.inDoubt = true;
          st.endedAt = undefined;
          st.error = undefined;
          noteCaller(st, e.data);
        }
        break;
      case "step.checked":
        if (st) noteCaller(st, e.data);
        break;
      case "step.succeeded":
        if (st) {
          st.status = "succeeded";
          st.attempts = Math.max(st.attempts, e.data.attempt);
          st.firstStartedAt ??= e.ts;
          st.outputs = e.data.outputs;
          st.endedAt = e.ts;
          st.inDoubt = false;
          if (e.data.alreadyInPlace) st.alreadyInPlace = true;
          if (e.data.assumedBy) st.assumedBy = e.data.assumedBy;
          noteCaller(st, e.data);
          addCalls(st, e.data.calls);
        }
        break;
      case "step.failed":
        if (st) {
          st.status = e.data.willRetry ? "retrying" : "failed";
          st.error = e.data.error;
          st.inDoubt = false;
          if (!e.data.willRetry) st.endedAt = e.ts;
          addCalls(st, e.data.calls);
        }
        break;
      case "abort.fired":
        s.abort = {
          reason: e.data.reason,
          criterion: e.data.criterion,
          at: e.ts,
          ...(e.data.duringStep ? { duringStep: e.data.duringStep } : {}),
        };
        break;
      case "drill.verdict":
        s.drill = e.data;
        break;
      case "rpo.reconciled":
        s.reconciled = { ...e.data, at: e.ts };
        break;
      case "execution.paused":
        s.status = "paused";
        s.pausedAt = { stepId: e.data.stepId, at: e.ts, reason: e.data.reason, message: e.data.message };
        break;
      case "execution.completed":
        s.status = "completed";
        s.endedAt = e.ts;
        break;
      case "execution.failed":
        s.status = "failed";
        s.endedAt = e.ts;
        s.failure = { ...(e.data.stepId ? { stepId: e.data.stepId } : {}), message: e.data.message };
        break;
      case "execution.aborted":
        s.status = "aborted";
        s.endedAt = e.ts;
        s.abort = {
          ...(s.abort ?? { at: e.ts }),
          reason: s.abort?.reason ?? e.data.reason,
          ...(e.data.criterion ? { criterion: e.data.criterion } : {}),
          ...(e.data.declinedGate ? { declinedGate: e.data.declinedGate } : {}),
        };
        break;
    }
  }
  return s;
}

function noteCaller(st: StepState, d: { account?: string; principal?: string }): void {
  if (d.account) st.account = d.account;
  if (d.principal) st.principal = d.principal;
}

function addCalls(st: StepState, calls: Record<string, number> | undefined): void {
  if (!calls) return;
  st.calls ??= {};
  for (const [name, n] of Object.entries(calls)) st.calls[name] = (st.calls[name] ?? 0) + n;
}

/** Achieved RTO: service_restored − incident_declared, once both are known. */
export function achievedRtoMs(s: ExecutionState): number | undefined {
  const restored = s.milestones.service_restored;
  if (!restored) return undefined;
  return Date.parse(restored) - Date.parse(s.milestones.incident_declared ?? s.declaredAt);
}

/** The exact RPO `runbook reconcile` found from the old primary's data, once it ran. */
export function reconciledRpoMs(s: ExecutionState): number | undefined {
  return s.reconciled?.rpoMs;
}

/** Observed RPO: a measurement recorded by an executor (`rpo_observed_ms`), never assumed. */
export function observedRpoMs(s: ExecutionState): number | undefined {
  return s.measures.rpo_observed_ms?.value;
}
