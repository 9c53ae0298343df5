import { mkdtempSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { UsageError, ValidationError } from "../../src/errors.js";
import {
  decodeSourceText,
  firstInvalidUtf8,
  MAX_SOURCE_BYTES,
  positionAt,
  readSourceText,
  UnreadableFileError,
} from "../../src/language/source-text.js";
import { FUZZ_SEED } from "./fuzz-mutations.js";

function refusal(read: () => unknown): string {
  try {
    read();
  } catch (err) {
    if (err instanceof ValidationError) return err.message;
    throw err;
  }
  throw new Error("accepted");
}

describe("firstInvalidUtf8", () => {
  it("agrees with the WHATWG decoder on any bytes", () => {
    const strict = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
    const decodes = (b: Uint8Array) => {
      try {
        strict.decode(b);
        return true;
      } catch {
        return false;
      }
    };
    // Bytes biased towards UTF-8 lead and continuation bytes, where the edge cases are.
    const byte = fc.oneof(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0x80, max: 0xf5 }));
    fc.assert(
      fc.property(fc.array(byte, { maxLength: 12 }), (array) => {
        const bytes = Uint8Array.from(array);
        const at = firstInvalidUtf8(bytes);
        expect(decodes(bytes)).toBe(at === bytes.length);
        expect(decodes(bytes.subarray(0, at))).toBe(true);
      }),
      { numRuns: 3000, seed: FUZZ_SEED },
    );
  });

  it.each([
    ["overlong /", [0xc0, 0xaf], 0],
    ["a surrogate", [0x61, 0xed, 0xa0, 0x80], 1],
    ["past U+10FFFF", [0xf4, 0x90, 0x80, 0x80], 0],
    ["truncated at the end", [0x61, 0x62, 0xe2, 0x82], 2],
    ["valid é and 😀", [0xc3, 0xa9, 0xf0, 0x9f, 0x98, 0x80], 6],
  ])("%s", (_name, bytes, at) => {
    expect(firstInvalidUtf8(Uint8Array.from(bytes))).toBe(at);
  });
});

describe("decodeSourceText", () => {
  it("reports the line and column of the first bad byte, counting characters before it", () => {
    const bytes = Buffer.concat([Buffer.from("a: 1\nname: é"), Buffer.from([0xff]), Buffer.from("\n")]);
    expect(refusal(() => decodeSourceText(bytes, "f.yaml"))).toBe(
      "f.yaml:2:8: byte 0xFF is not UTF-8: save the file as UTF-8",
    );
  });

  it("says a UTF-16 file is UTF-16", () => {
    const bytes = Buffer.from("\uFEFFa: 1\n", "utf16le");
    expect(refusal(() => decodeSourceText(bytes, "f.yaml"))).toBe(
      "f.yaml:1:1: the file is UTF-16: save it as UTF-8",
    );
  });

  it("keeps a byte-order mark, for the parser to point at", () => {
    expect(decodeSourceText(Buffer.from("\uFEFFa: 1\n"), "f.yaml")).toBe("\uFEFFa: 1\n");
  });

  it("refuses more than 1 MiB", () => {
    expect(refusal(() => decodeSourceText(new Uint8Array(MAX_SOURCE_BYTES + 1), "f.yaml"))).toBe(
      `f.yaml:1:1: the file is ${MAX_SOURCE_BYTES + 1} bytes; YAML files are read up to 1 MiB (1048576 bytes)`,
    );
  });
});

describe("readSourceText", () => {
  const dir = mkdtempSync(join(tmpdir(), "runbook-source-text-"));

  it("reads UTF-8 text, showing the path given", () => {
    writeFileSync(join(dir, "ok.yaml"), "a: é\n");
    expect(readSourceText(join(dir, "ok.yaml"), "ok.yaml")).toBe("a: é\n");
    writeFileSync(join(dir, "bad.yaml"), Buffer.from([0x61, 0x3a, 0x20, 0x80]));
    expect(refusal(() => readSourceText(join(dir, "bad.yaml"), "bad.yaml"))).toMatch(
      /^bad\.yaml:1:4: byte 0x80/,
    );
  });

  it("refuses a huge file from its size, without reading it", () => {
    const huge = join(dir, "huge.yaml");
    writeFileSync(huge, "");
    truncateSync(huge, 50 * 1024 * 1024 * 1024); // sparse: 50 GiB that take no disk
    expect(refusal(() => readSourceText(huge, "huge.yaml"))).toContain(
      "huge.yaml:1:1: the file is 53687091200 bytes",
    );
  });

  it.each([
    ["missing", "no such file"],
    [".", "not a regular file"],
  ])("%s: a usage error saying why", (name, reason) => {
    let caught: unknown;
    try {
      readSourceText(join(dir, name), name);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(UnreadableFileError);
    expect(caught).toBeInstanceOf(UsageError);
    expect((caught as UnreadableFileError).reason).toBe(reason);
    expect((caught as Error).message).toBe(`cannot read ${name}: ${reason}`);
  });
});

describe("positionAt", () => {
  it("is 1-based, columns in UTF-16 units like yaml's LineCounter", () => {
    expect(positionAt("ab\ncd", 0)).toEqual({ line: 1, col: 1 });
    expect(positionAt("ab\ncd", 4)).toEqual({ line: 2, col: 2 });
    expect(positionAt("ab\n", 3)).toEqual({ line: 2, col: 1 });
  });
});
