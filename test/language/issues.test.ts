import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { executors } from "../../executors/index.js";
import { loadScenario } from "../../src/drill/scenario.js";
import { environmentKind } from "../../src/environment/environment.js";
import { type Diagnostic, ValidationError } from "../../src/errors.js";
import { closest } from "../../src/language/issues.js";
import { ExecutorStep, RunbookDocument } from "../../src/language/schema.js";
import { keysAt } from "../../src/language/schema-keys.js";
import { validateRunbook } from "../../src/language/validate.js";

describe("closest", () => {
  const step = keysAt(ExecutorStep, []);

  it.each([
    ["retires", "retry"],
    ["retries", "retry"],
    ["timout", "timeout"],
    ["timeOut", "timeout"],
    ["time_out", "timeout"],
    ["aproval", "approval"],
    ["approvals", "approval"],
    ["whne", "when"],
    ["desc", "description"],
    ["point_of_no_return", "pointOfNoReturn"],
    ["mileston", "milestone"],
  ])("%s → %s", (typo, meant) => {
    expect(closest(typo, step)).toBe(meant);
  });

  it.each([
    "foo",
    "x",
    "zzzzzzzz",
    "banana",
    "region",
    "command",
    "kubernetes",
    "owner",
    "url",
    "args",
    "steps",
    "tags",
  ])("%s: no nonsense suggestion for an unrelated word", (word) => {
    expect(closest(word, step)).toBeUndefined();
  });

  it("prefers an abbreviation to a near spelling (cmd is command, not cwd)", () => {
    expect(closest("cmd", ["command", "env", "cwd"])).toBe("command");
  });

  it("a very long unknown key is answered at once", () => {
    const started = Date.now();
    expect(closest("k".repeat(200_000), step)).toBeUndefined();
    expect(Date.now() - started).toBeLessThan(500);
  });
});

/** Runbook lines are counted from `apiVersion:` = line 1. */
const RUNBOOK = `apiVersion: runbook/v1
kind: Runbook
metadata:
  name: levels
  environment: sandbox
  owner: sre
objectives: { rto: 1m, rpo: 1m }
inputs:
  region: { default: a, description: where }
abort:
  - id: probe-fails
    probe: { type: note, with: { message: hi } }
    every: 10s
steps:
  - id: first
    type: note
    with: { message: hi }
    timeout: 1m
    retry: { attempts: 2, backoff: 1s }
    approval: { prompt: go? }
  - id: both
    parallel:
      - { id: child, type: note, with: { message: hi }, timeout: 1m }
onAbort:
  - { id: undo, type: note, with: { message: hi }, always: true }
`;

function unknownField(read: () => unknown): Diagnostic {
  try {
    read();
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err;
    const found = err.diagnostics.find((d) => d.message.includes("unknown field"));
    if (found) return found;
    throw new Error(`no unknown-field diagnostic in:\n${err.message}`);
  }
  throw new Error("accepted");
}

/** The 1-based line:col where `text` first has `needle`. */
function where(text: string, needle: string): string {
  const lines = text.split("\n");
  const line = lines.findIndex((l) => l.includes(needle));
  return `${line + 1}:${lines[line]!.indexOf(needle) + 1}`;
}

describe("did you mean, at every level of a runbook", () => {
  it("the base runbook is valid", () => {
    expect(validateRunbook(RUNBOOK, "runbooks/levels.yaml", executors).name).toBe("levels");
  });

  it.each([
    ["top level", "objectives:", "objectivs", "objectives"],
    ["metadata", "  owner: sre", "owners", "owner"],
    ["objectives", "rto: 1m", "rt0", "rto"],
    ["inputs.<name>", "description: where", "descripton", "description"],
    ["abort[i]", "    every: 10s", "evry", "every"],
    ["abort[i].probe", "probe: { type: note", "tpye", "type"],
    ["steps[i]", "    timeout: 1m", "timout", "timeout"],
    ["steps[i] (retry)", "    retry: {", "retires", "retry"],
    ["steps[i].retry", "backoff: 1s", "backof", "backoff"],
    ["steps[i] (approval)", "    approval: {", "aproval", "approval"],
    ["steps[i].approval", "prompt: go?", "promt", "prompt"],
    ["a parallel block", "    parallel:", "paralel", "parallel"],
    ["parallel children", "}, timeout: 1m }", "timeOut", "timeout"],
    ["onAbort[i]", "always: true", "allways", "always"],
    ["executor params (with)", "probe-fails\n    probe: { type: note, with: { message", "mesage", "message"],
  ])("%s: the typo replaces the field meant", (_level, find, typo, meant) => {
    const text = RUNBOOK.replace(find, find.replace(meant, typo));
    expect(text).not.toBe(RUNBOOK);
    const d = unknownField(() => validateRunbook(text, "runbooks/levels.yaml", executors));
    expect(d.message).toMatch(new RegExp(`unknown field "${typo}" \\(did you mean "${meant}"\\?\\)$`));
    expect(`${d.line}:${d.col}`).toBe(where(text, `${typo}:`));
  });
});

describe("did you mean, in environment and scenario files", () => {
  const dir = mkdtempSync(join(tmpdir(), "runbook-did-you-mean-"));
  mkdirSync(join(dir, "environments"));
  mkdirSync(join(dir, "drills", "scenarios"), { recursive: true });
  const ENVIRONMENT = `apiVersion: runbook/v1
kind: Environment
metadata: { name: e, environment: sandbox, description: d }
aws: { region: us-east-1 }
vars: { a: "1" }
`;
  const SCENARIO = `apiVersion: runbook/v1
kind: DrillScenario
metadata: { name: s, description: d }
expect: completed
faults:
  - { wait: 1s }
`;

  function expectSuggestion(text: string, typo: string, meant: string, read: () => unknown): void {
    const d = unknownField(read);
    expect(d.message).toBe(`unknown field "${typo}" (did you mean "${meant}"?)`);
    expect(`${d.line}:${d.col}`).toBe(where(text, `${typo}:`));
  }

  it.each([
    ["top level", "vars:", "var", "vars"],
    ["metadata", "description: d", "descripton", "description"],
    ["aws", "region: us", "regoin", "region"],
  ])("environment %s", (_level, find, typo, meant) => {
    const text = ENVIRONMENT.replace(find, find.replace(meant, typo));
    writeFileSync(join(dir, "environments", "e.yaml"), text);
    expectSuggestion(text, typo, meant, () => environmentKind("e", dir));
  });

  it.each([
    ["top level", "expect:", "expects", "expect"],
    ["metadata", "description: d", "descripton", "description"],
    ["faults[i], a union of shapes", "wait: 1s", "wiat", "wait"],
  ])("scenario %s", (_level, find, typo, meant) => {
    const text = SCENARIO.replace(find, find.replace(meant, typo));
    writeFileSync(join(dir, "drills", "scenarios", "s.yaml"), text);
    expectSuggestion(text, typo, meant, () => loadScenario("s", dir));
  });
});

describe("union fields", () => {
  it("a value of a type no shape takes says which types are", () => {
    const text = RUNBOOK.replace("approval: { prompt: go? }", "approval: yes please");
    try {
      validateRunbook(text, "runbooks/levels.yaml", executors);
    } catch (err) {
      expect((err as ValidationError).message).toContain(
        "runbooks/levels.yaml:20:15: steps[0].approval: expected boolean or object",
      );
      return;
    }
    throw new Error("accepted");
  });

  it("keysAt merges the shapes of a union", () => {
    expect(keysAt(RunbookDocument, ["steps", 0])).toEqual(expect.arrayContaining(["parallel", "retry"]));
  });
});
