import { readFileSync } from "node:fs";
import type { AnyJournalEvent } from "../journal/events.js";
import type { ReadResult } from "../journal/journal.js";

/**
 * Same contract as `parseJournal` in src/journal/journal.ts, in linear time.
 * `parseJournal` recomputes the byte length of the whole prefix after every line, which is
 * quadratic (about 5 minutes for 100,000 events); reports must open such journals in well
 * under a second. A complete line that is not JSON gets the same never-matching placeholder,
 * so `verifyEvents` names it.
 */
export function parseJournalLinear(text: string): ReadResult {
  const events: AnyJournalEvent[] = [];
  let start = 0;
  let end = 0;
  while (start < text.length) {
    const nl = text.indexOf("\n", start);
    if (nl === -1) break;
    if (nl > start) {
      try {
        events.push(JSON.parse(text.slice(start, nl)) as AnyJournalEvent);
      } catch {
        events.push(notJsonPlaceholder());
      }
    }
    start = nl + 1;
    end = start;
  }
  // Complete lines end at the last newline: one byte count, not one per line.
  const validBytes = end === text.length ? Buffer.byteLength(text) : Buffer.byteLength(text.slice(0, end));
  const totalBytes = end === text.length ? validBytes : Buffer.byteLength(text);
  return { events, tornTailBytes: totalBytes - validBytes, validBytes };
}

export function readJournalLinear(path: string): ReadResult {
  return parseJournalLinear(readFileSync(path, "utf8"));
}

function notJsonPlaceholder(): AnyJournalEvent {
  return { seq: Number.NaN, ts: "", type: "journal.repaired", data: { droppedBytes: 0 }, prev: "", hash: "" };
}

/** A placeholder for a line that was not JSON: never shown as a real event. */
export function isNotJsonPlaceholder(e: AnyJournalEvent): boolean {
  return Number.isNaN(e.seq) && e.hash === "";
}
