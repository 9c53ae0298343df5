import { join } from "node:path";
import { countCalls } from "../aws/counted-calls.js";
import { type ExecutorContext, fatal, type Outputs } from "../executor.js";
import { renderDeep } from "../language/expressions.js";
import type { ExecutorStepIR } from "../language/runbook.js";
import type { Runtime } from "./runtime.js";

/**
 * The one generic step actor: everything between "this step may start" and "it returned".
 * Order matters for exactly-once: probe abort criteria, render and check params, ask
 * `check` whether the effect is already there, journal the intent (fsync), and only then
 * call `run`. A crash after the intent leaves the step in doubt, which resume settles
 * with `check` before anything is repeated.
 */

export interface StepOutcome {
  outputs: Outputs;
  attempt: number;
  durationMs: number;
  alreadyInPlace?: boolean;
}

/** A crash left it unknown whether the step's effect happened, and nothing can tell. */
export class InDoubtError extends Error {
  constructor(readonly stepId: string) {
    super(
      `step "${stepId}" was interrupted after it started and has no check to tell whether its effect happened`,
    );
    this.name = "InDoubtError";
  }
}

/** The engine was asked to stop at the next safe point (between steps); resume continues. */
export class StoppedError extends Error {
  constructor(readonly stepId: string) {
    super(`stopped before step "${stepId}" as asked; continue with runbook resume`);
    this.name = "StoppedError";
  }
}

export async function runStep(rt: Runtime, stepId: string, signal: AbortSignal): Promise<StepOutcome> {
  if (rt.deps.stop?.aborted) throw new StoppedError(stepId);
  const step = rt.executorStep(stepId);
  const executor = rt.deps.registry.get(step.type)!;
  const attempt = rt.attemptNumber(stepId);
  const inDoubt = (rt.live.steps.get(stepId)?.inDoubt ?? false) && !rt.rerun.has(stepId);

  if (!rt.onAbortIds.has(stepId) && (await rt.watcher?.atBoundary(stepId))) {
    // An abort criterion fired: the ABORT transition will stop this actor; never act meanwhile.
    await new Promise((_, reject) =>
      signal.addEventListener("abort", () => reject(signal.reason), { once: true }),
    );
  }
  rt.attemptStartedAt.set(stepId, performance.now());
  const rendered = renderDeep(step.with, rt.scope());
  const parsed = executor.params.safeParse(rendered);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw fatal(
      `${step.type} params after substitution: ${issue.path.join(".") || "with"}: ${issue.message}`,
    );
  }
  const account = rt.accountOf(step);
  const counter = countCalls(rt.awsFor(account), rt.runbook.dir);
  rt.callCounters.set(stepId, counter);
  // Looked up while the check runs (once per session): the journal says who made the calls.
  const caller = executor.aws ? rt.callerOf(account) : Promise.resolve({});
  caller.catch(() => undefined);
  const ctx = makeContext(rt, step, attempt, signal, counter.aws);

  if (executor.check) {
    const check = await executor.check(parsed.data, ctx);
    if (check?.inPlace) {
      rt.record(
        "step.checked",
        { attempt, inPlace: true, ...(check.detail ? { detail: check.detail } : {}), ...(await caller) },
        stepId,
      );
      return {
        outputs: check.outputs ?? {},
        attempt,
        durationMs: rt.attemptElapsedMs(stepId),
        alreadyInPlace: true,
      };
    }
    if (inDoubt) {
      rt.record(
        "step.checked",
        { attempt, inPlace: false, detail: check?.detail ?? "no check available", ...(await caller) },
        stepId,
      );
      if (check === undefined && !executor.idempotent) throw new InDoubtError(stepId);
    }
  } else if (inDoubt && !executor.idempotent) {
    throw new InDoubtError(stepId);
  }

  // Durable before acting, unless running the step twice is harmless anyway.
  rt.attemptStartedAt.set(stepId, performance.now());
  rt.record(
    "step.intent",
    { attempt, type: step.type, params: step.with, ...(await caller) },
    stepId,
    !executor.idempotent,
  );
  rt.openIntents.set(stepId, attempt);
  const outputs = await executor.run(parsed.data, ctx);
  // A result that arrives after a timeout or abort is not this attempt's result any more.
  if (signal.aborted) throw signal.reason;
  return { outputs, attempt, durationMs: rt.attemptElapsedMs(stepId) };
}

function makeContext(
  rt: Runtime,
  step: ExecutorStepIR,
  attempt: number,
  signal: AbortSignal,
  aws: ExecutorContext["aws"],
): ExecutorContext {
  return {
    executionId: rt.executionId,
    stepId: step.id,
    attempt,
    signal,
    logger: rt.deps.logger.child({ step: step.id, attempt }),
    now: () => rt.now(),
    cwd: rt.deps.workdir,
    scratchDir: join(rt.deps.executionDir, "steps", step.id),
    env: rt.deps.env,
    secrets: () => rt.deps.redactor.list(),
    aws,
    milestone: (name, at) => rt.record("milestone", { name, at: (at ?? rt.now()).toISOString() }, step.id),
    measure: (name, value, unit = "") => rt.record("measure", { name, value, unit }, step.id),
    progress: (message) => rt.deps.onProgress?.(step.id, rt.deps.redactor.string(message)),
    requestApproval: (request) => {
      if (!rt.gates) throw new Error("internal: no gate keeper");
      return rt.gates.await(step.id, request, signal);
    },
  };
}
