import fc from "fast-check";
import { expect } from "vitest";
import { type Diagnostic, RunbookError, ValidationError } from "../../src/errors.js";

/**
 * Mutations of real YAML files for the property tests: a few edits each, from plain typos
 * to what an attacker or a broken editor writes (aliases, tags, deep nesting, stray bytes).
 */

/** One seed for every fuzz run, so that a failure is replayed exactly; fast-check prints it. */
export const FUZZ_SEED = Number(process.env.FUZZ_SEED ?? 20261127);
export const runs = (n: number): number => Math.round(n * Number(process.env.FUZZ_SCALE ?? 1));

const utf8 = (s: string): number[] => [...Buffer.from(s, "utf8")];

/** Fragments that mean something to YAML, or to our refusals. */
export const TOKENS: readonly (readonly number[])[] = [
  ...[
    "&a ",
    "*a",
    " *a",
    "&b [*a, *a, *a]",
    "<<: ",
    "<<: *a\n",
    "!!python/object ",
    "!foo ",
    "!!binary ",
    "!!str ",
    "!!int ",
    "%YAML 1.1\n---\n",
    "---\n",
    "...\n",
    "1e999",
    ".inf",
    "-.inf",
    ".nan",
    "12345678901234567890",
    "0x1F",
    "{",
    "}",
    "[",
    "]",
    ",",
    ": ",
    "- ",
    "? ",
    "#",
    "'",
    '"',
    "|",
    ">-",
    "\t",
    "\n",
    "\r",
    "\r\n",
    "  ",
    "~",
    "null",
    "__proto__: 1\n",
    "constructor: 1\n",
    "${{ ",
    "}}",
    "${{ inputs.",
    "${{ steps.x.outputs.y }}",
    `\${{ ${"(".repeat(3000)}1${")".repeat(3000)} }}`,
    `\${{ ${Array(3000).fill("1").join(" == ")} }}`,
    "[".repeat(70),
    "{a: ".repeat(70),
    Array.from({ length: 70 }, (_, i) => `${" ".repeat(i)}k:\n`).join(""),
    "- ".repeat(70),
    "\uFEFF",
    "\u0000",
    "\u0007",
    "\u001B[31m",
    "\u007F",
    "\u0085",
    "\u2028",
    "\u00E9",
    "\u{1F600}",
  ].map(utf8),
  // Not UTF-8: a lone continuation byte, a truncated sequence, a surrogate, past U+10FFFF, 0xFF.
  [0x80],
  [0xc3],
  [0xed, 0xa0, 0x80],
  [0xf4, 0x90, 0x80, 0x80],
  [0xff, 0xfe],
  [0xc0, 0xaf],
];

export type Mutation =
  | { kind: "insert"; at: number; bytes: number[] }
  | { kind: "delete"; at: number; length: number }
  | { kind: "replace"; at: number; bytes: number[] }
  | { kind: "duplicateLine" | "dropLine"; line: number }
  | { kind: "indent"; line: number; by: number }
  | { kind: "aliasBomb"; at: number; fanOut: number; levels: number };

const anyBytes = fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 6 });
const token = fc.constantFrom(...TOKENS).map((t) => [...t]);

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("insert" as const), at: fc.nat(), bytes: token }) },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant("insert" as const), at: fc.nat(), bytes: anyBytes }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("replace" as const), at: fc.nat(), bytes: token }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant("replace" as const), at: fc.nat(), bytes: anyBytes }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("delete" as const),
      at: fc.nat(),
      length: fc.integer({ min: 1, max: 40 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constantFrom("duplicateLine" as const, "dropLine" as const),
      line: fc.nat(),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("indent" as const),
      line: fc.nat(),
      by: fc.integer({ min: -4, max: 4 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("aliasBomb" as const),
      at: fc.nat(),
      fanOut: fc.integer({ min: 2, max: 9 }),
      levels: fc.integer({ min: 2, max: 9 }),
    }),
  },
);

export function mutate(original: Uint8Array, mutations: readonly Mutation[]): Buffer {
  let bytes = [...original];
  for (const m of mutations) {
    const at = "at" in m ? m.at % (bytes.length + 1) : 0;
    if (m.kind === "insert") bytes.splice(at, 0, ...m.bytes);
    else if (m.kind === "replace") bytes.splice(at, m.bytes.length, ...m.bytes);
    else if (m.kind === "delete") bytes.splice(at, m.length);
    else if (m.kind === "aliasBomb") bytes.splice(at, 0, ...utf8(aliasBomb(m.fanOut, m.levels)));
    else bytes = editLines(bytes, m);
  }
  return Buffer.from(bytes);
}

function editLines(bytes: number[], m: Extract<Mutation, { line: number }>): number[] {
  const lines: number[][] = [[]];
  for (const b of bytes) {
    if (b === 0x0a) lines.push([]);
    else lines.at(-1)!.push(b);
  }
  const i = m.line % lines.length;
  if (m.kind === "duplicateLine") lines.splice(i, 0, [...lines[i]!]);
  else if (m.kind === "dropLine") lines.splice(i, 1);
  else if (m.kind !== "indent") throw new Error(`unknown line edit ${m.kind}`);
  else if (m.by > 0) lines[i]!.unshift(...Array(m.by).fill(0x20));
  else {
    const spaces = lines[i]!.findIndex((b) => b !== 0x20);
    lines[i]!.splice(0, Math.min(-m.by, spaces === -1 ? lines[i]!.length : spaces));
  }
  return lines.flatMap((l, k) => (k === 0 ? l : [0x0a, ...l]));
}

/** `levels` anchors, each a flow list of `fanOut` aliases of the one before, as one map entry. */
export function aliasBomb(fanOut: number, levels: number): string {
  let text = `\nb0: &b0 [${Array(fanOut).fill("x").join(", ")}]\n`;
  for (let i = 1; i < levels; i++)
    text += `b${i}: &b${i} [${Array(fanOut)
      .fill(`*b${i - 1}`)
      .join(", ")}]\n`;
  return text;
}

/** What every reader may throw for bad input: a RunbookError, and positions that exist. */
export function expectRunbookError(err: unknown, file?: string): void {
  if (!(err instanceof RunbookError)) throw err;
  expect(err.message).not.toMatch(/\n {4}at /);
  if (err instanceof ValidationError) {
    expect(err.diagnostics.length).toBeGreaterThan(0);
    for (const d of err.diagnostics) expectPositioned(d, file);
  }
}

export function expectPositioned(d: Diagnostic, file?: string): void {
  if (file !== undefined) expect(d.file).toBe(file);
  expect(Number.isInteger(d.line) && d.line >= 1, `line of ${JSON.stringify(d)}`).toBe(true);
  expect(Number.isInteger(d.col) && d.col >= 1, `col of ${JSON.stringify(d)}`).toBe(true);
  expect(d.message.length).toBeGreaterThan(0);
}
