import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { validateCommand } from "../../src/commands/validate.js";
import { loadScenario } from "../../src/drill/scenario.js";
import { environmentKind } from "../../src/environment/environment.js";
import { ValidationError } from "../../src/errors.js";
import { loadRunbook } from "../../src/language/load.js";
import { loadSchedule } from "../../src/schedule/schedule-file.js";
import { fakeIo } from "./fake-io.js";

/**
 * Every reader of YAML (runbooks, environments, drill schedules, scenarios) refuses the same
 * bad input the same way: exit 2, one diagnostic at file:line:col, and nothing runs.
 */

const RUNBOOK = `apiVersion: runbook/v1
kind: Runbook
metadata: { name: bad, environment: sandbox }
steps:
  - { id: a, type: note, with: { message: hi } }
`;
const ENVIRONMENT = `apiVersion: runbook/v1
kind: Environment
metadata: { name: bad, environment: sandbox }
aws: { region: us-east-1 }
vars: { x: "1" }
`;
const SCHEDULE = `apiVersion: runbook/v1
kind: DrillSchedule
metadata: { name: bad }
drills:
  - { name: d, runbook: bad, cron: "0 3 * * 1" }
`;
const SCENARIO = `apiVersion: runbook/v1
kind: DrillScenario
metadata: { name: bad }
expect: completed
faults: []
`;
/** Each base text has 5 lines: what a case appends starts on line 6. */
const END = 6;

const bomb = Array.from(
  { length: 9 },
  (_, i) =>
    `l${i}: &a${i} [${Array(9)
      .fill(i === 0 ? "x" : `*a${i - 1}`)
      .join(", ")}]`,
).join("\n");

type Case = { name: string; edit: (base: Buffer) => Buffer; at: string; message: string | RegExp };
const append = (text: string | number[]) => (base: Buffer) =>
  Buffer.concat([base, typeof text === "string" ? Buffer.from(text) : Buffer.from(text)]);

const CASES: Case[] = [
  {
    name: "an alias bomb",
    edit: append(`${bomb}\n`),
    at: `${END + 4}:10`,
    message: /^alias \*a3 makes aliases repeat more than 10000 values/,
  },
  {
    name: "10,000 nested [",
    edit: append(`deep: ${"[".repeat(10_000)}\n`),
    at: `${END}:70`,
    message: "nested more than 64 levels deep: flatten the structure",
  },
  {
    name: "a file over 1 MiB",
    edit: append(`# ${"x".repeat(1024 * 1024)}\n`),
    at: "1:1",
    message: /^the file is \d+ bytes; YAML files are read up to 1 MiB/,
  },
  {
    name: "a control character",
    edit: append('note: "a\u0007b"\n'),
    at: `${END}:9`,
    message: "control character U+0007 is not allowed (only tab, newline and carriage return are)",
  },
  { name: "a NUL byte", edit: append([0x6e, 0x3a, 0x20, 0x00, 0x0a]), at: `${END}:4`, message: /U\+0000/ },
  {
    name: "a byte-order mark",
    edit: (base) => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), base]),
    at: "1:1",
    message: "remove the byte-order mark (U+FEFF) at the start of the file",
  },
  {
    name: "bytes that are not UTF-8",
    edit: append([0x6e, 0x3a, 0x20, 0x63, 0x61, 0x66, 0xe9, 0x0a]),
    at: `${END}:7`,
    message: "byte 0xE9 is not UTF-8: save the file as UTF-8",
  },
  {
    name: "a duplicate key",
    edit: append("apiVersion: runbook/v1\n"),
    at: `${END}:1`,
    message: 'duplicate key "apiVersion" (first at line 1): map keys must be unique',
  },
  {
    name: "a merge key",
    edit: append("extra:\n  <<: { a: 1 }\n"),
    at: `${END + 1}:3`,
    message: "merge keys (<<) are not supported: write the fields out",
  },
  {
    name: "a !!python/object tag",
    edit: append("extra: !!python/object { a: 1 }\n"),
    at: `${END}:24`,
    message: /^tag !!python\/object is not allowed/,
  },
  {
    name: "a local tag",
    edit: append("extra: !foo bar\n"),
    at: `${END}:13`,
    message: /^tag !foo is not allowed/,
  },
  {
    name: "1e999",
    edit: append("extra: 1e999\n"),
    at: `${END}:8`,
    message: "1e999 is not a finite number: quote it if it is text",
  },
  { name: ".inf", edit: append("extra: .inf\n"), at: `${END}:8`, message: /^\.inf is not a finite number/ },
  { name: ".nan", edit: append("extra: .nan\n"), at: `${END}:8`, message: /^\.nan is not a finite number/ },
  {
    name: "an alias without an anchor",
    edit: append("extra: *nowhere\n"),
    at: `${END}:8`,
    message: "alias *nowhere has no anchor &nowhere before it",
  },
  {
    name: "an alias inside its own anchor",
    edit: append("extra: &c [*c]\n"),
    at: `${END}:12`,
    message: /a cycle$/,
  },
  {
    name: "a __proto__ key",
    edit: append("__proto__: {}\n"),
    at: `${END}:1`,
    message: /"__proto__" is not allowed/,
  },
  { name: "a list as a key", edit: append("? [a]\n: 1\n"), at: `${END}:3`, message: /not a list or a map/ },
  {
    name: "YAML 1.1",
    edit: (base) => Buffer.concat([Buffer.from("%YAML 1.1\n---\n"), base]),
    at: "1:1",
    message: /^only YAML 1\.2 is read/,
  },
  { name: "a second document", edit: append("---\nb: 1\n"), at: `${END}:1`, message: /one YAML document/ },
  {
    name: "a lone carriage return",
    edit: append("a: 1\rb: 2\n"),
    at: `${END}:5`,
    message: /carriage return/,
  },
  { name: "a line separator", edit: append("a: x\u2028y\n"), at: `${END}:5`, message: /U\+2028/ },
  {
    name: "a YAML syntax error",
    edit: append("extra: a: b\n"),
    at: `${END}:8`,
    message: /^YAML: Nested mappings/,
  },
];

const dir = mkdtempSync(join(tmpdir(), "runbook-readers-"));
for (const sub of ["runbooks", "environments", join("drills", "scenarios")]) {
  mkdirSync(join(dir, sub), { recursive: true });
}

function refusal(read: () => unknown): ValidationError {
  try {
    read();
  } catch (err) {
    if (err instanceof ValidationError) return err;
    throw err;
  }
  throw new Error("the file was accepted");
}

function expectOne(err: ValidationError, file: string, c: Case): void {
  expect(err.exitCode).toBe(2);
  expect(err.diagnostics, err.message).toHaveLength(1);
  const [d] = err.diagnostics;
  expect(d!.file).toBe(file);
  expect(`${d!.line}:${d!.col}`).toBe(c.at);
  expect(d!.message).toMatch(
    typeof c.message === "string" ? new RegExp(`^${escapeRegExp(c.message)}$`) : c.message,
  );
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

describe.each(CASES)("$name", (c) => {
  it("runbook validate: exit 2, file:line:col on stderr", async () => {
    writeFileSync(join(dir, "runbooks", "bad.yaml"), c.edit(Buffer.from(RUNBOOK)));
    const io = fakeIo(dir);
    expect(await validateCommand(["runbooks/bad.yaml"], io)).toBe(2);
    const [first] = io.err().split("\n");
    expect(first).toMatch(new RegExp(`^runbooks/bad\\.yaml:${c.at}: `));
    expect(io.err()).not.toContain("internal error");
  });

  const readers = [
    {
      reader: "a runbook loaded to run or plan",
      path: ["runbooks", "bad.yaml"],
      base: RUNBOOK,
      read: () => loadRunbook("bad", dir),
    },
    {
      reader: "an environment file",
      path: ["environments", "bad.yaml"],
      base: ENVIRONMENT,
      read: () => environmentKind("bad", dir),
    },
    // A schedule is named in messages as given on the command line; the others by their full path.
    {
      reader: "a drill schedule file",
      path: ["schedule.yaml"],
      base: SCHEDULE,
      read: () => loadSchedule("schedule.yaml", dir),
      shown: "schedule.yaml",
    },
    {
      reader: "a drill scenario file",
      path: ["drills", "scenarios", "bad.yaml"],
      base: SCENARIO,
      read: () => loadScenario("bad", dir),
    },
  ];

  it.each(readers)("$reader", ({ path, base, read, shown }) => {
    const file = join(dir, ...path);
    writeFileSync(file, c.edit(Buffer.from(base)));
    expectOne(refusal(read), shown ?? file, c);
  });
});
