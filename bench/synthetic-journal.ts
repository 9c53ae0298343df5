import type { EventData, EventType, JournalEvent, PlannedStep } from "../src/journal/events.js";
import { GENESIS_HASH, hashEvent } from "../src/journal/journal.js";

const BLOCKS = 10;
export const SYNTHETIC_EXECUTION_ID = "bench-20261127T030000Z-0000";

/**
 * A journal the way `JournalWriter` writes one (same line shape and hash chain; no fsync per
 * line, to be quick), as big as the longest runs make them. Both shapes that make journals
 * this big are in it: steps in retry storms (49 attempts each, about half the events) and
 * quick steps (intent and success), in ten parallel blocks; the rest are measures. At 100,000
 * events: 500 storm steps, 20,000 quick ones, 35 MB.
 */
export function syntheticJournal(events = 100_000): string {
  const stormSteps = Math.round(events / 200);
  const quickSteps = stormSteps * 40;
  const lines: string[] = [];
  let seq = 0;
  let prev = GENESIS_HASH;
  let now = Date.parse("2026-11-27T03:00:00.000Z");
  const append = <T extends EventType>(type: T, data: EventData[T], stepId?: string) => {
    const base = { seq: seq + 1, ts: new Date(now).toISOString(), type, data, prev } as Omit<
      JournalEvent,
      "hash"
    >;
    if (stepId !== undefined) base.stepId = stepId;
    const hash = hashEvent(base);
    const line: Record<string, unknown> = { seq: base.seq, ts: base.ts, type };
    if (stepId !== undefined) line.stepId = stepId;
    line.data = data;
    line.prev = prev;
    line.hash = hash;
    lines.push(JSON.stringify(line));
    seq = base.seq;
    prev = hash;
  };
  const plan: PlannedStep[] = [];
  const perBlock = (stormSteps + quickSteps) / BLOCKS;
  for (let b = 0; b < BLOCKS; b++) {
    plan.push({
      id: `block-${b}`,
      type: "parallel",
      phase: "main",
      parallel: true,
      description: `Block ${b}`,
    });
    for (let i = 0; i < perBlock; i++) {
      const id = `step-${b}-${i}`;
      plan.push({ id, type: "http.probe", parent: `block-${b}`, phase: "main", description: `Probe ${id}` });
    }
  }
  append("execution.started", {
    executionId: SYNTHETIC_EXECUTION_ID,
    runbook: { name: "bench", file: "runbooks/bench.yaml", sourceSha256: "0".repeat(64) },
    environment: "bench",
    mode: "drill",
    objectives: { rtoMs: 3_600_000, rpoMs: 5000 },
    inputs: {},
    steps: plan,
    abortCriteria: [],
    operator: "bench",
    host: "localhost",
    pid: 1,
    declaredAt: new Date(now).toISOString(),
    workdir: "/tmp",
    engineVersion: "bench",
    runbookIr: {},
  });
  const leaves = plan.filter((p) => !p.parallel);
  const params = { url: "https://example.com/healthz" };
  const error = { message: "GET https://example.com/healthz: 503", class: "retryable" as const };
  leaves.forEach((step, i) => {
    // Storm steps are spread over the blocks: every tenth-ish step of each block.
    const failures = i % 41 === 0 ? 48 : 0;
    let attempt = 1;
    for (; attempt <= failures; attempt++) {
      now += 7;
      append("step.intent", { attempt, type: step.type, params }, step.id);
      now += 20;
      append("step.failed", { attempt, error, durationMs: 20, willRetry: true, retryInMs: 5 }, step.id);
    }
    now += 7;
    append("step.intent", { attempt, type: step.type, params }, step.id);
    now += 20;
    append("step.succeeded", { attempt, outputs: { status: 200 }, durationMs: 20 }, step.id);
  });
  while (seq < events - 2) append("measure", { name: "probe_latency_ms", value: seq % 97, unit: "ms" });
  append("milestone", { name: "service_restored", at: new Date(now).toISOString() });
  append("execution.completed", {});
  return `${lines.join("\n")}\n`;
}
