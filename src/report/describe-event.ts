import type { AnyJournalEvent, ApprovalProof, PlannedStep } from "../journal/events.js";
import { formatDuration } from "../language/duration.js";
import { reconciledSentence } from "./reconciliation.js";
import type { EntryKind, Severity, TimelineEntry } from "./timeline-model.js";

/**
 * One journal event → one line of the chronological timeline, in words an incident
 * commander can read aloud in a review. Stateful only in remembering which attempts were
 * already seen, so an intent re-issued after a crash reads as such.
 */
export class EventDescriber {
  /** Highest attempt seen per step: an intent at or below it was re-issued after a resume. */
  private readonly highestAttempt = new Map<string, number>();
  /** Steps whose last attempt failed with a retry scheduled: their next intent is a retry. */
  private readonly retryScheduled = new Set<string>();
  /** The latest `rpo_observed_ms` (ms): the bound a later reconciliation is set beside. */
  private rpoBoundMs: number | undefined;

  constructor(
    private readonly plan: ReadonlyMap<string, PlannedStep>,
    private readonly declaredMs: number,
  ) {}

  describe(e: AnyJournalEvent): TimelineEntry | undefined {
    const d = this.text(e);
    if (!d) return undefined;
    // One shape for every entry (absent fields are undefined, which JSON leaves out): 100,000
    // entries of a single hidden class are cheaper to build and to collect than of four.
    return {
      seq: e.seq,
      at: e.ts,
      offsetMs: Date.parse(e.ts) - this.declaredMs,
      kind: d.kind,
      eventType: e.type,
      text: d.text,
      severity: d.severity,
      stepId: e.stepId,
      actor: d.actor,
    };
  }

  private onAbort(stepId: string | undefined): string {
    return stepId !== undefined && this.plan.get(stepId)?.phase === "onAbort" ? "onAbort: " : "";
  }

  private text(e: AnyJournalEvent): Described | undefined {
    const p = this.onAbort(e.stepId);
    switch (e.type) {
      case "execution.started": {
        const d = e.data;
        return line(
          "execution",
          "info",
          `Execution started (${d.mode}, ${d.environment}${d.environmentSource ? ` from ${d.environmentSource}` : ""}) on ${d.host}`,
          d.operator,
        );
      }
      case "execution.resumed":
        return line("resume", "warn", `Resumed on ${e.data.host} (pid ${e.data.pid})`, e.data.operator);
      case "lock.takenOver": {
        const v = e.data.previous;
        return line("lock", "warn", `Lock taken over from pid ${v.pid} on ${v.host} (held since ${v.since})`);
      }
      case "journal.repaired":
        return line(
          "repair",
          "warn",
          `Journal repaired after a crash: ${e.data.droppedBytes} torn bytes dropped`,
        );
      case "milestone":
        // Resume writes a milestone a killed engine missed, dated when its step succeeded.
        return Math.abs(Date.parse(e.data.at) - Date.parse(e.ts)) > 1_000
          ? line("milestone", "ok", `Milestone ${e.data.name} reached at ${e.data.at} (journaled on resume)`)
          : line("milestone", "ok", `Milestone ${e.data.name} reached`);
      case "measure":
        if (e.data.name === "rpo_observed_ms")
          this.rpoBoundMs = e.data.unit === "s" ? e.data.value * 1000 : e.data.value;
        return line(
          "measure",
          "info",
          `Measured ${e.data.name} = ${formatMeasure(e.data.value, e.data.unit)}`,
        );
      case "step.skipped":
        return skipped(p, e.data.reason, e.data.detail.replace(/^skipped: /, ""));
      case "gate.requested": {
        const d = e.data;
        const who = d.approvers?.length ? ` from ${d.approvers.join(", ")}` : "";
        const proven = d.identities === "aws" ? ", proven AWS identities only" : "";
        return line(
          "gate",
          "info",
          `Approval requested (${d.minApprovals} needed${who}${proven}): ${d.prompt}`,
        );
      }
      case "gate.approved":
        return line(
          "gate",
          "ok",
          `Approved by ${e.data.by} via ${e.data.via}${provenBy(e.data.proof)}`,
          e.data.by,
        );
      case "gate.declined": {
        const why = e.data.reason ? `: ${e.data.reason}` : "";
        return line(
          "gate",
          "error",
          `Declined by ${e.data.by} via ${e.data.via}${provenBy(e.data.proof)}${why}`,
          e.data.by,
        );
      }
      case "gate.refused": {
        const d = e.data;
        const what = d.decision === "decline" ? "A decline" : "An approval";
        const from = d.claimed ? ` from ${d.claimed}` : "";
        return line("gate", "warn", `${what}${from} via ${d.via} was refused: ${d.reason}`, d.claimed);
      }
      case "step.intent":
        return this.intent(p, e.stepId ?? "", e.data.attempt, e.data.type);
      case "step.checked": {
        const detail = e.data.detail ? ` (${e.data.detail})` : "";
        return e.data.inPlace
          ? line("check", "ok", `${p}Check: effect already in place${detail}`)
          : line("check", "info", `${p}Check: effect not in place, running it${detail}`);
      }
      case "step.succeeded":
        if (e.data.assumedBy !== undefined) {
          return line(
            "step",
            "warn",
            `${p}Marked done by ${e.data.assumedBy} (resume --assume-done); not verified`,
            e.data.assumedBy,
          );
        }
        if (e.stepId !== undefined && this.plan.get(e.stepId)?.parallel) {
          return line("step", "ok", `${p}Parallel block done: every branch finished`);
        }
        return e.data.alreadyInPlace
          ? line("step", "ok", `${p}Already in place (found by check); run not called`)
          : line(
              "step",
              "ok",
              `${p}Succeeded in ${formatDuration(e.data.durationMs)}${attemptNote(e.data.attempt)}`,
            );
      case "step.failed": {
        const d = e.data;
        if (d.willRetry) {
          if (e.stepId !== undefined) this.retryScheduled.add(e.stepId);
          const wait = d.retryInMs !== undefined ? `; retry in ${formatDuration(d.retryInMs)}` : "";
          return line(
            "retry",
            "warn",
            `${p}Attempt ${d.attempt} failed (${d.error.class}): ${d.error.message}${wait}`,
          );
        }
        return line(
          "step",
          "error",
          `${p}Failed (${d.error.class}) on attempt ${d.attempt}: ${d.error.message}`,
        );
      }
      case "abort.fired": {
        if (e.data.criterion.startsWith("gate:")) {
          return line(
            "abort",
            "error",
            `Aborting: gate ${e.data.criterion.slice(5)} declined (${e.data.reason})`,
          );
        }
        const during = e.data.duringStep ? ` during ${e.data.duringStep}` : "";
        return line("abort", "error", `Abort criterion ${e.data.criterion} fired${during}: ${e.data.reason}`);
      }
      case "rpo.reconciled": {
        const d = e.data;
        const boundMs = this.rpoBoundMs ?? d.boundMs;
        return line(
          "measure",
          d.lostWritesTotal > 0 ? "warn" : "ok",
          reconciledSentence({ ...d, ...(boundMs !== undefined ? { boundMs } : {}) }),
          d.operator,
        );
      }
      case "execution.paused":
        return e.data.reason === "in-doubt"
          ? line(
              "execution",
              "warn",
              `Paused: ${e.data.stepId} is in doubt, an operator must decide (${e.data.message})`,
            )
          : line("execution", "warn", `Paused: waiting for approval of ${e.data.stepId} (${e.data.message})`);
      case "execution.completed":
        return line("execution", "ok", "Execution completed");
      case "execution.failed": {
        const at = e.data.stepId ? ` at ${e.data.stepId}` : "";
        return line("execution", "error", `Execution failed${at}: ${e.data.message}`);
      }
      case "execution.aborted": {
        const d = e.data;
        const extra = d.declinedGate
          ? ` (gate ${d.declinedGate} declined)`
          : d.criterion
            ? ` (${d.criterion})`
            : "";
        return line("execution", "error", `Execution aborted: ${d.reason}${extra}`);
      }
      default:
        return undefined;
    }
  }

  private intent(p: string, stepId: string, attempt: number, type: string): Described {
    const highest = this.highestAttempt.get(stepId) ?? 0;
    const again = attempt <= highest;
    if (!again) this.highestAttempt.set(stepId, attempt);
    const retry = this.retryScheduled.delete(stepId);
    if (again) return line("step", "warn", `${p}Attempt ${attempt} issued again after resume (${type})`);
    if (attempt > 1 && retry) return line("retry", "warn", `${p}Retry: attempt ${attempt} started`);
    if (attempt > 1) return line("step", "info", `${p}Attempt ${attempt} started (${type})`);
    return line("step", "info", `${p}Started (${type})`);
  }
}

interface Described {
  kind: EntryKind;
  severity: Severity;
  text: string;
  actor?: string;
}

function line(kind: EntryKind, severity: Severity, text: string, actor?: string): Described {
  return { kind, severity, text, actor };
}

function skipped(
  p: string,
  reason: "condition" | "pastPointOfNoReturn" | "aborted",
  detail: string,
): Described {
  if (reason === "pastPointOfNoReturn")
    return line("skip", "warn", `${p}Skipped, past the point of no return: ${detail}`);
  if (reason === "aborted") return line("skip", "warn", `${p}Not run, execution aborted: ${detail}`);
  return line("skip", "info", `${p}Skipped (condition): ${detail}`);
}

function attemptNote(attempt: number): string {
  return attempt > 1 ? ` on attempt ${attempt}` : "";
}

/** `, proven by sts:GetCallerIdentity (request …)`: how an approver's identity was established. */
export function provenBy(proof: ApprovalProof | undefined): string {
  return proof ? `, proven by ${proof.method}${proof.requestId ? ` (request ${proof.requestId})` : ""}` : "";
}

export function formatMeasure(value: number, unit: string): string {
  if (unit === "ms") return `${formatDuration(value)} (${value} ms)`;
  if (unit === "s") return `${formatDuration(value * 1000)} (${value} s)`;
  return `${value} ${unit}`;
}
