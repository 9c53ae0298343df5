import { readFileSync, statSync } from "node:fs";
import { type Diagnostic, UsageError, ValidationError } from "../errors.js";

/**
 * Reading a YAML source file (runbook, environment, drill schedule, scenario) as bytes, so
 * that what is not UTF-8 text is refused with a position instead of being silently turned
 * into U+FFFD by a lenient decoder.
 */

/** Every YAML file the CLI reads is at most this big: real ones are a few KiB. */
export const MAX_SOURCE_BYTES = 1024 * 1024;

/** The file could not be read at all (missing, a directory, no permission). */
export class UnreadableFileError extends UsageError {
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(`cannot read ${file}: ${reason}`);
  }
}

/**
 * The text of `path`, or a ValidationError at `shown:line:col` when the bytes are not a
 * readable UTF-8 text file. `shown` is the path as messages show it.
 */
export function readSourceText(path: string, shown = path): string {
  let size: number;
  try {
    const stat = statSync(path);
    if (!stat.isFile()) throw new UnreadableFileError(shown, "not a regular file");
    size = stat.size;
  } catch (err) {
    if (err instanceof UnreadableFileError) throw err;
    throw new UnreadableFileError(shown, reasonOf(err));
  }
  // Refused before reading: a runaway file is never loaded into memory.
  if (size > MAX_SOURCE_BYTES) throw new ValidationError([sizeDiagnostic(shown, size)]);
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new UnreadableFileError(shown, reasonOf(err));
  }
  return decodeSourceText(bytes, shown);
}

/** Strict UTF-8 decoding; a byte-order mark is kept so that the parser can point at it. */
export function decodeSourceText(bytes: Uint8Array, file: string): string {
  if (bytes.length > MAX_SOURCE_BYTES) throw new ValidationError([sizeDiagnostic(file, bytes.length)]);
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    const bad = firstInvalidUtf8(bytes);
    const before = new TextDecoder("utf-8", { ignoreBOM: true }).decode(bytes.subarray(0, bad));
    const byte = bytes[bad] ?? 0;
    const utf16 = bad === 0 && ((byte === 0xff && bytes[1] === 0xfe) || (byte === 0xfe && bytes[1] === 0xff));
    const message = utf16
      ? "the file is UTF-16: save it as UTF-8"
      : `byte 0x${byte.toString(16).toUpperCase().padStart(2, "0")} is not UTF-8: save the file as UTF-8`;
    throw new ValidationError([{ file, ...positionAt(before, before.length), message }]);
  }
}

/**
 * Offset of the first byte that starts an invalid UTF-8 sequence (the same sequences the
 * WHATWG decoder refuses: overlong forms, surrogates, code points past U+10FFFF, truncated
 * sequences), or `bytes.length` when all of it is valid.
 */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const lead = bytes[i]!;
    const length = sequenceLength(lead);
    if (length === 0) return i;
    const [low, high] = secondByteRange(lead);
    for (let k = 1; k < length; k++) {
      const b = bytes[i + k];
      const [min, max] = k === 1 ? [low, high] : [0x80, 0xbf];
      if (b === undefined || b < min || b > max) return i;
    }
    i += length;
  }
  return bytes.length;
}

function sequenceLength(lead: number): number {
  if (lead <= 0x7f) return 1;
  if (lead >= 0xc2 && lead <= 0xdf) return 2;
  if (lead >= 0xe0 && lead <= 0xef) return 3;
  if (lead >= 0xf0 && lead <= 0xf4) return 4;
  return 0;
}

/** The second byte's range narrows for the leads that could otherwise encode overlongs or surrogates. */
function secondByteRange(lead: number): [number, number] {
  if (lead === 0xe0) return [0xa0, 0xbf];
  if (lead === 0xed) return [0x80, 0x9f];
  if (lead === 0xf0) return [0x90, 0xbf];
  if (lead === 0xf4) return [0x80, 0x8f];
  return [0x80, 0xbf];
}

/** 1-based line and column (in UTF-16 units, as yaml's LineCounter counts) of `offset` in `text`. */
export function positionAt(text: string, offset: number): { line: number; col: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf("\n"); i !== -1 && i < offset; i = text.indexOf("\n", i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, col: offset - lineStart + 1 };
}

export function sizeDiagnostic(file: string, bytes: number): Diagnostic {
  return {
    file,
    line: 1,
    col: 1,
    message: `the file is ${bytes} bytes; YAML files are read up to 1 MiB (${MAX_SOURCE_BYTES} bytes)`,
  };
}

function reasonOf(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return "no such file";
  if (code === "EACCES" || code === "EPERM") return "permission denied";
  if (code === "EISDIR") return "not a regular file";
  return code ?? String(err);
}
