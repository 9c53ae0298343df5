import { fromPromise, setup } from "xstate";
import { backoffDelay, compile, timeoutDelay } from "../compiler/compile.js";
import { ApprovalNeededError } from "../errors.js";
import { classifyError } from "../executor.js";
import { renderTemplate } from "../language/expressions.js";
import { GateDeclinedError } from "./approvals.js";
import type { Runtime } from "./runtime.js";
import { InDoubtError, runStep, type StepOutcome, StoppedError } from "./step-runner.js";

/**
 * Binds the compiled machine's names to this runtime: guards read the live fold of the
 * journal, actions append to it, actors run steps and gates. Nothing here decides order;
 * the compiled config does.
 */

type P = { stepId: string };
// biome-ignore lint/suspicious/noExplicitAny: event payloads of invoked actors are untyped in configs
type Ev = any;

export function createRunbookMachine(rt: Runtime) {
  const rb = rt.runbook;
  const delays: Record<string, number | (() => number)> = {};
  for (const step of rt.stepsById.values()) {
    if (step.kind !== "executor") continue;
    if (step.timeoutMs !== undefined) delays[timeoutDelay(step.id)] = step.timeoutMs;
    delays[backoffDelay(step.id)] = () => rt.nextBackoffMs.get(step.id) ?? step.retry.backoffMs;
  }

  const errorOf = (event: Ev) =>
    event?.type?.startsWith("xstate.after")
      ? { class: "timeout" as const, message: "" }
      : classifyError(event?.error);

  const closeIntent = (stepId: string) => {
    rt.openIntents.delete(stepId);
    rt.attemptStartedAt.delete(stepId);
  };

  const failStep = (
    stepId: string,
    willRetry: boolean,
    error: { message: string; class: ReturnType<typeof classifyError>["class"] },
  ) => {
    const step = rt.executorStep(stepId);
    const attempt = rt.openIntents.get(stepId) ?? rt.attemptNumber(stepId);
    const durationMs = rt.attemptElapsedMs(stepId);
    closeIntent(stepId);
    let retryInMs: number | undefined;
    if (willRetry) {
      const n = rt.attemptsThisRun.get(stepId) ?? 1;
      const ceiling = Math.min(step.retry.maxBackoffMs, step.retry.backoffMs * 2 ** (n - 1));
      // Equal jitter: never less than half the ceiling, so retries neither stampede nor stall.
      retryInMs = Math.round(ceiling / 2 + (rt.deps.random() * ceiling) / 2);
      rt.nextBackoffMs.set(stepId, retryInMs);
    }
    rt.record(
      "step.failed",
      {
        attempt,
        error,
        durationMs,
        willRetry,
        ...(retryInMs !== undefined ? { retryInMs } : {}),
        ...rt.takeCalls(stepId),
      },
      stepId,
    );
  };

  const milestoneFor = (stepId: string) => {
    const name = rt.stepsById.get(stepId)?.milestone;
    // The executor may have recorded it already, at the moment it observed it: keep that one.
    if (name && !rt.live.milestones[name])
      rt.record("milestone", { name, at: rt.now().toISOString() }, stepId);
  };

  const config = compile(rb);
  return setup({
    actors: {
      step: fromPromise<StepOutcome, P>(({ input, signal }) => runStep(rt, input.stepId, signal)),
      gate: fromPromise<unknown, P>(async ({ input, signal }) => {
        const approval = rt.stepsById.get(input.stepId)?.approval;
        if (rt.deps.stop?.aborted) throw new StoppedError(input.stepId);
        if (!approval || !rt.gates) return;
        const prompt = String(renderTemplate(approval.prompt, rt.scope()));
        await rt.gates.await(input.stepId, { ...approval, prompt }, signal);
      }),
    },
    guards: {
      abortRecorded: () => rt.live.abort !== undefined,
      finished: (_, { stepId }: P) =>
        ["succeeded", "skipped"].includes(rt.live.steps.get(stepId)?.status ?? ""),
      conditionFalse: (_, { stepId }: P) => {
        const when = rt.stepsById.get(stepId)?.when;
        return when !== undefined && !renderTemplate(when, rt.scope());
      },
      pastPointOfNoReturn: (_, { stepId }: P) =>
        !rt.executorStep(stepId).always && rt.pointOfNoReturnPassed(),
      canRetry: ({ event }: { event: Ev }, { stepId }: P) => {
        const cls = errorOf(event).class;
        if (cls !== "retryable" && cls !== "timeout") return false;
        return (rt.attemptsThisRun.get(stepId) ?? 0) < rt.executorStep(stepId).retry.attempts;
      },
      isDeclined: ({ event }: { event: Ev }) => event?.error instanceof GateDeclinedError,
      isPause: ({ event }: { event: Ev }) =>
        event?.error instanceof ApprovalNeededError ||
        event?.error instanceof InDoubtError ||
        event?.error instanceof StoppedError,
    },
    actions: {
      beginAttempt: (_, { stepId }: P) => {
        rt.attemptsThisRun.set(stepId, (rt.attemptsThisRun.get(stepId) ?? 0) + 1);
      },
      journalSuccess: ({ event }: { event: Ev }, { stepId }: P) => {
        const out = event.output as StepOutcome;
        closeIntent(stepId);
        rt.record(
          "step.succeeded",
          {
            attempt: out.attempt,
            outputs: out.outputs,
            durationMs: out.durationMs,
            ...(out.alreadyInPlace ? { alreadyInPlace: true } : {}),
            ...rt.takeCalls(stepId),
          },
          stepId,
        );
        milestoneFor(stepId);
      },
      journalFailure: ({ event }: { event: Ev }, { stepId, willRetry }: P & { willRetry: boolean }) => {
        const error = errorOf(event);
        // The journal keeps the message; the log keeps what an operator digs for (name, request id, stack).
        rt.deps.logger.error(
          {
            step: stepId,
            attempt: rt.openIntents.get(stepId),
            willRetry,
            class: error.class,
            err: event?.error,
          },
          "step failed",
        );
        failStep(stepId, willRetry, error);
      },
      journalTimeout: (_, { stepId, willRetry }: P & { willRetry: boolean }) =>
        failStep(stepId, willRetry, {
          class: "timeout",
          message: `timed out after ${rt.executorStep(stepId).timeoutMs} ms`,
        }),
      noteFailure: ({ event }: { event: Ev }, { stepId }: P) => {
        rt.failure = {
          stepId,
          message: event?.error
            ? classifyError(event.error).message
            : (rt.live.steps.get(stepId)?.error?.message ?? "failed"),
        };
      },
      journalBlockDone: (_, { stepId }: P) => {
        rt.record("step.succeeded", { attempt: 1, outputs: {}, durationMs: 0 }, stepId);
        milestoneFor(stepId);
      },
      recordSkip: (_, { stepId, reason }: P & { reason: "condition" | "pastPointOfNoReturn" }) => {
        const detail =
          reason === "condition"
            ? `condition false: ${rt.stepsById.get(stepId)?.when}`
            : "skipped: the point of no return was passed; this step would undo work that must stand";
        const s = rt.stepsById.get(stepId);
        rt.record("step.skipped", { reason, detail }, stepId);
        if (s?.kind === "parallel")
          for (const c of s.children)
            rt.record("step.skipped", { reason, detail: `block ${stepId} skipped` }, c.id);
      },
      recordAbort: ({ event }: { event: Ev }) => {
        rt.record("abort.fired", {
          criterion: event.criterion,
          reason: event.reason,
          ...(event.stepId ? { duringStep: event.stepId } : {}),
        });
        interruptOpenIntents(rt, `interrupted: abort criterion "${event.criterion}" fired`);
      },
      recordDecline: ({ event }: { event: Ev }, { stepId }: P) => {
        const err = event.error as GateDeclinedError;
        rt.record("abort.fired", {
          criterion: `gate:${stepId}`,
          reason: `gate declined by ${err.by}`,
          duringStep: stepId,
        });
        interruptOpenIntents(rt, `interrupted: gate "${stepId}" declined`);
      },
      recordPause: ({ event }: { event: Ev }, { stepId }: P) => {
        const error = event?.error;
        const reason =
          error instanceof InDoubtError ? "in-doubt" : error instanceof StoppedError ? "stopped" : "approval";
        rt.record("execution.paused", {
          reason,
          stepId,
          message: String((event?.error as Error | undefined)?.message ?? "paused"),
        });
      },
    },
    // biome-ignore lint/suspicious/noExplicitAny: delays keyed by step id are only known at run time
    delays: delays as any,
    // biome-ignore lint/suspicious/noExplicitAny: the config is generated; its names are bound above
  }).createMachine(config as any);
}

export function interruptOpenIntents(rt: Runtime, message: string): void {
  for (const [stepId, attempt] of rt.openIntents) {
    rt.record(
      "step.failed",
      {
        attempt,
        error: { message, class: "fatal" },
        durationMs: rt.attemptElapsedMs(stepId),
        willRetry: false,
        ...rt.takeCalls(stepId),
      },
      stepId,
    );
  }
  rt.openIntents.clear();
  rt.attemptStartedAt.clear();
}
