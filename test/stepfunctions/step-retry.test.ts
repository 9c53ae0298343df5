import { describe, expect, it } from "vitest";
import { retryDecision, stepRetry } from "../../src/stepfunctions/step-retry.js";

describe("stepRetry", () => {
  it("counts retries, not attempts, in whole seconds of at least one", () => {
    const [own, lambda] = stepRetry({ retry: { attempts: 4, backoffMs: 1500, maxBackoffMs: 5000 } });
    expect(own).toEqual({
      ErrorEquals: ["Runbook.Retryable", "Runbook.Timeout", "States.Timeout"],
      IntervalSeconds: 2,
      MaxAttempts: 3,
      BackoffRate: 2,
      MaxDelaySeconds: 5,
    });
    expect(lambda!.ErrorEquals).toContain("Lambda.ServiceException");
    expect(stepRetry({ retry: { attempts: 1, backoffMs: 200, maxBackoffMs: 100 } })).toHaveLength(1);
  });
});

describe("retryDecision", () => {
  const retriers = stepRetry({ retry: { attempts: 4, backoffMs: 1000, maxBackoffMs: 3000 } });

  it("doubles the delay per retry of the same retrier, capped, until its attempts are used", () => {
    const used: number[] = [];
    const delays: (number | undefined)[] = [];
    for (let i = 0; i < 4; i++) {
      const d = retryDecision(retriers, used, "Runbook.Retryable");
      delays.push(d?.delayMs);
      if (d) used[d.retrier] = (used[d.retrier] ?? 0) + 1;
    }
    expect(delays).toEqual([1000, 2000, 3000, undefined]);
  });

  it("never retries a conflict or a fatal error; Lambda's own failures have their own budget", () => {
    expect(retryDecision(retriers, [], "Runbook.Fatal")).toBeUndefined();
    expect(retryDecision(retriers, [], "Runbook.Conflict")).toBeUndefined();
    expect(retryDecision(retriers, [3], "Lambda.TooManyRequestsException")).toEqual({
      retrier: 1,
      delayMs: 1000,
    });
    expect(retryDecision(retriers, [0, 3], "Lambda.ServiceException")).toBeUndefined();
  });

  it("States.ALL matches any error", () => {
    const all = [{ ErrorEquals: ["States.ALL"], IntervalSeconds: 3, MaxAttempts: 1, BackoffRate: 1.5 }];
    expect(retryDecision(all, [], "Anything")).toEqual({ retrier: 0, delayMs: 3000 });
  });
});
