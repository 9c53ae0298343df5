import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { AnyJournalEvent, EventData, JournalEvent } from "../../src/journal/events.js";
import {
  GENESIS_HASH,
  hashEvent,
  JournalWriter,
  linePrefix,
  parseJournal,
  readJournal,
  type VerifyResult,
  verifyEvents,
} from "../../src/journal/journal.js";
import { verifyJournal } from "../../src/journal/verify-bytes.js";

let dir: string;
let path: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "runbook-journal-"));
  path = join(dir, "journal.jsonl");
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A clock that moves one second per reading, from a fixed start. */
function ticking(start = "2026-11-27T07:00:00.000Z"): () => Date {
  let t = Date.parse(start);
  return () => {
    const d = new Date(t);
    t += 1000;
    return d;
  };
}

function started(): EventData["execution.started"] {
  return {
    executionId: "x-1",
    runbook: { name: "x", file: "runbooks/x.yaml", sourceSha256: "ab".repeat(32) },
    environment: "sandbox",
    mode: "run",
    objectives: { rtoMs: 900_000 },
    inputs: { region: "us-west-2" },
    steps: [
      { id: "a", type: "note", phase: "main", description: "note: a" },
      { id: "b", type: "exec", phase: "main", description: "run b" },
    ],
    abortCriteria: [],
    operator: "alice",
    host: "h",
    pid: 1234,
    declaredAt: "2026-11-27T06:59:00.000Z",
    workdir: "/work",
    engineVersion: "0.1.0",
    runbookIr: { name: "x" },
  };
}

/** A small, ASCII-only journal of five lines. */
function writeSample(): { writer: JournalWriter; events: AnyJournalEvent[] } {
  const writer = JournalWriter.create(path, ticking());
  const events = [
    writer.append("execution.started", started()),
    writer.append("step.intent", { attempt: 1, type: "note", params: { message: "a" } }, "a"),
    writer.append("step.succeeded", { attempt: 1, outputs: { message: "a" }, durationMs: 12 }, "a"),
    writer.append("milestone", { name: "db_promoted", at: "2026-11-27T07:00:03.000Z" }, "a"),
    writer.append("execution.completed", {}),
  ] as AnyJournalEvent[];
  return { writer, events };
}

const lines = (text: string) => text.split("\n").filter((l) => l.length > 0);

describe("JournalWriter", () => {
  it("writes each event as one line before append returns, chained from the genesis hash", () => {
    const writer = JournalWriter.create(path, ticking());
    expect(readFileSync(path, "utf8")).toBe("");
    const appended: JournalEvent[] = [];
    const push = (e: JournalEvent) => {
      appended.push(e);
      // What append returned is already on disk, whole, as the file's last line.
      const text = readFileSync(path, "utf8");
      expect(text.endsWith("\n")).toBe(true);
      expect(lines(text)).toHaveLength(appended.length);
      expect(JSON.parse(lines(text).at(-1)!)).toEqual(e);
    };
    push(writer.append("execution.started", started()));
    push(writer.append("step.intent", { attempt: 1, type: "note", params: {} }, "a"));
    push(writer.append("execution.completed", {}));
    writer.close();

    expect(appended.map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(appended[0]!.prev).toBe(GENESIS_HASH);
    expect(appended[1]!.prev).toBe(appended[0]!.hash);
    expect(appended[2]!.prev).toBe(appended[1]!.hash);
    expect(appended.map((e) => e.ts)).toEqual([
      "2026-11-27T07:00:00.000Z",
      "2026-11-27T07:00:01.000Z",
      "2026-11-27T07:00:02.000Z",
    ]);
    for (const e of appended) expect(e.hash).toBe(hashEvent(e));
    expect(writer.lastHash).toBe(appended[2]!.hash);
  });

  it("a non-durable append is on disk and in the chain too", () => {
    const writer = JournalWriter.create(path, ticking());
    const first = writer.append("execution.started", started());
    const quick = writer.append("step.intent", { attempt: 1, type: "wait", params: {} }, "a", false);
    expect(lines(readFileSync(path, "utf8"))).toHaveLength(2);
    expect(JSON.parse(lines(readFileSync(path, "utf8"))[1]!)).toEqual(quick);
    expect(quick.prev).toBe(first.hash);
    writer.append("step.succeeded", { attempt: 1, outputs: {}, durationMs: 1 }, "a");
    writer.close();
    expect(verifyEvents(readJournal(path).events)).toMatchObject({ ok: true, events: 3 });
  });

  it("writes keys in a fixed order and stepId only when given", () => {
    const { writer } = writeSample();
    writer.close();
    const [first, second] = lines(readFileSync(path, "utf8"));
    expect(Object.keys(JSON.parse(first!))).toEqual(["seq", "ts", "type", "data", "prev", "hash"]);
    expect(Object.keys(JSON.parse(second!))).toEqual(["seq", "ts", "type", "stepId", "data", "prev", "hash"]);
  });

  it("create refuses an existing journal", () => {
    writeFileSync(path, "");
    expect(() => JournalWriter.create(path)).toThrow(/EEXIST/);
  });

  it("the hash covers the step id, data, type, ts, seq and prev", () => {
    const base = {
      seq: 1,
      ts: "2026-11-27T07:00:00.000Z",
      type: "step.intent" as const,
      stepId: "a",
      data: { attempt: 1, type: "note", params: {} },
      prev: GENESIS_HASH,
    };
    const h = hashEvent(base);
    expect(h).toMatch(/^[0-9a-f]{64}$/);
    expect(hashEvent({ ...base })).toBe(h);
    expect(hashEvent({ ...base, seq: 2 })).not.toBe(h);
    expect(hashEvent({ ...base, ts: "2026-11-27T07:00:00.001Z" })).not.toBe(h);
    expect(hashEvent({ ...base, type: "step.checked" as never })).not.toBe(h);
    expect(hashEvent({ ...base, stepId: "b" })).not.toBe(h);
    expect(hashEvent({ ...base, data: { ...base.data, attempt: 2 } })).not.toBe(h);
    expect(hashEvent({ ...base, prev: "1".repeat(64) })).not.toBe(h);
  });
});

/** Both ways to check a chain: events re-serialized as the writer would, and the bytes read. */
const verifiers: [string, (text: string | Buffer) => VerifyResult][] = [
  ["verifyEvents", (text) => verifyEvents(parseJournal(text).events)],
  ["verifyJournal", (text) => verifyJournal(parseJournal(text))],
];

describe.each(verifiers)("%s", (_name, verify) => {
  it("a journal as written verifies", () => {
    const { writer, events } = writeSample();
    writer.close();
    const read = readJournal(path);
    expect(read.tornTailBytes).toBe(0);
    expect(read.validBytes).toBe(statSync(path).size);
    expect(read.events).toEqual(events);
    expect(verify(readFileSync(path))).toEqual({ ok: true, events: 5, finalHash: writer.lastHash });
  });

  it("an empty journal verifies to the genesis hash", () => {
    expect(verify("")).toEqual({ ok: true, events: 0, finalHash: GENESIS_HASH });
  });

  it("changing any one byte of any line is detected at that line", () => {
    const { writer } = writeSample();
    writer.close();
    const original = readFileSync(path);
    const lineOf: number[] = [];
    let line = 1;
    for (const byte of original) {
      lineOf.push(line);
      if (byte === 0x0a) line++;
    }
    let checked = 0;
    for (let i = 0; i < original.length; i++) {
      if (original[i] === 0x0a) continue; // newlines: see the next tests
      const tampered = Buffer.from(original);
      tampered[i] = tampered[i]! ^ 0x01;
      const result = verify(tampered);
      expect(result.ok, `byte ${i} (${String.fromCharCode(original[i]!)})`).toBe(false);
      expect(result.problem?.line, `byte ${i}`).toBe(lineOf[i]);
      checked++;
    }
    expect(checked).toBeGreaterThan(1000);
  });

  it("joining two lines (a newline changed) is detected", () => {
    const { writer } = writeSample();
    writer.close();
    const text = readFileSync(path, "utf8");
    const joined = text.replace("\n", " ");
    const result = verify(joined);
    expect(result.ok).toBe(false);
    expect(result.problem?.line).toBe(1);
  });

  it("a cut final newline leaves a torn tail that readers report", () => {
    const { writer } = writeSample();
    writer.close();
    const text = readFileSync(path, "utf8");
    const read = parseJournal(text.slice(0, -1));
    expect(read.events).toHaveLength(4);
    expect(read.tornTailBytes).toBe(Buffer.byteLength(lines(text).at(-1)!));
  });

  it("removing a line is detected at the line that follows it", () => {
    const { writer } = writeSample();
    writer.close();
    const all = lines(readFileSync(path, "utf8"));
    for (const removed of [0, 1, 2, 3]) {
      const kept = all.filter((_, i) => i !== removed);
      const result = verify(`${kept.join("\n")}\n`);
      expect(result.ok).toBe(false);
      expect(result.problem?.line).toBe(removed + 1);
      expect(result.problem?.message).toMatch(/expected seq/);
    }
  });

  it("removing the last line leaves a valid chain whose final hash no longer matches the writer's", () => {
    const { writer } = writeSample();
    writer.close();
    const all = lines(readFileSync(path, "utf8"));
    const result = verify(`${all.slice(0, -1).join("\n")}\n`);
    expect(result.ok).toBe(true);
    expect(result.events).toBe(4);
    expect(result.finalHash).not.toBe(writer.lastHash);
  });

  it("reordering two lines is detected", () => {
    const { writer } = writeSample();
    writer.close();
    const all = lines(readFileSync(path, "utf8"));
    [all[1], all[2]] = [all[2]!, all[1]!];
    const result = verify(`${all.join("\n")}\n`);
    expect(result.ok).toBe(false);
    expect(result.problem).toMatchObject({ line: 2, seq: 3 });
  });

  it("a line altered and re-hashed breaks the chain at the next line", () => {
    const { writer, events } = writeSample();
    writer.close();
    const forged = events.map((e) => ({ ...e })) as JournalEvent[];
    const victim = forged[2] as JournalEvent<"step.succeeded">;
    victim.data = { ...victim.data, outputs: { message: "forged" } };
    victim.hash = hashEvent(victim);
    const result = verify(`${forged.map((e) => `${linePrefix(e)},"hash":"${e.hash}"}`).join("\n")}\n`);
    expect(result.ok).toBe(false);
    expect(result.problem).toMatchObject({ line: 4, seq: 4 });
    expect(result.problem?.message).toMatch(/prev does not match/);
  });

  it("a complete line that is not JSON is named", () => {
    const { writer } = writeSample();
    writer.close();
    const all = lines(readFileSync(path, "utf8"));
    all.splice(2, 0, "not json");
    const text = `${all.join("\n")}\n`;
    expect(parseJournal(text).tornTailBytes).toBe(0);
    const result = verify(text);
    expect(result.ok).toBe(false);
    expect(result.problem?.line).toBe(3);
  });
});

describe("JournalWriter.reopen", () => {
  it("continues the chain of a clean journal without a repair", () => {
    const { writer, events } = writeSample();
    writer.close();
    const before = readFileSync(path, "utf8");
    const { writer: again, events: read } = JournalWriter.reopen(path, ticking("2026-11-27T08:00:00.000Z"));
    expect(read).toEqual(events);
    expect(readFileSync(path, "utf8")).toBe(before);
    const next = again.append("execution.resumed", { operator: "bob", host: "h", pid: 2 });
    again.close();
    expect(next.seq).toBe(6);
    expect(next.prev).toBe(writer.lastHash);
    const all = readJournal(path).events;
    expect(verifyEvents(all)).toMatchObject({ ok: true, events: 6, finalHash: next.hash });
  });

  it("cuts a torn last line and journals the repair", () => {
    const { writer, events } = writeSample();
    writer.close();
    const complete = readFileSync(path, "utf8");
    const partial = '{"seq":6,"ts":"2026-11-27T07:00:05.000Z","type":"step.int';
    appendFileSync(path, partial);

    const read = readJournal(path);
    expect(read.events).toHaveLength(5);
    expect(read.tornTailBytes).toBe(partial.length);
    expect(read.validBytes).toBe(Buffer.byteLength(complete));

    const { writer: again, events: after } = JournalWriter.reopen(path, ticking("2026-11-27T08:00:00.000Z"));
    expect(after).toHaveLength(6);
    expect(after.slice(0, 5)).toEqual(events);
    expect(after[5]).toMatchObject({
      seq: 6,
      type: "journal.repaired",
      data: { droppedBytes: partial.length },
      prev: writer.lastHash,
      ts: "2026-11-27T08:00:00.000Z",
    });
    // The file is the complete lines, then the repair line: the partial bytes are gone.
    const text = readFileSync(path, "utf8");
    expect(text.startsWith(complete)).toBe(true);
    expect(text).not.toContain('step.int"');
    expect(text.includes(partial)).toBe(false);
    expect(JSON.parse(lines(text).at(-1)!)).toEqual(after[5]);

    again.append("execution.resumed", { operator: "bob", host: "h", pid: 2 });
    again.close();
    const final = readJournal(path);
    expect(final.tornTailBytes).toBe(0);
    expect(verifyEvents(final.events)).toMatchObject({ ok: true, events: 7 });
  });

  it("repairs a journal whose only line is torn", () => {
    writeFileSync(path, '{"seq":1,"ts":"2026-11-27T07:00');
    const { writer, events } = JournalWriter.reopen(path, ticking());
    writer.close();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ seq: 1, prev: GENESIS_HASH, type: "journal.repaired" });
    expect(verifyEvents(readJournal(path).events).ok).toBe(true);
  });

  it("cuts a torn tail after lines with non-ASCII text at the right byte", () => {
    const writer = JournalWriter.create(path, ticking());
    writer.append("execution.started", started());
    writer.append("step.succeeded", { attempt: 1, outputs: { message: "café ✓ 東京" }, durationMs: 1 }, "a");
    writer.close();
    const size = statSync(path).size;
    appendFileSync(path, '{"seq":3,"note":"✓');
    const { writer: again, events } = JournalWriter.reopen(path, ticking());
    again.close();
    expect(events).toHaveLength(3);
    const text = readFileSync(path, "utf8");
    expect(Buffer.byteLength(text.slice(0, text.indexOf('{"seq":3')))).toBe(size);
    expect(verifyEvents(readJournal(path).events).ok).toBe(true);
    expect((events[1] as JournalEvent<"step.succeeded">).data.outputs.message).toBe("café ✓ 東京");
  });

  it("reports the bytes a torn multi-byte character actually dropped", () => {
    const { writer } = writeSample();
    writer.close();
    const original = readFileSync(path);
    // A crash mid-write can cut a UTF-8 character: here "✓" (3 bytes) cut after its first byte.
    const tail = Buffer.concat([Buffer.from('{"seq":6,"x":"'), Buffer.from("✓").subarray(0, 1)]);
    appendFileSync(path, tail);
    const { writer: again, events } = JournalWriter.reopen(path, ticking());
    again.close();
    // The file is cut at the right place either way…
    expect(verifyEvents(readJournal(path).events).ok).toBe(true);
    expect(readFileSync(path).subarray(0, original.length).equals(original)).toBe(true);
    expect(lines(readFileSync(path, "utf8"))).toHaveLength(6);
    // …but known bug: parseJournal measures the tail after utf8-decoding, where the cut byte
    // became U+FFFD (3 bytes), so droppedBytes over-counts (src/journal/journal.ts parseJournal:
    // `Buffer.byteLength(text) - validBytes`). Counting on the raw bytes would be exact.
    expect(events.at(-1)).toMatchObject({ type: "journal.repaired", data: { droppedBytes: tail.length } });
  });
});

describe("hashing the bytes on disk", () => {
  it("detects a change that parses back to the same event (a space added)", () => {
    const path = join(mkdtempSync(join(tmpdir(), "runbook-raw-")), "journal.jsonl");
    const w = JournalWriter.create(path);
    w.append("milestone", { name: "db_promoted", at: "2026-11-27T07:00:00.000Z" });
    w.append("measure", { name: "rpo_observed_ms", value: 12, unit: "ms" });
    w.close();
    const intact = readJournal(path);
    expect(verifyJournal(intact).ok).toBe(true);
    writeFileSync(path, readFileSync(path, "utf8").replace('"value":12', '"value": 12'));
    const touched = readJournal(path);
    expect(touched.events[1]).toEqual(intact.events[1]);
    const v = verifyJournal(touched);
    expect(v.ok).toBe(false);
    expect(v.problem).toMatchObject({ line: 2, message: "content does not match its hash (line altered)" });
  });
});
