import type { ExecutorStepIR } from "../language/runbook.js";

/**
 * A step's `Retry` on Step Functions (issue 13 contract), and what Step Functions does with it
 * when the step's Task fails: the history has no event saying a Task will be retried, so the
 * import works it out the way Step Functions does, from the same retriers.
 */

export interface AslRetrier {
  ErrorEquals: string[];
  IntervalSeconds: number;
  MaxAttempts: number;
  BackoffRate: number;
  MaxDelaySeconds?: number;
}

/** Errors our executors retry on (ASL counts retries, we count attempts: `attempts − 1`). */
export const STEP_RETRY_ERRORS = ["Runbook.Retryable", "Runbook.Timeout", "States.Timeout"];

/** Lambda's own transient failures: safe to retry, the runner checks before it acts. */
export const LAMBDA_RETRY_ERRORS = [
  "Lambda.ServiceException",
  "Lambda.AWSLambdaException",
  "Lambda.SdkClientException",
  "Lambda.TooManyRequestsException",
];

export function stepRetry(step: Pick<ExecutorStepIR, "retry">): AslRetrier[] {
  const { attempts, backoffMs, maxBackoffMs } = step.retry;
  const interval = Math.max(1, Math.round(backoffMs / 1000));
  const own: AslRetrier[] =
    attempts > 1
      ? [
          {
            ErrorEquals: STEP_RETRY_ERRORS,
            IntervalSeconds: interval,
            MaxAttempts: attempts - 1,
            BackoffRate: 2,
            MaxDelaySeconds: Math.max(interval, Math.ceil(maxBackoffMs / 1000)),
          },
        ]
      : [];
  return [...own, { ErrorEquals: LAMBDA_RETRY_ERRORS, IntervalSeconds: 1, MaxAttempts: 3, BackoffRate: 2 }];
}

export interface RetryDecision {
  /** Which retrier matched (Step Functions counts retries per retrier). */
  retrier: number;
  delayMs: number;
}

/**
 * What Step Functions does after a Task of this state failed with `error`, given the retries
 * each retrier has used since the state was entered: the first retrier naming the error (or
 * `States.ALL`) decides; it retries while it has attempts left, after IntervalSeconds ×
 * BackoffRate^(retries so far), capped at MaxDelaySeconds.
 */
export function retryDecision(
  retriers: readonly AslRetrier[],
  used: readonly number[],
  error: string,
): RetryDecision | undefined {
  const i = retriers.findIndex((r) => r.ErrorEquals.includes(error) || r.ErrorEquals.includes("States.ALL"));
  if (i < 0) return undefined;
  const r = retriers[i]!;
  const n = used[i] ?? 0;
  if (n >= r.MaxAttempts) return undefined;
  const seconds = r.IntervalSeconds * r.BackoffRate ** n;
  const capped = r.MaxDelaySeconds === undefined ? seconds : Math.min(seconds, r.MaxDelaySeconds);
  return { retrier: i, delayMs: Math.round(capped * 1000) };
}
