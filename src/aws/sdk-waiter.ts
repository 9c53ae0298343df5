import { ExecutorError } from "../executor.js";
import { isTruthy, searchResponse } from "./jmespath-fields.js";

/**
 * `waitFor` of an `aws.call`: the AWS SDK waiters' shape. Each poll's response is judged
 * SUCCESS (`until` true), FAILURE (`failWhen` true) or RETRY; retries back off from
 * `minDelay` toward `maxDelay`, each delay drawn at random between `minDelay` and the
 * doubled ceiling (the SDK's exponential backoff with jitter), until `timeout`.
 */

export interface WaitSpec {
  /** One read of the resource. */
  read(): Promise<unknown>;
  until: string;
  failWhen?: string;
  minDelayMs: number;
  maxDelayMs: number;
  timeoutMs: number;
  /** For the operator: what is being waited for. */
  describe: string;
  signal: AbortSignal;
  progress(message: string): void;
  random?: () => number;
  now?: () => number;
}

export async function waitForState(
  w: WaitSpec,
): Promise<{ response: unknown; polls: number; waitedMs: number }> {
  const now = w.now ?? Date.now;
  const random = w.random ?? Math.random;
  const started = now();
  for (let attempt = 1; ; attempt++) {
    const response = await w.read();
    if (w.failWhen && isTruthy(searchResponse(response, w.failWhen))) {
      throw new ExecutorError(
        `gave up waiting for ${w.describe}: ${w.failWhen} is true (${brief(response, w.until)})`,
        "fatal",
      );
    }
    const value = searchResponse(response, w.until);
    if (isTruthy(value)) return { response, polls: attempt, waitedMs: now() - started };
    const ceiling = Math.min(w.maxDelayMs, w.minDelayMs * 2 ** (attempt - 1));
    const delay = Math.round(w.minDelayMs + random() * Math.max(0, ceiling - w.minDelayMs));
    const elapsed = now() - started;
    if (elapsed + delay > w.timeoutMs) {
      throw new ExecutorError(
        `timed out after ${Math.round(elapsed / 1000)}s waiting for ${w.describe} (${w.until} is ${JSON.stringify(value)})`,
        "timeout",
      );
    }
    w.progress(
      `waiting for ${w.describe}: ${w.until} is ${short(value)} (poll ${attempt}, next in ${(delay / 1000).toFixed(1)}s)`,
    );
    await sleep(delay, w.signal);
  }
}

function brief(response: unknown, until: string): string {
  return `${until} is ${short(searchResponse(response, until))}`;
}

function short(v: unknown): string {
  const s = JSON.stringify(v) ?? "null";
  return s.length > 80 ? `${s.slice(0, 77)}…` : s;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
