import type { HistoryEvent } from "@aws-sdk/client-sfn";
import type { ImportContext } from "./import-context.js";
import { parseJson } from "./task-payloads.js";

/**
 * State and execution events: the states the export adds for the runbook's own structure
 * (`<id>.skip`, `milestone.<name>`, a block's Parallel) become what the local engine journals
 * for that structure; the execution's end becomes its terminal event.
 */

export function mapStateEvent(ctx: ImportContext, e: HistoryEvent): void {
  const name = e.stateEnteredEventDetails?.name ?? e.stateExitedEventDetails?.name;
  const state = ctx.state(name);
  switch (e.type) {
    case "TaskStateEntered": {
      ctx.cursor.tasks[name!] = Number(e.id);
      // Step Functions counts a state's retries from its entry.
      if (state?.stepId !== undefined && ctx.cursor.steps[state.stepId])
        ctx.cursor.steps[state.stepId]!.retries = undefined;
      return;
    }
    case "TaskStateExited":
      delete ctx.cursor.tasks[name!];
      return;
    case "PassStateEntered":
      if (state?.kind === "skip" && state.stepId !== undefined) skip(ctx, state.stepId, state.reason);
      else if (state?.kind === "milestone") milestone(ctx, name!, state.milestone, state.stepId);
      else if (state?.kind === "merge") blockDone(ctx, state.stepId);
      return;
    case "ParallelStateExited":
      blockDone(ctx, state?.stepId);
      return;
  }
}

function skip(ctx: ImportContext, stepId: string, said?: "condition" | "pastPointOfNoReturn"): void {
  const p = ctx.progress(stepId);
  if (p.outcome) return;
  const step = ctx.stepsById.get(stepId);
  const always = step?.kind === "executor" && step.always;
  // The export says why its skip state is there; else, as the local engine decides: an onAbort
  // step past the point of no return is skipped for that, before its condition is looked at.
  const pastPointOfNoReturn =
    said === "pastPointOfNoReturn" ||
    (said === undefined &&
      ctx.onAbortIds.has(stepId) &&
      !always &&
      (ctx.pastPointOfNoReturn() || !step?.when));
  if (pastPointOfNoReturn) {
    p.outcome = "skipped";
    ctx.emit(
      "step.skipped",
      {
        reason: "pastPointOfNoReturn",
        detail: "skipped: the point of no return was passed; this step would undo work that must stand",
      },
      stepId,
    );
    return;
  }
  p.outcome = "skipped";
  ctx.emit("step.skipped", { reason: "condition", detail: `condition false: ${step?.when}` }, stepId);
  for (const c of ctx.block(stepId)?.children ?? []) {
    ctx.progress(c.id).outcome = "skipped";
    ctx.emit("step.skipped", { reason: "condition", detail: `block ${stepId} skipped` }, c.id);
  }
}

/** A milestone Pass follows the step that reaches it; a skipped step reaches none. */
function milestone(ctx: ImportContext, stateName: string, name: string | undefined, stepId?: string): void {
  if (stepId !== undefined && ctx.cursor.steps[stepId]?.outcome !== "succeeded") return;
  ctx.milestone(name ?? stateName.replace(/^milestone\./, ""), ctx.ts.toISOString(), stepId);
}

/** A block succeeds once every child has succeeded or been skipped, as the local engine's block does. */
function blockDone(ctx: ImportContext, blockId: string | undefined): void {
  const block = ctx.block(blockId);
  if (!block) return;
  const p = ctx.progress(block.id);
  if (p.outcome) return;
  const done = block.children.every((c) => {
    const o = ctx.cursor.steps[c.id]?.outcome;
    return o === "succeeded" || o === "skipped";
  });
  if (!done) return;
  p.outcome = "succeeded";
  ctx.emit("step.succeeded", { attempt: 1, outputs: {}, durationMs: 0 }, block.id);
}

export const EXECUTION_EVENTS = new Set([
  "ExecutionSucceeded",
  "ExecutionFailed",
  "ExecutionAborted",
  "ExecutionTimedOut",
  "ExecutionRedriven",
]);

export function mapExecutionEvent(ctx: ImportContext, e: HistoryEvent): void {
  const c = ctx.cursor;
  switch (e.type) {
    case "ExecutionSucceeded":
      ctx.failAllOpen("cancelled: the execution ended");
      ctx.emit("execution.completed", {});
      return;
    case "ExecutionFailed": {
      const d = e.executionFailedEventDetails;
      // After an abort, a failure ends the abort (an onAbort step failing), as locally.
      if (c.abort || d?.error === "Runbook.Aborted") {
        ctx.failAllOpen("cancelled: execution aborted");
        ctx.emit("execution.aborted", {
          reason: c.abort?.reason ?? causeText(d?.cause) ?? "aborted",
          ...(c.abort ? { criterion: c.abort.criterion } : {}),
        });
        return;
      }
      const f = c.failure;
      ctx.failAllOpen(f ? `cancelled: step "${f.stepId}" failed` : "cancelled: the execution failed");
      const message = f?.message ?? [d?.error, causeText(d?.cause)].filter(Boolean).join(": ");
      ctx.emit("execution.failed", { ...(f ? { stepId: f.stepId } : {}), message: message || "failed" });
      return;
    }
    case "ExecutionAborted": {
      const why = causeText(e.executionAbortedEventDetails?.cause);
      ctx.failAllOpen("cancelled: the execution was stopped in Step Functions");
      ctx.emit("execution.failed", {
        message: `stopped in Step Functions (StopExecution)${why ? `: ${why}` : ""}`,
      });
      return;
    }
    case "ExecutionTimedOut":
      ctx.failAllOpen("cancelled: the execution timed out in Step Functions");
      ctx.emit("execution.failed", {
        message: "timed out in Step Functions: the execution ran past its state machine's TimeoutSeconds",
      });
      return;
    case "ExecutionRedriven":
      // Step Functions runs the failed states again: the local engine's resume.
      c.failure = undefined;
      ctx.emit("execution.resumed", { operator: "Step Functions (RedriveExecution)", host: "", pid: 0 });
      return;
  }
}

/** A cause as an operator reads it: Lambda's `errorMessage`, or the text itself. */
function causeText(cause: string | undefined): string | undefined {
  if (!cause) return undefined;
  const c = parseJson(cause) as { errorMessage?: unknown } | undefined;
  const inner = typeof c?.errorMessage === "string" ? c.errorMessage : undefined;
  const ours = parseJson(inner) as { message?: unknown } | undefined;
  if (typeof ours?.message === "string") return ours.message;
  return inner ?? cause;
}
