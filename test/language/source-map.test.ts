import { describe, expect, it } from "vitest";
import { z } from "zod";
import { closest, issuesToDiagnostics } from "../../src/language/issues.js";
import { ExecutorStep, RunbookDocument } from "../../src/language/schema.js";
import { keysAt } from "../../src/language/schema-keys.js";
import { SourceMap } from "../../src/language/source-map.js";

const TEXT = `top: 1
map:
  key: value
  empty:
  list:
    - first
    - { inner: 2 }
`;

describe("SourceMap.at", () => {
  const map = new SourceMap("f.yaml", TEXT);

  it("points at values, or at keys with key: true", () => {
    expect(map.at(["top"])).toEqual({ line: 1, col: 6 });
    expect(map.at(["map", "key"])).toEqual({ line: 3, col: 8 });
    expect(map.at(["map", "key"], { key: true })).toEqual({ line: 3, col: 3 });
    expect(map.at(["map", "list", 1, "inner"])).toEqual({ line: 7, col: 16 });
    expect(map.at(["map", "list", 0])).toEqual({ line: 6, col: 7 });
  });

  it("a key without a value points at its line", () => {
    // yaml gives `empty:` a null value node just after the colon (4:9); either column is on the key's line.
    expect(map.at(["map", "empty"]).line).toBe(4);
  });

  it("a path that does not exist points at the deepest node that does", () => {
    expect(map.at(["map", "missing"])).toEqual({ line: 3, col: 3 });
    expect(map.at(["map", "list", 9])).toEqual({ line: 6, col: 5 });
    expect(map.at([])).toEqual({ line: 1, col: 1 });
  });

  it("diagnostic carries the file", () => {
    expect(map.diagnostic(["top"], "m")).toEqual({ file: "f.yaml", line: 1, col: 6, message: "m" });
  });

  it("a clean document has no syntax errors", () => {
    expect(map.syntaxErrors()).toEqual([]);
  });
});

describe("closest", () => {
  it("suggests a near key, case-insensitively", () => {
    expect(closest("timout", ["timeout", "retry"])).toBe("timeout");
    expect(closest("Retry", ["timeout", "retry"])).toBe("retry");
    expect(closest("objectivs", ["objectives", "inputs"])).toBe("objectives");
  });

  it("picks the nearest of several", () => {
    expect(closest("whne", ["when", "with", "name"])).toBe("when");
  });

  it("suggests nothing when nothing is near", () => {
    expect(closest("zzzzzzzz", ["timeout", "retry"])).toBeUndefined();
    expect(closest("x", [])).toBeUndefined();
  });
});

describe("keysAt", () => {
  it("lists the fields allowed at a path", () => {
    expect(keysAt(RunbookDocument, ["metadata"]).sort()).toEqual(
      ["accounts", "description", "environment", "lint", "name", "owner"].sort(),
    );
    expect(keysAt(RunbookDocument, ["objectives"]).sort()).toEqual(["rpo", "rto"]);
  });

  it("through arrays and unions: a step allows executor-step and parallel-block fields", () => {
    const keys = keysAt(RunbookDocument, ["steps", 0]);
    expect(keys).toContain("timeout");
    expect(keys).toContain("parallel");
    expect(keysAt(RunbookDocument, ["steps", 0, "retry"]).sort()).toEqual([
      "attempts",
      "backoff",
      "maxBackoff",
    ]);
  });

  it("through records", () => {
    expect(keysAt(RunbookDocument, ["inputs", "anyName"])).toContain("default");
  });

  it("paths are relative to the schema given", () => {
    expect(keysAt(ExecutorStep, [])).toContain("timeout");
    expect(keysAt(ExecutorStep, ["steps", 0])).toEqual([]);
  });
});

describe("issuesToDiagnostics", () => {
  const map = new SourceMap("f.yaml", "a:\n  b: 1\n  c: x\n");
  const schema = z.strictObject({ a: z.strictObject({ b: z.number(), c: z.number(), d: z.string() }) });

  it("positions each issue and suggests known keys for unknown ones", () => {
    const issues = schema.safeParse({ a: { b: 1, c: "x", bb: 2 } }).error!.issues;
    const d = issuesToDiagnostics(issues, map, [], (p) => keysAt(schema, p));
    const unknown = d.find((x) => x.message.includes("unknown field"));
    expect(unknown).toBeDefined();
    expect(unknown!.message).toBe('unknown field "bb" (did you mean "b"?)');
    expect(d.every((x) => x.file === "f.yaml")).toBe(true);
    const missing = d.find((x) => x.message.includes('"d"'));
    expect(missing).toMatchObject({ line: 2, col: 3 });
    expect(missing!.message).toContain("missing required field");
  });
});
