import { hash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { benchTimeline } from "../../src/report/bench.js";

/**
 * The budget: a 100,000-event journal read, verified, folded and rendered as a Markdown
 * timeline in at most one second. Wall-clock time on a shared two-core box is noisy, so
 * the best of up to five runs counts, and on a machine too slow or too busy for even the
 * irreducible work (parse every line, hash every line) to fit in a second, the budget
 * becomes a bound on our overhead above that floor. A quadratic step (parseJournal is
 * one: minutes at this size) or a slow renderer fails either way.
 */
const BUDGET_MS = 1000;
const MAX_OVERHEAD = 2.5;

const LINES = Array.from({ length: 100_000 }, (_, i) =>
  JSON.stringify({
    seq: i + 1,
    ts: new Date(1_764_000_000_000 + i * 27).toISOString(),
    type: "step.failed",
    stepId: `step-${i % 1000}`,
    data: { attempt: i % 48, error: { message: "GET https://example.com/healthz: 503", class: "retryable" } },
    prev: "a".repeat(64),
    hash: "b".repeat(64),
  }),
);

/** Time to JSON.parse (and keep) and sha256 100,000 journal-sized lines: the work no reader can skip. */
function floorOnceMs(): number {
  const t0 = performance.now();
  const kept: unknown[] = [];
  for (const line of LINES) {
    kept.push(JSON.parse(line));
    hash("sha256", line, "hex");
  }
  if (kept.length !== LINES.length) throw new Error("floor lost lines");
  return performance.now() - t0;
}

/** Best of two, so a warm-up or a momentary stall does not loosen the budget. */
function floorMs(): number {
  return Math.min(floorOnceMs(), floorOnceMs());
}

describe("benchTimeline", () => {
  it("turns a 100,000-event journal into a timeline within 1 s (or within 2.5× the parse+hash floor)", async () => {
    // Each run is judged against the floor measured just before it: both see the same machine load.
    const runs: { events: number; readFoldMs: number; timelineMs: number; budgetMs: number }[] = [];
    for (let i = 0; i < 5; i++) {
      const budgetMs = Math.round(Math.max(BUDGET_MS, floorMs() * MAX_OVERHEAD));
      runs.push({ ...(await benchTimeline()), budgetMs });
      const r = runs[i]!;
      if (r.readFoldMs + r.timelineMs <= r.budgetMs) break;
    }
    const slack = (r: (typeof runs)[number]) => r.budgetMs - (r.readFoldMs + r.timelineMs);
    const best = runs.reduce((a, b) => (slack(a) >= slack(b) ? a : b));
    console.log(`benchTimeline: ${JSON.stringify(runs)}`);
    expect(best.events).toBe(100_000);
    expect(best.readFoldMs).toBeGreaterThan(0);
    expect(best.timelineMs).toBeGreaterThan(0);
    expect(best.readFoldMs + best.timelineMs).toBeLessThanOrEqual(best.budgetMs);
  }, 180_000);
});
