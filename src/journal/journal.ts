import { hash } from "node:crypto";
import { closeSync, fdatasyncSync, ftruncateSync, openSync, readFileSync, writeSync } from "node:fs";
import type { AnyJournalEvent, EventData, EventOrigin, EventType, JournalEvent } from "./events.js";

export const GENESIS_HASH = "0".repeat(64);

/**
 * A line is `{"seq":…,"ts":…,"type":…,["stepId":…,]"data":…,"prev":"…","hash":"…"}`: fixed key
 * order, greppable and diffable. The hash is the sha256 of everything before `,"hash":`, which
 * contains `prev`: so it covers the exact bytes on disk (any changed byte shows, even one that
 * re-parses the same) and chains each line to the one before.
 */
export function linePrefix(e: Omit<JournalEvent, "hash">): string {
  const line: Record<string, unknown> = { seq: e.seq, ts: e.ts, type: e.type };
  if (e.stepId !== undefined) line.stepId = e.stepId;
  if (e.origin !== undefined) line.origin = e.origin;
  line.data = e.data;
  line.prev = e.prev;
  return JSON.stringify(line).slice(0, -1);
}

export function hashEvent(e: Omit<JournalEvent, "hash">): string {
  return hash("sha256", linePrefix(e), "hex");
}

function serialize(e: JournalEvent): string {
  return `${linePrefix(e)},"hash":"${e.hash}"}\n`;
}

export interface ReadResult {
  events: AnyJournalEvent[];
  /** Bytes after the last complete line: a write cut short by a crash. */
  tornTailBytes: number;
  /** Byte length of the complete lines. */
  validBytes: number;
  /** The complete lines as read: what `verifyJournal` hashes. */
  bytes: Buffer;
}

/** The complete lines of a journal's bytes: a last line without its newline is a write cut short. */
export function completeLines(buf: Buffer): Buffer {
  return buf.subarray(0, buf.lastIndexOf(0x0a) + 1);
}

/** Parse a journal. A trailing partial line (crash mid-write) is reported, not thrown. */
export function parseJournal(content: string | Buffer): ReadResult {
  const buf = typeof content === "string" ? Buffer.from(content) : content;
  // Count in bytes: a crash can cut a multi-byte character, and truncation works on bytes.
  const bytes = completeLines(buf);
  const validBytes = bytes.length;
  const events: AnyJournalEvent[] = [];
  const text = bytes.toString("utf8");
  // Line by line rather than split(): no array of 100,000 lines outlives the loop.
  for (let start = 0; start < text.length; ) {
    const end = text.indexOf("\n", start);
    if (end > start) {
      try {
        events.push(JSON.parse(text.slice(start, end)) as AnyJournalEvent);
      } catch {
        // A complete line that is not JSON is tampering, not a torn write: keep a placeholder
        // whose seq can never match, so verify() names this line.
        events.push(notJsonPlaceholder());
      }
    }
    start = end + 1;
  }
  return { events, bytes, tornTailBytes: buf.length - validBytes, validBytes };
}

function notJsonPlaceholder(): AnyJournalEvent {
  return { seq: Number.NaN, ts: "", type: "journal.repaired", data: { droppedBytes: 0 }, prev: "", hash: "" };
}

/** A placeholder for a complete line that was not JSON: never shown as a real event. */
export function isNotJsonPlaceholder(e: AnyJournalEvent): boolean {
  return Number.isNaN(e.seq) && e.hash === "";
}

export function readJournal(path: string): ReadResult {
  return parseJournal(readFileSync(path));
}

export interface VerifyResult {
  ok: boolean;
  events: number;
  finalHash: string;
  /** First broken line (1-based) and why, when not ok. */
  problem?: { line: number; seq: number; message: string };
}

/**
 * Check the chain of events in memory, re-serialized as the writer would. A journal read from
 * disk is checked on its exact bytes instead: `verifyJournal` (verify-bytes.ts).
 */
export function verifyEvents(events: readonly JournalEvent[]): VerifyResult {
  let prev = GENESIS_HASH;
  for (let i = 0; i < events.length; i++) {
    const e = events[i]!;
    const fail = (message: string): VerifyResult => ({
      ok: false,
      events: events.length,
      finalHash: events.at(-1)?.hash ?? GENESIS_HASH,
      problem: { line: i + 1, seq: e.seq, message },
    });
    if (e.seq !== i + 1)
      return fail(`expected seq ${i + 1}, found ${e.seq} (line missing, reordered or not JSON)`);
    if (e.prev !== prev)
      return fail("prev does not match the hash of the line before (line removed or altered)");
    if (hashEvent(e) !== e.hash) return fail("content does not match its hash (line altered)");
    prev = e.hash;
  }
  return { ok: true, events: events.length, finalHash: prev };
}

/**
 * Append-only writer. Each append is written and fdatasync'ed before it returns, so the
 * engine never acts on a fact that could be lost. One writer per journal (the lock sees to it).
 */
export class JournalWriter {
  private fd: number;
  private seq: number;
  private prev: string;

  private constructor(
    readonly path: string,
    fd: number,
    last: JournalEvent | undefined,
    private readonly clock: () => Date,
  ) {
    this.fd = fd;
    this.seq = last?.seq ?? 0;
    this.prev = last?.hash ?? GENESIS_HASH;
  }

  static create(path: string, clock: () => Date = () => new Date()): JournalWriter {
    const fd = openSync(path, "wx");
    return new JournalWriter(path, fd, undefined, clock);
  }

  /** Reopen for appending; a torn tail left by a crash is cut off first and the cut is journaled. */
  static reopen(
    path: string,
    clock: () => Date = () => new Date(),
  ): { writer: JournalWriter; events: AnyJournalEvent[] } {
    const read = readJournal(path);
    const fd = openSync(path, "r+");
    if (read.tornTailBytes > 0) {
      ftruncateSync(fd, read.validBytes);
      fdatasyncSync(fd);
    }
    closeSync(fd);
    const appendFd = openSync(path, "a");
    const writer = new JournalWriter(path, appendFd, read.events.at(-1), clock);
    const events = [...read.events];
    if (read.tornTailBytes > 0)
      events.push(writer.append("journal.repaired", { droppedBytes: read.tornTailBytes }) as AnyJournalEvent);
    return { writer, events };
  }

  /**
   * `durable: false` skips the fsync for a fact whose loss a crash cannot make harmful (the
   * intent of an idempotent step); the next durable append flushes it along with its own.
   */
  append<T extends EventType>(type: T, data: EventData[T], stepId?: string, durable = true): JournalEvent<T> {
    return this.appendEvent(type, data, { ...(stepId !== undefined ? { stepId } : {}), durable });
  }

  /**
   * An event another engine recorded (Step Functions): its own time and where it came from,
   * chained and hashed here like any other line.
   */
  appendImported<T extends EventType>(
    type: T,
    data: EventData[T],
    at: { ts: Date; origin: EventOrigin; stepId?: string },
  ): JournalEvent<T> {
    return this.appendEvent(type, data, {
      ...(at.stepId !== undefined ? { stepId: at.stepId } : {}),
      ts: at.ts,
      origin: at.origin,
      durable: true,
    });
  }

  private appendEvent<T extends EventType>(
    type: T,
    data: EventData[T],
    o: { stepId?: string; ts?: Date; origin?: EventOrigin; durable: boolean },
  ): JournalEvent<T> {
    const ts = (o.ts ?? this.clock()).toISOString();
    const base = { seq: this.seq + 1, ts, type, data, prev: this.prev } as Omit<JournalEvent<T>, "hash">;
    const { stepId, durable } = o;
    if (stepId !== undefined) base.stepId = stepId;
    if (o.origin !== undefined) base.origin = o.origin;
    const event = { ...base, hash: hashEvent(base) } as JournalEvent<T>;
    writeSync(this.fd, serialize(event));
    if (durable) fdatasyncSync(this.fd);
    this.seq = event.seq;
    this.prev = event.hash;
    return event;
  }

  get lastHash(): string {
    return this.prev;
  }

  close(): void {
    closeSync(this.fd);
  }
}
