/**
 * The masking rule for secret values, in one place: every byte that belongs to an occurrence
 * of a secret is hidden, overlapping occurrences (of one secret or of several) become one
 * mask, and occurrences that only touch stay one mask each. `maskSecrets` applies it to a
 * whole string (the engine's redactor); `StreamMasker` applies it to bytes that arrive in
 * chunks (a step's output files), with the same result however the bytes are cut.
 *
 * No imports and no engine state: executors use it too.
 */

export const MASK = "***";

/** `text` with every occurrence of every secret masked (empty secrets are ignored). */
export function maskSecrets(text: string, secrets: Iterable<string>, mask = MASK): string {
  const spans: [number, number][] = [];
  for (const secret of secrets) {
    if (!secret) continue;
    for (let at = text.indexOf(secret); at !== -1; at = text.indexOf(secret, at + 1))
      spans.push([at, at + secret.length]);
  }
  if (spans.length === 0) return text;
  spans.sort((a, b) => a[0] - b[0]);
  let out = "";
  let from = 0;
  let end = -1;
  for (const [start, stop] of spans) {
    if (start < end) {
      end = Math.max(end, stop);
      continue;
    }
    if (end !== -1) from = end;
    out += text.slice(from, start) + mask;
    end = stop;
  }
  return out + text.slice(end);
}

/**
 * Masks secrets in a byte stream. A position is decided as soon as the bytes after it tell
 * whether a secret starts there; only a tail that could still be the start of a secret is held
 * back (at most the longest secret's length minus one byte), so output that ends a line comes
 * out at once and a secret cut across two chunks is still caught.
 *
 * Self-contained on purpose (no fields, no outside names): exec's output sink runs this class's
 * source text in a process of its own (`String(StreamMasker)`).
 */
export class StreamMasker {
  declare private readonly secrets: Uint8Array[];
  declare private readonly mask: Uint8Array;
  /** Which bytes start some secret, as a table and as a list to search for. */
  declare private readonly starts: Uint8Array;
  declare private readonly firsts: number[];
  declare private pending: Uint8Array;
  /** How many bytes at the start of `pending` are inside a mask already written. */
  declare private covered: number;

  constructor(secrets: readonly (string | Uint8Array)[], mask: string) {
    const encoder = new TextEncoder();
    this.secrets = secrets
      .map((s) => (typeof s === "string" ? encoder.encode(s) : s))
      .filter((s) => s.length > 0);
    this.mask = encoder.encode(mask);
    this.starts = new Uint8Array(256);
    for (const s of this.secrets) this.starts[s[0]!] = 1;
    this.firsts = [...this.starts.keys()].filter((b) => this.starts[b]);
    this.pending = new Uint8Array(0);
    this.covered = 0;
  }

  /** The bytes that can be written now; the rest waits for the next chunk or `end()`. */
  push(chunk: Uint8Array): Uint8Array {
    if (this.pending.length === 0) return this.drain(chunk, false);
    const joined = new Uint8Array(this.pending.length + chunk.length);
    joined.set(this.pending);
    joined.set(chunk, this.pending.length);
    return this.drain(joined, false);
  }

  /** How many bytes wait for the next chunk: fewer than the longest secret. */
  held(): number {
    return this.pending.length;
  }

  /** The stream is over: what was held back, masked or not. */
  end(): Uint8Array {
    return this.drain(this.pending, true);
  }

  private drain(b: Uint8Array, final: boolean): Uint8Array {
    const parts: Uint8Array[] = [];
    let covered = this.covered;
    let from = 0;
    let i = 0;
    // Where each first byte occurs next (-1: nowhere): the bytes in between are plain, and are
    // skipped by a native search rather than looked at one by one.
    const nextAt = this.firsts.map(() => -2);
    for (; i < b.length; i++) {
      if (i >= covered && !this.starts[b[i]!]) {
        let next = b.length;
        for (let j = 0; j < nextAt.length; j++) {
          if (nextAt[j] !== -1 && nextAt[j]! < i) nextAt[j] = b.indexOf(this.firsts[j]!, i);
          if (nextAt[j] !== -1 && nextAt[j]! < next) next = nextAt[j]!;
        }
        i = next - 1;
        continue;
      }
      let matchEnd = -1;
      let undecided = false;
      if (this.starts[b[i]!]) {
        for (const s of this.secrets) {
          const n = Math.min(s.length, b.length - i);
          let k = 0;
          while (k < n && b[i + k] === s[k]) k++;
          if (k < n) continue;
          if (n === s.length) matchEnd = Math.max(matchEnd, i + n);
          else if (!final) undecided = true;
        }
      }
      if (undecided) break;
      if (i < covered) {
        covered = Math.max(covered, matchEnd);
        from = i + 1;
      } else if (matchEnd !== -1) {
        if (from < i) parts.push(b.subarray(from, i));
        parts.push(this.mask);
        covered = matchEnd;
        from = i + 1;
      }
    }
    if (from < i) parts.push(b.subarray(from, i));
    this.pending = b.slice(i);
    this.covered = Math.max(0, covered - i);
    if (parts.length === 1) return parts[0]!;
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }
}
