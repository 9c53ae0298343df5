import type { ExecutorStepIR, ParallelStepIR, Runbook, StepIR } from "../language/runbook.js";

/**
 * Runbook → xstate v5 machine config. Pure: no I/O, no clock, no randomness. Everything the
 * machine does is named here (actors `step`/`gate`, guards, actions, delays) and bound to an
 * implementation by the engine through `setup()`, as xstate's own setup() intends.
 *
 * Shape: start → main (steps in order; `parallel` blocks as parallel states) → completed,
 * with ABORT from anywhere in main → aborting (the onAbort steps) → aborted. Each step is
 * decide → [gate] → attempt ⇄ backoff → $ok; timeouts and retries are delayed transitions.
 */

// biome-ignore lint/suspicious/noExplicitAny: xstate configs are plain JSON-like objects here
export type StateConfig = Record<string, any>;

export const FINAL_OK = "$ok";
export const timeoutDelay = (stepId: string) => `timeout:${stepId}`;
export const backoffDelay = (stepId: string) => `backoff:${stepId}`;

type Phase = "main" | "onAbort";

export function compile(runbook: Runbook): StateConfig {
  return {
    id: "runbook",
    initial: "start",
    states: {
      // A resumed execution whose abort was already recorded goes straight to its onAbort steps.
      start: { always: [{ guard: "abortRecorded", target: "aborting" }, { target: "main" }] },
      main: {
        on: { ABORT: { target: "aborting", actions: [{ type: "recordAbort" }] } },
        ...sequence(runbook.steps, "main"),
        onDone: "completed",
      },
      aborting: { ...sequence(runbook.onAbort, "onAbort"), onDone: "aborted" },
      completed: { type: "final" },
      failed: { type: "final" },
      aborted: { type: "final" },
      paused: { type: "final" },
    },
  };
}

function sequence(steps: readonly StepIR[], phase: Phase): StateConfig {
  const states: StateConfig = { $done: { type: "final" } };
  steps.forEach((step, i) => {
    const next = steps[i + 1]?.id ?? "$done";
    states[step.id] = {
      ...(step.kind === "parallel" ? parallelBlock(step) : executorStep(step, phase)),
      onDone: next,
    };
  });
  return { initial: steps[0]?.id ?? "$done", states };
}

/** Where a step goes when it cannot go on: in onAbort, failures end the abort, not start a new one. */
const failTarget = (phase: Phase) => (phase === "main" ? "#runbook.failed" : "#runbook.aborted");

/** A gate declined aborts (or ends an abort); a pause (gate waiting, step in doubt) stops resumably. */
function declinedOrPaused(stepId: string, phase: Phase) {
  return [
    {
      guard: "isDeclined",
      target: phase === "main" ? "#runbook.aborting" : "#runbook.aborted",
      actions: [{ type: "recordDecline", params: { stepId } }],
    },
    {
      guard: "isPause",
      target: "#runbook.paused",
      actions: [{ type: "recordPause", params: { stepId } }],
    },
  ];
}

function gateState(stepId: string, phase: Phase, then: string): StateConfig {
  return {
    invoke: {
      src: "gate",
      input: { stepId },
      onDone: then,
      onError: [
        ...declinedOrPaused(stepId, phase),
        { target: failTarget(phase), actions: [{ type: "noteFailure", params: { stepId } }] },
      ],
    },
  };
}

function decideState(step: StepIR, phase: Phase, then: string): StateConfig {
  const stepId = step.id;
  return {
    always: [
      // On resume, steps the journal shows finished are not run again.
      { guard: { type: "finished", params: { stepId } }, target: FINAL_OK },
      ...(phase === "onAbort"
        ? [
            {
              guard: { type: "pastPointOfNoReturn", params: { stepId } },
              target: FINAL_OK,
              actions: [{ type: "recordSkip", params: { stepId, reason: "pastPointOfNoReturn" } }],
            },
          ]
        : []),
      {
        guard: { type: "conditionFalse", params: { stepId } },
        target: FINAL_OK,
        actions: [{ type: "recordSkip", params: { stepId, reason: "condition" } }],
      },
      { target: then },
    ],
  };
}

function executorStep(step: ExecutorStepIR, phase: Phase): StateConfig {
  const stepId = step.id;
  const failure = (willRetry: boolean, kind: "error" | "timeout") => ({
    actions: [
      { type: kind === "error" ? "journalFailure" : "journalTimeout", params: { stepId, willRetry } },
      ...(willRetry ? [] : [{ type: "noteFailure", params: { stepId } }]),
    ],
  });
  const retryOrFail = (kind: "error" | "timeout") => [
    { guard: { type: "canRetry", params: { stepId } }, target: "backoff", ...failure(true, kind) },
    { target: failTarget(phase), ...failure(false, kind) },
  ];
  return {
    initial: "decide",
    states: {
      decide: decideState(step, phase, step.approval ? "gate" : "attempt"),
      ...(step.approval ? { gate: gateState(stepId, phase, "attempt") } : {}),
      attempt: {
        entry: [{ type: "beginAttempt", params: { stepId } }],
        invoke: {
          src: "step",
          input: { stepId },
          onDone: { target: FINAL_OK, actions: [{ type: "journalSuccess", params: { stepId } }] },
          onError: [...declinedOrPaused(stepId, phase), ...retryOrFail("error")],
        },
        ...(step.timeoutMs !== undefined
          ? { after: { [timeoutDelay(stepId)]: retryOrFail("timeout") } }
          : {}),
      },
      backoff: { after: { [backoffDelay(stepId)]: "attempt" } },
      [FINAL_OK]: { type: "final" },
    },
  };
}

function parallelBlock(block: ParallelStepIR): StateConfig {
  const regions: StateConfig = {};
  for (const child of block.children) regions[child.id] = executorStep(child, "main");
  return {
    initial: "decide",
    states: {
      decide: decideState(block, "main", block.approval ? "gate" : "run"),
      ...(block.approval ? { gate: gateState(block.id, "main", "run") } : {}),
      run: {
        type: "parallel",
        states: regions,
        onDone: { target: FINAL_OK, actions: [{ type: "journalBlockDone", params: { stepId: block.id } }] },
      },
      [FINAL_OK]: { type: "final" },
    },
  };
}
