import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { JournalWriter, readJournal } from "../../src/journal/journal.js";
import { loadJournal, verifyInWorker } from "../../src/journal/load-journal.js";
import { verifyJournal } from "../../src/journal/verify-bytes.js";

let dir: string;
let path: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "runbook-load-"));
  path = join(dir, "journal.jsonl");
  const w = JournalWriter.create(path);
  for (let i = 0; i < 200; i++)
    w.append("measure", { name: "probe_ms", value: i, unit: "ms" }, undefined, false);
  w.close();
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

const inWorker = { workerAboveBytes: 0 };

describe("verifyInWorker", () => {
  it("runs the byte verifier from its own source text on another thread", async () => {
    const bytes = readFileSync(path);
    const result = await verifyInWorker(bytes);
    expect(result).toBeDefined();
    expect(result).toEqual(verifyJournal({ bytes }));
    bytes[bytes.length - 10] = 0x78;
    expect(await verifyInWorker(bytes)).toMatchObject({ ok: false, problem: { line: 200 } });
  });
});

describe("loadJournal", () => {
  it("verifies in a worker exactly as on this thread", async () => {
    const worker = await loadJournal(path, inWorker);
    const inline = await loadJournal(path, { workerAboveBytes: Number.POSITIVE_INFINITY });
    expect(worker.verified).toEqual(inline.verified);
    expect(worker.verified).toMatchObject({ ok: true, events: 200 });
    expect(worker.read.events).toEqual(readJournal(path).events);
  });

  it("names the line of a changed byte, from the worker", async () => {
    const original = readFileSync(path);
    const lineStarts = [0];
    original.forEach((b, i) => {
      if (b === 0x0a) lineStarts.push(i + 1);
    });
    for (const line of [1, 77, 200]) {
      const tampered = Buffer.from(original);
      const at = lineStarts[line - 1]! + 40;
      tampered[at] = tampered[at]! ^ 0x02;
      writeFileSync(path, tampered);
      const { verified } = await loadJournal(path, inWorker);
      expect(verified.ok, `line ${line}`).toBe(false);
      expect(verified.problem?.line).toBe(line);
      expect(verified).toEqual(verifyJournal({ bytes: tampered }));
    }
  });

  it("verifies only the complete lines of a journal being written", async () => {
    appendFileSync(path, '{"seq":201,"ts":"2026-11-27T07:00');
    const { read, verified } = await loadJournal(path, inWorker);
    expect(read.tornTailBytes).toBeGreaterThan(0);
    expect(verified).toMatchObject({ ok: true, events: 200 });
  });
});
