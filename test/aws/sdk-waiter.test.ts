import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { waitForState } from "../../src/aws/sdk-waiter.js";
import { classifyError } from "../../src/executor.js";

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

function waiter(responses: unknown[], over: Partial<Parameters<typeof waitForState>[0]> = {}) {
  const reads: number[] = [];
  const progress: string[] = [];
  let i = 0;
  const promise = waitForState({
    read: async () => {
      reads.push(Date.now());
      return responses[Math.min(i++, responses.length - 1)];
    },
    until: "status == 'done'",
    failWhen: "status == 'failed'",
    minDelayMs: 1000,
    maxDelayMs: 8000,
    timeoutMs: 60_000,
    describe: "the job",
    signal: new AbortController().signal,
    progress: (m) => progress.push(m),
    random: () => 1, // the top of each jittered range: the ceiling itself
    ...over,
  });
  return { promise, reads, progress };
}

describe("waitFor, in the SDK waiters' shape", () => {
  it("backs off from minDelay, doubling the ceiling up to maxDelay, and says what it waits for", async () => {
    const start = Date.now();
    const w = waiter([...Array(6).fill({ status: "running" }), { status: "done" }]);
    await vi.runAllTimersAsync();
    const result = await w.promise;
    expect(result.polls).toBe(7);
    expect(w.reads.map((t) => t - start)).toEqual([0, 1000, 3000, 7000, 15000, 23000, 31000]);
    expect(w.progress[0]).toBe(`waiting for the job: status == 'done' is false (poll 1, next in 1.0s)`);
  });

  it("draws each delay between minDelay and the ceiling (jitter)", async () => {
    const start = Date.now();
    const w = waiter([{ status: "running" }, { status: "running" }, { status: "done" }], { random: () => 0 });
    await vi.runAllTimersAsync();
    await w.promise;
    expect(w.reads.map((t) => t - start)).toEqual([0, 1000, 2000]);
  });

  it("fails at once on failWhen, and times out (a timeout error) when the deadline comes first", async () => {
    const failed = waiter([{ status: "running" }, { status: "failed" }]);
    const failing = failed.promise.catch((e) => e);
    await vi.runAllTimersAsync();
    const err = await failing;
    expect(classifyError(err)).toEqual({
      class: "fatal",
      message: `gave up waiting for the job: status == 'failed' is true (status == 'done' is false)`,
    });
    const slow = waiter([{ status: "running" }], { timeoutMs: 5000 });
    const late = slow.promise.catch((e) => e);
    await vi.runAllTimersAsync();
    expect(classifyError(await late)).toMatchObject({ class: "timeout" });
    expect(slow.reads).toHaveLength(3); // at 0, 1 s and 3 s; the next would end after 5 s
  });
});
