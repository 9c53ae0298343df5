/**
 * Polling in the shape of the AWS SDK waiters: `checkState` says SUCCESS, FAILURE or RETRY;
 * the delay starts small and grows to a cap, so a change is noticed quickly without
 * hammering the API. Unlike the SDK waiters the first delay can be sub-second: a
 * promotion's completion should be seen within a second of AWS reporting it.
 */

import { classifyError } from "../executor.js";

export type PollState<T> =
  | { state: "SUCCESS"; value: T }
  | { state: "FAILURE"; reason: string }
  | { state: "RETRY"; detail?: string };

export interface PollOptions {
  signal: AbortSignal;
  minDelayMs?: number;
  maxDelayMs?: number;
  /** Called after each RETRY with what is being waited for (progress for the operator). */
  onRetry?: (detail: string | undefined, attempt: number) => void;
}

export class PollFailedError extends Error {}

export async function poll<T>(checkState: () => Promise<PollState<T>>, o: PollOptions): Promise<T> {
  const min = o.minDelayMs ?? 250;
  const max = o.maxDelayMs ?? 1000;
  for (let attempt = 1; ; attempt++) {
    let r: PollState<T>;
    try {
      r = await checkState();
    } catch (err) {
      // Like the SDK waiters: a throttled or failed read while waiting is a reason to wait more,
      // not to give up on an operation that is under way.
      if (o.signal.aborted || classifyError(err).class !== "retryable") throw err;
      r = { state: "RETRY", detail: `read failed (${classifyError(err).message}); waiting` };
    }
    if (r.state === "SUCCESS") return r.value;
    if (r.state === "FAILURE") throw new PollFailedError(r.reason);
    o.onRetry?.(r.detail, attempt);
    const delay = Math.min(max, min * 1.5 ** (attempt - 1));
    await new Promise<void>((resolve, reject) => {
      if (o.signal.aborted) return reject(o.signal.reason);
      const t = setTimeout(() => {
        o.signal.removeEventListener("abort", onAbort);
        resolve();
      }, delay);
      const onAbort = () => {
        clearTimeout(t);
        reject(o.signal.reason);
      };
      o.signal.addEventListener("abort", onAbort, { once: true });
    });
  }
}
