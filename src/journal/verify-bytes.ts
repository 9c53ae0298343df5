import { hash } from "node:crypto";
import type { ReadResult, VerifyResult } from "./journal.js";

/** Check the chain of a journal as read from disk: every hash against the exact bytes. */
export function verifyJournal(read: Pick<ReadResult, "bytes">): VerifyResult {
  return verifyJournalBytes(read.bytes, sha256Hex);
}

export function sha256Hex(bytes: Uint8Array): string {
  return hash("sha256", bytes, "hex");
}

/**
 * The hash chain checked on raw journal bytes (complete lines; blank lines are skipped, as
 * `parseJournal` skips them). Each line must be `{"seq":N,…,"prev":"<64 hex>","hash":"<64 hex>"}`
 * with N its position, prev the hash of the line before and hash the sha256 of everything before
 * `,"hash":`. Working on bytes, not parsed events, is what lets a worker thread check a big
 * journal while the main thread parses it.
 *
 * This function is also run in a worker from its own source text (`load-journal.ts`): it must
 * not refer to anything outside its body, nor declare nested functions (transpilers wrap those).
 */
export function verifyJournalBytes(bytes: Buffer, sha256: (line: Uint8Array) => string): VerifyResult {
  const genesis = "0".repeat(64);
  // A line ends with `"prev":"<64 hex>","hash":"<64 hex>"}`: 148 bytes, hash input ends 75 before.
  const tailLength = 148;
  let prev = genesis;
  let line = 0;
  let start = 0;
  let problem: VerifyResult["problem"];
  let lastTail = "";
  while (start < bytes.length) {
    let end = bytes.indexOf(0x0a, start);
    if (end < 0) end = bytes.length;
    if (end > start) {
      line++;
      lastTail = end - start >= tailLength ? bytes.toString("latin1", end - tailLength, end) : "";
      if (problem === undefined) {
        const head = /^\{"seq":(\d+),/.exec(bytes.toString("latin1", start, Math.min(end, start + 24)));
        const seq = head ? Number(head[1]) : Number.NaN;
        const shaped =
          lastTail.startsWith('"prev":"') &&
          lastTail.slice(72, 82) === '","hash":"' &&
          lastTail.endsWith('"}');
        if (seq !== line) {
          problem = {
            line,
            seq,
            message: `expected seq ${line}, found ${head ? seq : "none"} (line missing, reordered or not JSON)`,
          };
        } else if (shaped && lastTail.slice(8, 72) !== prev) {
          problem = {
            line,
            seq,
            message: "prev does not match the hash of the line before (line removed or altered)",
          };
        } else if (!shaped || sha256(bytes.subarray(start, end - 75)) !== lastTail.slice(82, 146)) {
          problem = { line, seq, message: "content does not match its hash (line altered)" };
        } else {
          prev = lastTail.slice(82, 146);
        }
      }
    }
    start = end + 1;
  }
  if (problem === undefined) return { ok: true, events: line, finalHash: prev };
  // The hash the last line claims: what a reader compares with a copy kept elsewhere.
  const claimed = /^"prev":"[0-9a-f]{64}","hash":"([0-9a-f]{64})"}$/.exec(lastTail)?.[1];
  return { ok: false, events: line, finalHash: claimed ?? genesis, problem };
}
