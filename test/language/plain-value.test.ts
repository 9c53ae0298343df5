import { describe, expect, it } from "vitest";
import { ValidationError } from "../../src/errors.js";
import { MAX_ALIASED_VALUES } from "../../src/language/plain-value.js";
import { SourceMap } from "../../src/language/source-map.js";

function value(text: string): unknown {
  return new SourceMap("f.yaml", text).value();
}

function refused(text: string): string[] {
  try {
    value(text);
  } catch (err) {
    if (err instanceof ValidationError) return err.diagnostics.map((d) => `${d.line}:${d.col} ${d.message}`);
    throw err;
  }
  throw new Error("accepted");
}

describe("what stays plain data", () => {
  it("maps, lists, strings, finite numbers, booleans and null", () => {
    expect(value("a: [1, -2.5, 0x1F, true, ~, 'x', \"y\"]\nb: { c: d }\nc: |\n  text\n")).toEqual({
      a: [1, -2.5, 31, true, null, "x", "y"],
      b: { c: "d" },
      c: "text\n",
    });
  });

  it("the core tags only say again what a value is: !!str 1.10 stays the text 1.10", () => {
    expect(value("v: !!str 1.10\nn: !!int 3\nl: !!seq [a]\nm: !!map { a: 1 }\nz: !!null ''\n")).toEqual({
      v: "1.10",
      n: 3,
      l: ["a"],
      m: { a: 1 },
      z: null,
    });
  });

  it("a flow list of pairs is a list of one-field maps", () => {
    expect(value("a: [b: 1, c]\n")).toEqual({ a: [{ b: 1 }, "c"] });
  });

  it("keys that are numbers or booleans become their text", () => {
    expect(value("1: a\ntrue: b\n")).toEqual({ 1: "a", true: "b" });
  });

  it("an empty document is null", () => {
    expect(value("")).toBeNull();
    expect(value("# only a comment\n")).toBeNull();
  });
});

describe("aliases", () => {
  it("repeat a value, shared (not copied)", () => {
    const v = value("base: &b { url: x }\none: *b\ntwo: *b\n") as Record<string, unknown>;
    expect(v.one).toEqual({ url: "x" });
    expect(v.one).toBe(v.two);
  });

  it("refer to the latest anchor of that name before them", () => {
    expect(value("a: &x 1\nb: *x\nc: &x 2\nd: *x\n")).toEqual({ a: 1, b: 1, c: 2, d: 2 });
  });

  it(`may repeat up to ${MAX_ALIASED_VALUES} values in all`, () => {
    const uses = Array.from({ length: MAX_ALIASED_VALUES / 2 }, (_, i) => `u${i}: *p`).join("\n");
    expect(() => value(`pair: &p [a]\n${uses}\n`)).not.toThrow(); // a list of one is 2 values
    expect(refused(`pair: &p [a]\n${uses}\nlast: *p\n`)).toEqual([
      `${MAX_ALIASED_VALUES / 2 + 2}:7 alias *p makes aliases repeat more than ${MAX_ALIASED_VALUES} values: aliases are for repeating small values, not for multiplying data`,
    ]);
  });

  it("20,000 anchors and aliases are refused in well under a second or two (yaml's toJS took 13 s)", () => {
    const text = Array.from({ length: 20_000 }, (_, i) => `- &a${i} x\n- *a${i}`).join("\n");
    const started = Date.now();
    expect(refused(text)[0]).toMatch(/alias \*a10000 makes aliases repeat more than/);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it("an alias as a key stands for its scalar", () => {
    expect(value("k: &k name\n*k : 1\n")).toEqual({ k: "name", name: 1 });
  });
});

describe("what is refused, each where it is", () => {
  it.each([
    ["!!binary", "b: !!binary aGVsbG8=\n", "1:13 tag !!binary is not allowed"],
    [
      "a %TAG shorthand",
      "%TAG !e! tag:example.com,2000:\n---\nb: !e!x 1\n",
      "3:9 tag tag:example.com,2000:x is not allowed",
    ],
    ["!!int on text", "b: !!int abc\n", "1:4 YAML: Unresolved tag: tag:yaml.org,2002:int"],
    ["-.inf", "b: -.inf\n", "1:4 -.inf is not a finite number: quote it if it is text"],
    [
      "an inexact integer",
      "b: 12345678901234567890\n",
      "1:4 12345678901234567890 is too large to be an exact number: quote it",
    ],
    [
      "an inexact hex integer",
      "b: 0xFFFFFFFFFFFFFFFF\n",
      "1:4 0xFFFFFFFFFFFFFFFF is too large to be an exact number: quote it",
    ],
    [
      "a key that is 1 and '1'",
      "1: a\n'1': b\n",
      '2:1 duplicate key "1" (first at line 1): map keys must be unique',
    ],
    ["an empty key", ": 1\n", "1:1 a key is empty"],
    ["a null key", "~: 1\n", "1:1 a key is empty"],
    ["a map as a key", "? { a: 1 }\n: 2\n", "1:3 a key must be a single value, not a list or a map"],
    [
      "an alias of a list as a key",
      "l: &l [a]\n? *l\n: 2\n",
      "2:3 a key must be a single value, not a list or a map",
    ],
    ["a quoted <<", '"<<": 1\n', "1:1 merge keys (<<) are not supported: write the fields out"],
    [
      "a cycle through a map",
      "a: &m { b: *m }\n",
      "1:12 alias *m is inside the value it repeats (&m): a cycle",
    ],
    ["%YAML 1.1", "%YAML 1.1\n---\na: yes\n", "1:1 only YAML 1.2 is read: remove the %YAML 1.1 line"],
    ["%YAML 1.3", "%YAML 1.3\n---\na: 1\n", "1:7 YAML: Unsupported YAML version 1.3"],
  ])("%s", (_name, text, expected) => {
    const problems = refused(text);
    expect(
      problems.some((p) => p.startsWith(expected)),
      problems.join("\n"),
    ).toBe(true);
  });

  it("every problem is listed, in the order of the file", () => {
    expect(refused("a: !foo x\nb: 1e999\nc: *none\n")).toEqual([
      "1:9 tag !foo is not allowed: remove it (only !!str, !!int, !!float, !!bool, !!null, !!seq and !!map are)",
      "2:4 1e999 is not a finite number: quote it if it is text",
      "3:4 alias *none has no anchor &none before it",
    ]);
  });

  it("a map of 20,000 keys is checked for duplicates in one pass (yaml's uniqueKeys took 4 s)", () => {
    const text = `${Array.from({ length: 20_000 }, (_, i) => `k${i}: 1`).join("\n")}\nk7: 2\n`;
    const started = Date.now();
    expect(refused(text)).toEqual(['20001:1 duplicate key "k7" (first at line 8): map keys must be unique']);
    expect(Date.now() - started).toBeLessThan(3000);
  });
});
