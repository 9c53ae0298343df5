import type { HistoryEvent } from "@aws-sdk/client-sfn";
import { type IdentityMode, identityModeFor } from "../engine/approvers.js";
import type { EventData, EventOrigin, EventType } from "../journal/events.js";
import type { ExecutorStepIR, ParallelStepIR, Runbook } from "../language/runbook.js";
import type { Manifest, ManifestState } from "./manifest.js";

/**
 * The state an import carries from one batch of history events to the next, and the few
 * operations every event mapping shares. The cursor is plain JSON: a follower may keep it in
 * memory between polls, or rebuild it on another machine from the journal (cursorFromJournal).
 */

export type JournalDraft = {
  [K in EventType]: { type: K; data: EventData[K]; stepId?: string; ts: Date; origin: EventOrigin };
}[EventType];

export interface StepProgress {
  /** Task attempts journaled (step.intent), as the local engine numbers them. */
  attempts: number;
  /** The attempt whose intent is journaled and whose outcome is not yet. */
  open?: { attempt: number; at: string; timeoutSeconds?: number };
  /** Retries each of the state's retriers has used since the state was entered. */
  retries?: number[];
  outcome?: "succeeded" | "failed" | "skipped";
  gateRequested?: true;
  approvedBy?: string[];
}

export interface ImportCursor {
  version: 1;
  executionArn?: string;
  /** The last history event folded into this cursor: the next batch starts right after it (at 1 for 0). */
  lastEventId: number;
  /**
   * Set by cursorFromJournal: the journal already holds the drafts of the history up to
   * `eventId` (the first `drafts` of that event's, a crash may have cut its batch), `total` in
   * all. Replaying the history from its first event rebuilds the rest of the cursor; drafts up
   * to there are counted (`seen`), checked against `total`, and not produced again.
   */
  journaled?: { eventId: number; drafts: number; total: number; seen: number };
  /** Task states entered and not yet left: state name → the last history event of its chain. */
  tasks: Record<string, number>;
  steps: Record<string, StepProgress>;
  milestones: string[];
  abort?: { criterion: string; reason: string; interrupt: string };
  /** The first step that failed for good: the execution's failure, as the local engine reports it. */
  failure?: { stepId: string; message: string };
}

export interface ImportInput {
  manifest: Manifest;
  runbook: Runbook;
  executionArn: string;
  events: readonly HistoryEvent[];
  cursor: ImportCursor;
  /** The environment's values, for rendering a gate's prompt as the approval function does. */
  vars?: Record<string, unknown>;
  /** Decides whether gates need proven identities (approvers.ts); default from the runbook. */
  identities?: IdentityMode;
}

export function emptyCursor(): ImportCursor {
  return { version: 1, lastEventId: 0, tasks: {}, steps: {}, milestones: [] };
}

export class ImportContext {
  readonly stepsById = new Map<string, ExecutorStepIR | ParallelStepIR>();
  readonly onAbortIds: Set<string>;
  readonly identities: IdentityMode;
  drafts: JournalDraft[] = [];
  private event?: HistoryEvent;

  constructor(
    readonly input: ImportInput,
    readonly cursor: ImportCursor,
  ) {
    const rb = input.runbook;
    for (const s of rb.steps) {
      this.stepsById.set(s.id, s);
      if (s.kind === "parallel") for (const c of s.children) this.stepsById.set(c.id, c);
    }
    for (const s of rb.onAbort) this.stepsById.set(s.id, s);
    this.onAbortIds = new Set(rb.onAbort.map((s) => s.id));
    this.identities = input.identities ?? identityModeFor(rb);
  }

  /** Start mapping one history event: its drafts carry its time and its id. */
  begin(e: HistoryEvent): void {
    this.event = e;
    this.drafts = [];
  }

  get ts(): Date {
    const t = this.event?.timestamp;
    if (!t) throw new Error(`history event ${this.event?.id} has no timestamp`);
    return new Date(t);
  }

  emit<T extends EventType>(type: T, data: EventData[T], stepId?: string): void {
    const origin = { executionArn: this.input.executionArn, eventId: Number(this.event?.id) };
    this.drafts.push({
      type,
      data,
      ...(stepId !== undefined ? { stepId } : {}),
      ts: this.ts,
      origin,
    } as JournalDraft);
  }

  state(name: string | undefined): ManifestState | undefined {
    return name === undefined ? undefined : this.input.manifest.states[name];
  }

  progress(stepId: string): StepProgress {
    this.cursor.steps[stepId] ??= { attempts: 0 };
    return this.cursor.steps[stepId];
  }

  executorStep(stepId: string | undefined): ExecutorStepIR | undefined {
    const s = stepId === undefined ? undefined : this.stepsById.get(stepId);
    return s?.kind === "executor" ? s : undefined;
  }

  block(stepId: string | undefined): ParallelStepIR | undefined {
    const s = stepId === undefined ? undefined : this.stepsById.get(stepId);
    return s?.kind === "parallel" ? s : undefined;
  }

  /** Milliseconds from the open attempt's intent to this event. */
  elapsedMs(stepId: string): number {
    const at = this.cursor.steps[stepId]?.open?.at;
    return at === undefined ? 0 : Math.max(0, this.ts.getTime() - Date.parse(at));
  }

  /** The attempt now ending: its outcome is being journaled, so its intent is no longer open. */
  closeAttempt(stepId: string): number {
    const p = this.progress(stepId);
    const attempt = p.open?.attempt ?? p.attempts;
    p.open = undefined;
    return attempt;
  }

  /** An open attempt that Step Functions stopped (or that an abort or failure cancels): failed, not retried. */
  failOpen(stepId: string, message: string): void {
    const p = this.cursor.steps[stepId];
    if (!p?.open) return;
    const durationMs = this.elapsedMs(stepId);
    const attempt = this.closeAttempt(stepId);
    p.outcome = "failed";
    this.emit(
      "step.failed",
      { attempt, error: { message, class: "fatal" }, durationMs, willRetry: false },
      stepId,
    );
  }

  /** The steps whose intent is open, in the order their attempts were journaled. */
  openSteps(): string[] {
    return Object.entries(this.cursor.steps)
      .filter(([, p]) => p.open)
      .sort(([, a], [, b]) => Date.parse(a.open!.at) - Date.parse(b.open!.at))
      .map(([id]) => id);
  }

  failAllOpen(message: string): void {
    for (const id of this.openSteps()) this.failOpen(id, message);
  }

  /** What an attempt stopped by Step Functions was stopped for. */
  interruption(): string {
    if (this.cursor.abort) return this.cursor.abort.interrupt;
    if (this.cursor.failure) return `cancelled: step "${this.cursor.failure.stepId}" failed`;
    return "cancelled: the execution was stopped in Step Functions";
  }

  /** The first occurrence counts (as in the fold): a milestone is journaled once. */
  milestone(name: string, at: string, stepId?: string): void {
    if (this.cursor.milestones.includes(name)) return;
    this.cursor.milestones.push(name);
    this.emit("milestone", { name, at }, stepId);
  }

  /** Has a point-of-no-return step been attempted? Then onAbort steps that would undo work are skipped. */
  pastPointOfNoReturn(): boolean {
    for (const s of this.stepsById.values())
      if (s.kind === "executor" && s.pointOfNoReturn && (this.cursor.steps[s.id]?.attempts ?? 0) > 0)
        return true;
    return false;
  }
}
