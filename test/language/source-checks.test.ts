import { describe, expect, it } from "vitest";
import { MAX_NESTING_DEPTH } from "../../src/language/source-checks.js";
import { SourceMap } from "../../src/language/source-map.js";

/** The refusals of a text as `line:col message`. */
function refused(text: string): string[] {
  return new SourceMap("f.yaml", text).syntaxErrors().map((d) => `${d.line}:${d.col} ${d.message}`);
}

const DEEP = `nested more than ${MAX_NESTING_DEPTH} levels deep: flatten the structure`;

describe("nesting depth", () => {
  it("the cap is well below where yaml's own stack overflows (~1,000 levels)", () => {
    expect(MAX_NESTING_DEPTH).toBeLessThanOrEqual(100);
  });

  it.each([
    ["flow sequences", (n: number) => `${"[".repeat(n)}${"]".repeat(n)}\n`],
    ["flow maps", (n: number) => `${"{a: ".repeat(n)}1${"}".repeat(n)}\n`],
    [
      "block maps",
      (n: number) => `${Array.from({ length: n }, (_, i) => `${" ".repeat(i)}a:`).join("\n")} 1\n`,
    ],
    ["compact block sequences", (n: number) => `${"- ".repeat(n)}x\n`],
  ])("%s: %d levels pass, one more is refused at the level too many", (_kind, nest) => {
    expect(refused(nest(MAX_NESTING_DEPTH))).toEqual([]);
    const [problem] = refused(nest(MAX_NESTING_DEPTH + 1));
    expect(problem).toMatch(new RegExp(`^\\d+:\\d+ ${DEEP}$`));
  });

  it("10,000 nested [ are refused at the 65th, without the parser's stack overflow", () => {
    expect(refused(`a: ${"[".repeat(10_000)}`)).toEqual([`1:${4 + MAX_NESTING_DEPTH - 1} ${DEEP}`]);
  });

  it("a megabyte of [ is refused quickly: the parser stops at the cap", () => {
    const started = Date.now();
    expect(refused("[".repeat(1024 * 1024 - 1))).toHaveLength(1);
    // Parsing it whole took 9 s here; stopping at the cap takes milliseconds.
    expect(Date.now() - started).toBeLessThan(3000);
  });
});

describe("characters", () => {
  it("tab, LF and CRLF are fine", () => {
    expect(refused('a: "x\ty"\r\nb: 2\n')).toEqual([]);
  });

  it.each([
    ["\u0000", "control character U+0000 is not allowed (only tab, newline and carriage return are)"],
    ["\u001B", "control character U+001B is not allowed (only tab, newline and carriage return are)"],
    ["\u007F", "control character U+007F is not allowed (only tab, newline and carriage return are)"],
    ["\u0085", "control character U+0085 is not allowed (only tab, newline and carriage return are)"],
    ["\uFEFF", "remove the byte-order mark (U+FEFF): an invisible character"],
    ["\u2029", "U+2029 (a Unicode line separator) is not allowed: YAML reads it as a space; use a newline"],
    ["\uD800", "U+D800 is half of a surrogate pair, not a character"],
    ["\uFFFF", "U+FFFF is not a character"],
  ])("%j is refused where it is", (char, message) => {
    expect(refused(`a: 1\nb: "x${char}y"\n`)).toEqual([`2:6 ${message}`]);
  });

  it("says how many more there are, once", () => {
    expect(refused("a: \u0001\u0002\u0003\n")).toEqual([
      "1:4 control character U+0001 is not allowed (only tab, newline and carriage return are) (2 more such characters in the file)",
    ]);
  });

  it("a byte-order mark at the start", () => {
    expect(refused("\uFEFFa: 1\n")).toEqual([
      "1:1 remove the byte-order mark (U+FEFF) at the start of the file",
    ]);
  });

  it("text over 1 MiB, counted in UTF-8 bytes", () => {
    // 350,000 × "é€" is 700,000 UTF-16 units but 1,750,000 UTF-8 bytes.
    expect(refused(`a: "${"é€".repeat(350_000)}"\n`)[0]).toMatch(
      /^1:1 the file is 1750006 bytes; YAML files are read up to 1 MiB/,
    );
  });
});
