import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { EventData, EventType, JournalEvent, PlannedStep } from "../journal/events.js";
import { foldEvents } from "../journal/fold.js";
import { GENESIS_HASH, hashEvent, readJournal, verifyEvents } from "../journal/journal.js";
import { buildTimeline } from "./build-timeline.js";
import { renderTimelineMarkdown } from "./markdown-timeline.js";

const EVENTS = 100_000;
/** Steps that fail and retry 48 times before succeeding: 98 events each. */
const STORM_STEPS = 500;
/** Steps that just run: intent and success. */
const QUICK_STEPS = 20_000;
const BLOCKS = 10;

/**
 * Writes a 100,000-event journal the way `JournalWriter` would (same line shape and hash
 * chain; no fsync per line, to be quick) in a temp dir, then measures read + verify + fold
 * (`readFoldMs`) and timeline model + Markdown render (`timelineMs`). Both shapes that make
 * journals this big are in it: 500 steps in retry storms (49 attempts each, about half the
 * events) and 20,000 quick steps, all in ten parallel blocks of 2,050 branches; the rest
 * are measures.
 */
export async function benchTimeline(): Promise<{ events: number; readFoldMs: number; timelineMs: number }> {
  const dir = mkdtempSync(join(tmpdir(), "runbook-bench-"));
  try {
    const path = join(dir, "journal.jsonl");
    writeFileSync(path, syntheticJournal());

    const t0 = performance.now();
    const read = readJournal(path);
    const verified = verifyEvents(read.events, read.lines);
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

export function syntheticJournal(): string {
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
  const perBlock = (STORM_STEPS + QUICK_STEPS) / BLOCKS;
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
  const params = { url: "https://example.com/healthz" };
  const error = { message: "GET https://example.com/healthz: 503", class: "retryable" as const };
  leaves.forEach((step, i) => {
    // Storm steps are spread over the blocks: every tenth-ish step of each block.
    const failures = i % ((STORM_STEPS + QUICK_STEPS) / STORM_STEPS) === 0 ? 48 : 0;
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
  while (seq < EVENTS - 2) append("measure", { name: "probe_latency_ms", value: seq % 97, unit: "ms" });
  append("milestone", { name: "service_restored", at: new Date(now).toISOString() });
  append("execution.completed", {});
  return `${lines.join("\n")}\n`;
}
