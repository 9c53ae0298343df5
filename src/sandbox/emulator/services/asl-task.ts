import { writeResult } from "./asl-paths.js";
import { AslError, abortableSleep, type RunOptions, type StateDefinition } from "./asl-types.js";

/**
 * A Task state: call the handler registered for `Resource`, retry per `Retry`
 * (IntervalSeconds × BackoffRate^n, MaxAttempts), and on final failure either follow a
 * matching `Catch` (the error lands at its ResultPath as {Error, Cause}) or fail.
 */
export interface TaskOutcome {
  output: unknown;
  /** Set when a Catch redirected the flow. */
  next?: string;
}

/** `States.ALL` matches anything; `States.TaskFailed` any task error (not timeouts, which we don't model). */
function errorMatches(patterns: string[], error: string): boolean {
  return (
    patterns.includes(error) || patterns.includes("States.ALL") || patterns.includes("States.TaskFailed")
  );
}

async function attempt(state: StateDefinition, effective: unknown, o: RunOptions): Promise<unknown> {
  const resource = state.Resource ?? "";
  const handler = o.handlers.get(resource);
  o.emit("TaskScheduled", { resource, resourceType: "lambda", parameters: JSON.stringify(effective) });
  const fail = (e: AslError): never => {
    o.emit("TaskFailed", { resource, resourceType: "lambda", error: e.error, cause: e.causeText });
    throw e;
  };
  if (!handler) return fail(new AslError("States.TaskFailed", `No task handler registered for ${resource}`));
  let result: unknown;
  try {
    result = await handler(effective);
  } catch (error) {
    return fail(new AslError(error instanceof Error ? error.name : "Error", String(error)));
  }
  o.emit("TaskSucceeded", { resource, resourceType: "lambda", output: JSON.stringify(result ?? null) });
  return result;
}

export async function runTask(
  state: StateDefinition,
  data: unknown,
  effective: unknown,
  o: RunOptions,
): Promise<TaskOutcome> {
  const retries = new Map<number, number>(); // retrier index → attempts used
  for (;;) {
    try {
      return { output: writeResult(data, await attempt(state, effective, o), state.ResultPath) };
    } catch (error) {
      if (!(error instanceof AslError)) throw error;
      const index = (state.Retry ?? []).findIndex((r) => errorMatches(r.ErrorEquals, error.error));
      const retrier = state.Retry?.[index];
      const used = retries.get(index) ?? 0;
      if (retrier && used < (retrier.MaxAttempts ?? 3) && !o.signal.aborted) {
        retries.set(index, used + 1);
        const delayS = (retrier.IntervalSeconds ?? 1) * (retrier.BackoffRate ?? 2) ** used;
        await abortableSleep(delayS * 1000 * o.waitScale, o.signal);
        continue;
      }
      const catcher = (state.Catch ?? []).find((c) => errorMatches(c.ErrorEquals, error.error));
      if (!catcher) throw error;
      const caught = { Error: error.error, Cause: error.causeText };
      return { output: writeResult(data, caught, catcher.ResultPath), next: catcher.Next };
    }
  }
}
