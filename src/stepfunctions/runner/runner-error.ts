import type { ErrorClass } from "../../journal/events.js";
import { ERROR_NAME_OF_CLASS, type RunnerErrorName } from "./runner-contract.js";

/**
 * A failure the functions throw for Step Functions to see. Lambda reports `name` as the
 * errorType, which becomes the Task's `error` (what Retry and Catch match); `message` is JSON
 * for the history importer. No stack: it would land in the execution's history, where it
 * helps nobody and may show paths of the build machine.
 */
export class RunnerError extends Error {
  constructor(
    name: RunnerErrorName,
    readonly detail: {
      message: string;
      class?: ErrorClass;
      durationMs?: number;
      calls?: Record<string, number>;
    },
  ) {
    super(JSON.stringify(detail));
    this.name = name;
    this.stack = "";
  }
}

/** An executor's failure, by its class. */
export function stepFailure(
  errorClass: ErrorClass,
  message: string,
  extra: { durationMs: number; calls?: Record<string, number> },
): RunnerError {
  return new RunnerError(ERROR_NAME_OF_CLASS[errorClass], {
    message,
    class: errorClass,
    durationMs: extra.durationMs,
    ...(extra.calls && Object.keys(extra.calls).length ? { calls: extra.calls } : {}),
  });
}

/** A payload or config that cannot work however often it is retried. */
export function fatalPayload(message: string): RunnerError {
  return new RunnerError("Runbook.Fatal", { message, class: "fatal" });
}
