import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Logger } from "pino";
import type { Redactor } from "../../engine/redact.js";
import { type AwsClientFactory, classifyError, type ExecutorContext, fatal } from "../../executor.js";
import type { StepResult } from "./runner-contract.js";

/**
 * The executor context of a step (or probe) run by the steps function, as the local engine
 * builds it (src/engine/step-runner.ts `makeContext`) minus the journal: what the step records
 * is collected and returned with its result, and its signal is the invocation's deadline.
 */

/** What a step records through its context: returned with its result. */
export interface Collected {
  measures: StepResult["measures"];
  milestones: StepResult["milestones"];
}

export function makeContext(o: {
  executionId: string;
  id: string;
  signal: AbortSignal;
  logger: Logger;
  now: () => Date;
  redactor: Redactor;
  aws: AwsClientFactory;
  scratchRoot: string | undefined;
  collected: Collected;
}): ExecutorContext {
  const scratch = o.scratchRoot ?? tmpdir();
  return {
    executionId: o.executionId,
    stepId: o.id,
    // Step Functions counts the retries; a check before acting makes the number moot here.
    attempt: 1,
    signal: o.signal,
    logger: o.logger,
    now: o.now,
    // No project checkout in a Lambda: relative paths resolve in its writable folder.
    cwd: scratch,
    scratchDir: join(scratch, "runbook", o.executionId, o.id.replace(/[^\w.-]/g, "_")),
    env: {},
    secrets: () => o.redactor.list(),
    aws: o.aws,
    milestone: (name, at) => o.collected.milestones.push({ name, at: (at ?? o.now()).toISOString() }),
    measure: (name, value, unit = "") => {
      o.collected.measures[name] = { value, unit };
    },
    progress: (message) => o.logger.info({ progress: o.redactor.string(message) }),
    requestApproval: () =>
      Promise.reject(
        fatal("a gate is its own Task of the state machine: the steps function cannot wait for one"),
      ),
  };
}

export interface Deadline {
  signal: AbortSignal;
  clear(): void;
  /** Why it fired, in words. */
  why?: string;
}

/** The signal fires this long before Lambda would kill the invocation, so the step can say why. */
const DEADLINE_MARGIN_MS = 1000;

/** Aborts at the step's timeout or a second before the function's time is up, whichever is first. */
export function deadlineSignal(
  remainingMs: (() => number) | undefined,
  timeoutMs: number | undefined,
): Deadline {
  const controller = new AbortController();
  const left = remainingMs ? remainingMs() - DEADLINE_MARGIN_MS : Number.POSITIVE_INFINITY;
  const limit = Math.min(left, timeoutMs ?? Number.POSITIVE_INFINITY);
  const d: Deadline = { signal: controller.signal, clear: () => undefined };
  if (!Number.isFinite(limit)) return d;
  const why =
    limit === left
      ? `the function's time ran out (${Math.max(0, Math.round(left + DEADLINE_MARGIN_MS))} ms were left)`
      : `the step's timeout of ${timeoutMs} ms passed`;
  const fire = () => {
    d.why = why;
    controller.abort(new DOMException(why, "TimeoutError"));
  };
  if (limit <= 0) fire();
  else {
    const timer = setTimeout(fire, limit);
    d.clear = () => clearTimeout(timer);
  }
  return d;
}

/** A failure's class: `timeout` whenever the deadline fired, whatever the executor threw then. */
export function classify(err: unknown, deadline: Deadline): ReturnType<typeof classifyError> {
  if (deadline.why) {
    const own = (err as Error)?.message;
    const message = own && own !== deadline.why ? `${deadline.why}: ${own}` : deadline.why;
    return { message, class: "timeout" };
  }
  return classifyError(err);
}
