import { describe, expect, it } from "vitest";
import { type ExecutorStepIR, NO_RETRY, type Runbook } from "../../src/language/runbook.js";
import { criticalPath, stepCostMs } from "../../src/lint/rto-budget.js";

const step = (over: Partial<ExecutorStepIR> & { id: string }): ExecutorStepIR => ({
  kind: "executor",
  type: "exec",
  with: {},
  retry: NO_RETRY,
  pointOfNoReturn: false,
  always: false,
  ...over,
});

const runbook = (steps: Runbook["steps"]): Runbook => ({
  name: "failover-x",
  environment: "nonprod",
  file: "x.yaml",
  dir: ".",
  sourceSha256: "",
  objectives: {},
  inputs: {},
  abort: [],
  steps,
  onAbort: [],
});

describe("stepCostMs", () => {
  it("is timeout × attempts plus each backoff at its ceiling, doubling up to maxBackoff", () => {
    const s = step({
      id: "a",
      timeoutMs: 10_000,
      retry: { attempts: 5, backoffMs: 1000, maxBackoffMs: 3000 },
    });
    // backoffs before attempts 2..5: 1s, 2s, 3s (capped), 3s
    expect(stepCostMs(s)).toBe(5 * 10_000 + 1000 + 2000 + 3000 + 3000);
  });

  it("is the timeout alone for one attempt", () => {
    expect(stepCostMs(step({ id: "a", timeoutMs: 60_000 }))).toBe(60_000);
  });

  it("counts a wait's literal duration, and nothing for a templated one, an approval or no timeout", () => {
    expect(stepCostMs(step({ id: "w", type: "wait", with: { duration: "1m30s" } }))).toBe(90_000);
    expect(
      stepCostMs(step({ id: "w", type: "wait", with: { duration: "${{ vars.ttl }}" } })),
    ).toBeUndefined();
    expect(stepCostMs(step({ id: "g", type: "approval", timeoutMs: 60_000 }))).toBeUndefined();
    expect(stepCostMs(step({ id: "n" }))).toBeUndefined();
  });
});

describe("criticalPath", () => {
  it("takes a parallel block's costliest child and stops at service_restored", () => {
    const cp = criticalPath(
      runbook([
        {
          kind: "parallel",
          id: "checks",
          children: [
            step({ id: "fast", timeoutMs: 1000 }),
            step({ id: "slow", timeoutMs: 5000 }),
            step({ id: "open" }),
          ],
        },
        step({ id: "promote", timeoutMs: 60_000 }),
        step({ id: "validate", timeoutMs: 2000, milestone: "service_restored" }),
        step({ id: "after", timeoutMs: 3_600_000 }),
      ]),
    );
    expect(cp.totalMs).toBe(5000 + 60_000 + 2000);
    expect(cp.steps.map((s) => s.id)).toEqual(["promote", "slow", "validate"]);
    expect(cp.uncounted).toEqual(["open"]);
    expect(cp.endsAt).toBe("validate");
  });

  it("runs to the end of the main steps when nothing is marked service_restored", () => {
    const cp = criticalPath(
      runbook([step({ id: "a", timeoutMs: 1000 }), step({ id: "b", timeoutMs: 2000 })]),
    );
    expect(cp.totalMs).toBe(3000);
    expect(cp.endsAt).toBeUndefined();
  });
});
