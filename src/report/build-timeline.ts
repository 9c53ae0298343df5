import type { AnyJournalEvent, PlannedStep } from "../journal/events.js";
import { type ExecutionState, foldEvents } from "../journal/fold.js";
import type { ReadResult, VerifyResult } from "../journal/journal.js";
import { isNotJsonPlaceholder, verifyEvents } from "../journal/journal.js";
import { verifyJournal } from "../journal/verify-bytes.js";
import { EventDescriber } from "./describe-event.js";
import { summarize } from "./objectives.js";
import { buildReconciliation } from "./reconciliation.js";
import { buildStepSpans } from "./step-spans.js";
import {
  type Integrity,
  type Milestone,
  type Outcome,
  type Resume,
  TIMELINE_SCHEMA_VERSION,
  type Timeline,
  type TimelineEntry,
} from "./timeline-model.js";

/** The journal holds no `execution.started` event: there is nothing to draw a timeline of. */
export class NotAnExecutionJournalError extends Error {}

/**
 * The post-incident timeline as a pure function of a journal's events: no AWS, no clock,
 * no engine. A journal that fails verification still yields a timeline (what it says is all
 * there is), with `integrity.verified = false` for every renderer to shout about.
 */
export function buildTimeline(
  read: Pick<ReadResult, "events" | "tornTailBytes"> & { bytes?: Buffer },
  /** Already computed by the caller over the same events: not done twice on big journals. */
  done: { verified?: VerifyResult; state?: ExecutionState } = {},
): Timeline {
  const integrity = checkIntegrity(read, done.verified);
  const events = read.events.some(isNotJsonPlaceholder)
    ? read.events.filter((e) => !isNotJsonPlaceholder(e))
    : read.events;
  const state = done.state ?? foldEvents(events);
  if (!state) throw new NotAnExecutionJournalError("the journal has no readable execution.started event");
  const started = events.find((e) => e.type === "execution.started");
  const startData = started?.type === "execution.started" ? started.data : undefined;

  const outcome = outcomeOf(state.status);
  const unfinished = outcome === "in progress" || outcome === "paused";
  const declaredMs = Date.parse(state.milestones.incident_declared ?? state.declaredAt);
  const entries = describeAll(events, new Map(state.plan.map((p) => [p.id, p])), declaredMs);
  const steps = buildStepSpans(state, unfinished);
  const retries = entries.filter((e) => e.kind === "retry" && e.eventType === "step.intent").length;
  const lastEventAt = executionLastEventAt(events, state.lastEventAt);

  const milestones: Milestone[] = Object.entries(state.milestones)
    .map(([name, at]) => ({ name, at, offsetMs: Date.parse(at) - declaredMs }))
    .sort((a, b) => a.offsetMs - b.offsetMs || a.name.localeCompare(b.name));

  const header: Timeline["header"] = {
    executionId: state.executionId,
    runbook: state.runbook,
    environment: state.environment,
    mode: state.mode,
    operator: state.operator,
    host: startData?.host ?? "",
    engineVersion: startData?.engineVersion ?? "",
    declaredAt: state.milestones.incident_declared ?? state.declaredAt,
    startedAt: state.startedAt,
    lastEventAt,
    outcome,
    inputs: state.inputs,
  };
  if (state.endedAt !== undefined) header.endedAt = state.endedAt;
  const detail = outcomeDetail(state);
  if (detail !== undefined) header.outcomeDetail = detail;

  const timeline: Timeline = {
    schemaVersion: TIMELINE_SCHEMA_VERSION,
    warnings: integrityWarnings(integrity),
    header,
    summary: summarize(state, steps, retries, unfinished, lastEventAt),
    milestones,
    steps,
    entries,
    resumes: resumesOf(events),
    lockTakeovers: state.lockTakeovers,
    integrity,
  };
  const reconciliation = buildReconciliation(state, declaredMs);
  if (reconciliation) timeline.reconciliation = reconciliation;
  return timeline;
}

/**
 * The last event of the execution itself. `runbook reconcile` appends to the journal long
 * after the end (hours, once the old primary is back): counting it would stretch the
 * charts' time axis and the elapsed time of an unfinished execution over that wait.
 */
function executionLastEventAt(events: AnyJournalEvent[], fallback: string): string {
  for (let k = events.length - 1; k >= 0; k--) {
    const e = events[k];
    if (e && e.type !== "rpo.reconciled") return e.ts;
  }
  return fallback;
}

function describeAll(
  events: AnyJournalEvent[],
  plan: Map<string, PlannedStep>,
  declaredMs: number,
): TimelineEntry[] {
  const describer = new EventDescriber(plan, declaredMs);
  const entries: TimelineEntry[] = [];
  for (const e of events) {
    const entry = describer.describe(e);
    if (entry) entries.push(entry);
  }
  return entries;
}

/** Each resume with the quiet stretch before it: how long nothing ran, and why. */
function resumesOf(events: AnyJournalEvent[]): Resume[] {
  const resumes: Resume[] = [];
  for (let k = 0; k < events.length; k++) {
    const e = events[k];
    if (e?.type !== "execution.resumed") continue;
    let j = k - 1;
    while (j > 0 && (events[j]?.type === "journal.repaired" || events[j]?.type === "lock.takenOver")) j--;
    const before = events[j];
    const idleSince = before?.ts ?? e.ts;
    const after =
      before?.type === "execution.paused"
        ? "pause"
        : before?.type === "execution.failed"
          ? "failure"
          : before?.type === "execution.aborted"
            ? "abort"
            : "crash";
    resumes.push({
      at: e.ts,
      operator: e.data.operator,
      host: e.data.host,
      after,
      idleSince,
      idleMs: Date.parse(e.ts) - Date.parse(idleSince),
    });
  }
  return resumes;
}

function checkIntegrity(
  read: Pick<ReadResult, "events" | "tornTailBytes"> & { bytes?: Buffer },
  verified?: VerifyResult,
): Integrity {
  const v = verified ?? (read.bytes ? verifyJournal({ bytes: read.bytes }) : verifyEvents(read.events));
  const integrity: Integrity = {
    verified: v.ok,
    events: v.events,
    finalHash: v.finalHash,
    tornTailBytes: read.tornTailBytes,
  };
  if (v.problem) {
    const seq = Number.isFinite(v.problem.seq) ? v.problem.seq : null;
    integrity.problem = { line: v.problem.line, seq, message: v.problem.message };
  }
  return integrity;
}

/** The words every renderer puts at the top when the journal cannot be trusted as written. */
export function integrityWarnings(i: Integrity): string[] {
  const warnings: string[] = [];
  if (i.problem) {
    const seq = i.problem.seq === null ? "not JSON" : `seq ${i.problem.seq}`;
    warnings.push(
      `journal integrity check FAILED at line ${i.problem.line} (${seq}): ${i.problem.message}. ` +
        "The journal was changed after it was written; this timeline shows what the file says now, " +
        "which may not be what happened.",
    );
  }
  if (i.tornTailBytes > 0) {
    warnings.push(
      `the journal ends with ${i.tornTailBytes} bytes of an unfinished write (a crash or a write in progress); ` +
        "they are not shown.",
    );
  }
  return warnings;
}

function outcomeOf(status: string): Outcome {
  switch (status) {
    case "completed":
    case "failed":
    case "aborted":
    case "paused":
      return status;
    default:
      return "in progress";
  }
}

function outcomeDetail(state: NonNullable<ReturnType<typeof foldEvents>>): string | undefined {
  if (state.status === "failed" && state.failure) {
    return state.failure.stepId
      ? `step ${state.failure.stepId}: ${state.failure.message}`
      : state.failure.message;
  }
  if (state.status === "aborted" && state.abort) {
    const a = state.abort;
    if (a.declinedGate) return `gate ${a.declinedGate} declined: ${a.reason}`;
    if (a.criterion?.startsWith("gate:")) return `gate ${a.criterion.slice(5)} declined: ${a.reason}`;
    const during = a.duringStep ? ` during ${a.duringStep}` : "";
    return a.criterion ? `abort criterion ${a.criterion} fired${during}: ${a.reason}` : a.reason;
  }
  if (state.status === "paused" && state.pausedAt) {
    const p = state.pausedAt;
    return p.reason === "in-doubt"
      ? `${p.stepId} is in doubt after a crash: ${p.message}`
      : `waiting for approval of ${p.stepId}: ${p.message}`;
  }
  return undefined;
}
