import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { EventData, EventType, JournalEvent, PlannedStep } from "../journal/events.js";
import { foldEvents } from "../journal/fold.js";
import { GENESIS_HASH, hashEvent } from "../journal/journal.js";
import { buildTimeline } from "./build-timeline.js";
import { renderTimelineMarkdown } from "./markdown-timeline.js";
import { readJournalLinear } from "./read-journal.js";
import { verifyChain } from "./verify-chain.js";

const STEPS = 1000;
const EVENTS = 100_000;

/**
 * Writes a 100,000-event journal the way `JournalWriter` would (same line shape and hash
 * chain; no fsync per line, to be quick) in a temp dir, then measures read + verify + fold
 * and timeline + Markdown render. 1,000 steps in ten parallel blocks, each with a storm of
 * retried attempts: the worst shape a real journal gets to this size with.
 */
export async function benchTimeline(): Promise<{ events: number; readFoldMs: number; timelineMs: number }> {
  const dir = mkdtempSync(join(tmpdir(), "runbook-bench-"));
  try {
    const path = join(dir, "journal.jsonl");
    writeFileSync(path, syntheticJournal());

    const t0 = performance.now();
    const read = readJournalLinear(path);
    const verified = verifyChain(read.events);
    const state = foldEvents(read.events);
    const t1 = performance.now();
    if (!verified.ok || !state) throw new Error(`bench journal did not verify: ${verified.problem?.message}`);

    const md = renderTimelineMarkdown(buildTimeline(read, { verified, state }));
    const t2 = performance.now();
    if (md.length === 0) throw new Error("empty timeline");
    return { events: read.events.length, readFoldMs: round(t1 - t0), timelineMs: round(t2 - t1) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}

function syntheticJournal(): string {
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
  for (let b = 0; b < 10; b++) {
    plan.push({
      id: `block-${b}`,
      type: "parallel",
      phase: "main",
      parallel: true,
      description: `Block ${b}`,
    });
    for (let i = 0; i < STEPS / 10; i++) {
      const id = `step-${b}-${i}`;
      plan.push({ id, type: "http.probe", parent: `block-${b}`, phase: "main", description: `Probe ${id}` });
    }
  }
  append("execution.started", {
    executionId: "bench-20261127T030000Z-0000",
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
  const perStep = Math.floor((EVENTS - 3) / leaves.length);
  for (const step of leaves) {
    let attempt = 1;
    // intent + failed per retried attempt, then intent + success.
    for (let used = 0; used + 4 <= perStep; used += 2) {
      now += 7;
      append(
        "step.intent",
        { attempt, type: step.type, params: { url: "https://example.com/healthz" } },
        step.id,
      );
      now += 20;
      const error = { message: "GET https://example.com/healthz: 503", class: "retryable" as const };
      append("step.failed", { attempt, error, durationMs: 20, willRetry: true, retryInMs: 5 }, step.id);
      attempt++;
    }
    now += 7;
    append(
      "step.intent",
      { attempt, type: step.type, params: { url: "https://example.com/healthz" } },
      step.id,
    );
    now += 20;
    append("step.succeeded", { attempt, outputs: { status: 200 }, durationMs: 20 }, step.id);
  }
  while (seq < EVENTS - 2) append("measure", { name: "probe_latency_ms", value: seq % 97, unit: "ms" });
  append("milestone", { name: "service_restored", at: new Date(now).toISOString() });
  append("execution.completed", {});
  return `${lines.join("\n")}\n`;
}
