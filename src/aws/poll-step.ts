import { type ExecutorContext, fatal } from "../executor.js";
import { PollFailedError, type PollState, poll } from "./poll.js";

/**
 * `poll` as a step waits: 250 ms growing to 2 s between reads, what it waits for in the
 * operator's live view, and a FAILURE (the end state can no longer come) as a fatal error.
 */
export function pollStep<T>(ctx: ExecutorContext, checkState: () => Promise<PollState<T>>): Promise<T> {
  return poll(checkState, {
    signal: ctx.signal,
    minDelayMs: 250,
    maxDelayMs: 2_000,
    onRetry: (detail) => ctx.progress(detail ?? ""),
  }).catch((err: unknown) => {
    throw err instanceof PollFailedError ? fatal(err.message) : err;
  });
}
