import type { HistoryEvent } from "@aws-sdk/client-sfn";
import type { ImportContext } from "./import-context.js";
import { gateClosed, gateFailed, gateRequested } from "./import-gates.js";
import { retryDecision, stepRetry } from "./step-retry.js";
import { probeResultOf, stepResultOf, taskErrorOf, taskPayloadOf } from "./task-payloads.js";

/**
 * Task events (scheduled, started, succeeded, failed, aborted) name no state: each points at
 * the event before it in its own branch (`previousEventId`), back to its state's
 * TaskStateEntered. The cursor keeps, per open Task state, the last event of that chain, so an
 * event is attributed even when parallel branches interleave.
 */

const FAILED = new Set(["TaskFailed", "TaskTimedOut", "TaskStartFailed", "TaskSubmitFailed"]);
export const TASK_EVENTS = new Set([
  "TaskScheduled",
  "TaskStarted",
  "TaskSubmitted",
  "TaskSucceeded",
  "TaskStateAborted",
  ...FAILED,
]);

export function mapTaskEvent(ctx: ImportContext, e: HistoryEvent): void {
  const type = String(e.type);
  const name = ownerOf(ctx, e);
  if (name === undefined) {
    // An abort may name no state we can find; the execution's end closes what it left open.
    if (type === "TaskStateAborted") return;
    throw new Error(
      `history event ${e.id} (${type}) of ${ctx.input.executionArn} belongs to no Task state this import knows (previous event ${e.previousEventId})`,
    );
  }
  if (type === "TaskStateAborted") delete ctx.cursor.tasks[name];
  else ctx.cursor.tasks[name] = Number(e.id);
  const state = ctx.state(name);
  if (state?.kind === "probe" || state?.kind === "watch") {
    probeTask(ctx, e, state.criterion);
    return;
  }
  const stepId = state?.stepId;
  if (stepId === undefined) return;
  if (state?.kind === "step") stepTask(ctx, e, stepId);
  else if (state?.kind === "gate") gateTask(ctx, e, stepId);
}

function ownerOf(ctx: ImportContext, e: HistoryEvent): string | undefined {
  const named = e.stateExitedEventDetails?.name;
  if (named !== undefined) return named;
  const open = Object.entries(ctx.cursor.tasks);
  const prev = e.previousEventId;
  const chained = open.find(([, last]) => last === prev)?.[0];
  if (chained !== undefined) return chained;
  // Without a usable chain: the one open state the Task's own parameters (or its uniqueness) name.
  if (e.type === "TaskScheduled") {
    const p = taskPayloadOf(e.taskScheduledEventDetails?.parameters);
    const fits = open.filter(([n]) => {
      const s = ctx.state(n);
      if (p.action === "probe") return s?.criterion === p.criterion;
      return s?.stepId === p.stepId && (p.action === "step") === (s?.kind === "step");
    });
    if (fits.length === 1) return fits[0]![0];
  }
  return open.length === 1 ? open[0]![0] : undefined;
}

function stepTask(ctx: ImportContext, e: HistoryEvent, stepId: string): void {
  const step = ctx.executorStep(stepId);
  if (!step) return;
  const p = ctx.progress(stepId);
  switch (e.type) {
    case "TaskScheduled": {
      p.attempts += 1;
      const timeoutSeconds = e.taskScheduledEventDetails?.timeoutInSeconds;
      p.open = {
        attempt: p.attempts,
        at: ctx.ts.toISOString(),
        ...(timeoutSeconds !== undefined ? { timeoutSeconds } : {}),
      };
      // The params as written (templates unrendered), as the local engine journals them.
      ctx.emit("step.intent", { attempt: p.attempts, type: step.type, params: step.with }, stepId);
      return;
    }
    case "TaskSucceeded": {
      const r = stepResultOf(e.taskSucceededEventDetails?.output);
      const durationMs = r.durationMs ?? ctx.elapsedMs(stepId);
      for (const m of r.measures) ctx.emit("measure", m, stepId);
      for (const m of r.milestones) ctx.milestone(m.name, m.at, stepId);
      const attempt = ctx.closeAttempt(stepId);
      const caller = {
        ...(r.account ? { account: r.account } : {}),
        ...(r.principal ? { principal: r.principal } : {}),
      };
      if (r.alreadyInPlace)
        ctx.emit(
          "step.checked",
          { attempt, inPlace: true, ...(r.detail ? { detail: r.detail } : {}), ...caller },
          stepId,
        );
      p.outcome = "succeeded";
      ctx.emit(
        "step.succeeded",
        {
          attempt,
          outputs: r.outputs,
          durationMs,
          ...(r.alreadyInPlace ? { alreadyInPlace: true } : {}),
          ...(r.calls ? { calls: r.calls } : {}),
          ...(r.alreadyInPlace ? {} : caller),
        },
        stepId,
      );
      return;
    }
    case "TaskStateAborted":
      ctx.failOpen(stepId, ctx.interruption());
      return;
  }
  if (!FAILED.has(String(e.type))) return;
  const d =
    e.taskFailedEventDetails ??
    e.taskTimedOutEventDetails ??
    e.taskStartFailedEventDetails ??
    e.taskSubmitFailedEventDetails;
  const err = taskErrorOf(d?.error ?? (e.type === "TaskTimedOut" ? "States.Timeout" : undefined), d?.cause);
  if (err.name === "States.Timeout") {
    const ms = step.timeoutMs ?? (p.open?.timeoutSeconds ?? 0) * 1000;
    err.message = `timed out after ${ms} ms`;
  }
  const durationMs = err.durationMs ?? ctx.elapsedMs(stepId);
  const retry = retryDecision(stepRetry(step), p.retries ?? [], err.name);
  if (retry) {
    p.retries ??= [];
    p.retries[retry.retrier] = (p.retries[retry.retrier] ?? 0) + 1;
  } else {
    p.outcome = "failed";
    ctx.cursor.failure ??= { stepId, message: err.message };
  }
  const attempt = ctx.closeAttempt(stepId);
  ctx.emit(
    "step.failed",
    {
      attempt,
      error: { message: err.message, class: err.class },
      durationMs,
      willRetry: retry !== undefined,
      ...(retry ? { retryInMs: retry.delayMs } : {}),
      ...(err.calls ? { calls: err.calls } : {}),
    },
    stepId,
  );
}

function gateTask(ctx: ImportContext, e: HistoryEvent, stepId: string): void {
  switch (e.type) {
    case "TaskScheduled":
      gateRequested(ctx, stepId, e.taskScheduledEventDetails?.parameters);
      return;
    case "TaskSucceeded":
      gateClosed(ctx, stepId, e.taskSucceededEventDetails?.output);
      return;
    case "TaskStateAborted":
      // The gate of a `type: approval` step is that step's attempt.
      ctx.failOpen(stepId, ctx.interruption());
      return;
  }
  if (!FAILED.has(String(e.type))) return;
  const d =
    e.taskFailedEventDetails ??
    e.taskTimedOutEventDetails ??
    e.taskStartFailedEventDetails ??
    e.taskSubmitFailedEventDetails;
  gateFailed(ctx, stepId, {
    error: d?.error ?? (e.type === "TaskTimedOut" ? "States.Timeout" : "States.TaskFailed"),
    ...(d?.cause !== undefined ? { cause: d.cause } : {}),
  });
}

/** The watcher's probes journal nothing, unless one trips: then the abort fires, as locally. */
function probeTask(ctx: ImportContext, e: HistoryEvent, criterion: string | undefined): void {
  if (e.type !== "TaskSucceeded" || ctx.cursor.abort) return;
  const r = probeResultOf(e.taskSucceededEventDetails?.output);
  if (!r.tripped) return;
  const id = criterion ?? "unknown";
  const reason = r.reason ?? `abort criterion "${id}" tripped`;
  const main = ctx.openSteps().filter((s) => !ctx.onAbortIds.has(s));
  ctx.cursor.abort = { criterion: id, reason, interrupt: `interrupted: abort criterion "${id}" fired` };
  ctx.emit("abort.fired", { criterion: id, reason, ...(main[0] ? { duringStep: main[0] } : {}) });
}
