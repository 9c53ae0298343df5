import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { executors } from "../../executors/index.js";
import { validateCommand } from "../../src/commands/validate.js";
import { loadScenario } from "../../src/drill/scenario.js";
import { loadEnvironment } from "../../src/environment/environment.js";
import { RunbookError } from "../../src/errors.js";
import { parseInputPairs, resolveInputs } from "../../src/language/inputs.js";
import { SourceMap } from "../../src/language/source-map.js";
import { validateRunbook } from "../../src/language/validate.js";
import { loadSchedule } from "../../src/schedule/schedule-file.js";
import { fakeIo } from "./fake-io.js";
import {
  expectPositioned,
  expectRunbookError,
  FUZZ_SEED,
  mutate,
  mutation,
  runs,
  TOKENS,
} from "./fuzz-mutations.js";

/**
 * Bad input never reaches "internal error": every reader of YAML, fed mutated copies of the
 * shipped files, either accepts them or throws a RunbookError whose diagnostics all have a
 * file:line:col. Set FUZZ_SEED to replay a failure, FUZZ_SCALE=10 for a longer run.
 */

const ROOT = new URL("../..", import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), "runbook-fuzz-"));
const mutations = fc.array(mutation, { minLength: 1, maxLength: 4 });
const options = (numRuns: number) => ({ numRuns: runs(numRuns), seed: FUZZ_SEED });

// By name, so that a counterexample prints as a name and its edits, not as bytes.
const shipped = new Map(
  readdirSync(join(ROOT, "runbooks"))
    .filter((f) => f.endsWith(".yaml"))
    .map((name) => [name, readFileSync(join(ROOT, "runbooks", name))] as const),
);

describe("fuzz: runbook validate", () => {
  it("a mutated runbook exits 0 or 2, with positioned messages and never an internal error", async () => {
    const cwd = join(work, "validate");
    mkdirSync(join(cwd, "runbooks"), { recursive: true });
    let invalid = 0;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...shipped.keys()), mutations, async (name, edits) => {
        const file = join("runbooks", name);
        writeFileSync(join(cwd, file), mutate(shipped.get(name)!, edits));
        const io = fakeIo(cwd);
        const code = await validateCommand([file], io);
        expect([0, 2]).toContain(code);
        expect(io.err()).not.toContain("internal error");
        expect(io.err()).not.toMatch(/\n {4}at /);
        if (code === 0) expect(io.out()).toContain(`ok ${file}`);
        else {
          invalid++;
          const lines = io.err().trimEnd().split("\n");
          expect(lines.at(-1)).toBe("1 of 1 runbook invalid");
          for (const line of lines.slice(0, -1))
            expect(line).toMatch(/^runbooks\/[\w.-]+\.yaml:[1-9]\d*:[1-9]\d*: ./);
        }
      }),
      options(2000),
    );
    // The mutations must actually break files, or the property says little.
    expect(invalid).toBeGreaterThan(runs(2000) / 2);
  });

  it("any sequence of YAML fragments parses or is refused at a position", () => {
    const soup = fc.array(
      fc.oneof(
        fc.constantFrom(...TOKENS).map((t) => Buffer.from(t)),
        fc.string().map((s) => Buffer.from(s)),
      ),
      { maxLength: 30 },
    );
    fc.assert(
      fc.property(soup, (parts) => {
        const text = new TextDecoder().decode(Buffer.concat(parts));
        try {
          validateRunbook(text, "soup.yaml", executors);
        } catch (err) {
          expectRunbookError(err, "soup.yaml");
        }
        for (const d of new SourceMap("soup.yaml", text).syntaxErrors()) expectPositioned(d, "soup.yaml");
      }),
      options(3000),
    );
  });
});

describe("fuzz: --input values", () => {
  const file = join(work, "inputs", "inputs-fuzz.yaml");
  mkdirSync(join(work, "inputs"), { recursive: true });
  writeFileSync(
    file,
    `apiVersion: runbook/v1
kind: Runbook
metadata: { name: inputs-fuzz, environment: sandbox }
inputs:
  region: { required: true, enum: [us-east-1, us-west-2] }
  mode: { default: graceful, enum: [graceful, ungraceful] }
  ticket: { required: true, description: The incident ticket }
  toString: { default: x }
  note: {}
steps:
  - { id: a, type: note, with: { message: "\${{ inputs.region }} \${{ inputs.note }}" } }
`,
  );
  const runbook = validateRunbook(readFileSync(file, "utf8"), file, executors);
  const name = fc.constantFrom(
    "region",
    "mode",
    "ticket",
    "toString",
    "note",
    "__proto__",
    "constructor",
    "regoin",
    "",
  );
  const value = fc.oneof(
    fc.constantFrom("us-east-1", "graceful", "ungraceful", ""),
    fc.string({ unit: "binary" }),
  );
  const pair = fc.oneof(
    fc.tuple(name, value).map(([k, v]) => `${k}=${v}`),
    fc.string({ unit: "binary" }),
  );

  it("resolve to declared inputs or a RunbookError positioned in the runbook", () => {
    fc.assert(
      fc.property(fc.array(pair, { maxLength: 6 }), (pairs) => {
        try {
          const inputs = resolveInputs(runbook, parseInputPairs(pairs));
          for (const [k, v] of Object.entries(inputs)) {
            expect(Object.hasOwn(runbook.inputs, k)).toBe(true);
            expect(typeof v).toBe("string");
          }
        } catch (err) {
          expectRunbookError(err, file);
        }
      }),
      options(1000),
    );
  });
});

describe("fuzz: environment, schedule and scenario files", () => {
  const home = join(work, "home");
  mkdirSync(join(home, "sandbox"), { recursive: true });
  writeFileSync(
    join(home, "sandbox", "endpoints.json"),
    JSON.stringify({ emulator: "http://127.0.0.1:1", accountId: "000000000000", edge: "http://127.0.0.1:2" }),
  );
  const environments = new Map(
    ["sandbox.yaml", "aws-example.yaml"].map(
      (n) => [n, readFileSync(join(ROOT, "environments", n))] as const,
    ),
  );

  it("an environment file loads or is refused with positions", () => {
    const file = join(work, "env-fuzz.yaml");
    fc.assert(
      fc.property(fc.constantFrom(...environments.keys()), mutations, (name, edits) => {
        writeFileSync(file, mutate(environments.get(name)!, edits));
        try {
          loadEnvironment(file, work, home, {});
        } catch (err) {
          expectRunbookError(err, file);
        }
      }),
      options(800),
    );
  });

  it("a drill schedule file loads or is refused with positions", () => {
    const bytes = readFileSync(join(ROOT, "drills", "schedule.example.yaml"));
    const file = join(work, "schedule-fuzz.yaml");
    const now = new Date("2026-11-27T00:00:00Z");
    fc.assert(
      fc.property(mutations, (edits) => {
        writeFileSync(file, mutate(bytes, edits));
        try {
          loadSchedule(file, ROOT, { now });
        } catch (err) {
          expectRunbookError(err, file);
        }
      }),
      options(800),
    );
  });

  it("a drill scenario file loads or is refused with positions", () => {
    const names = readdirSync(join(ROOT, "drills", "scenarios")).map((f) => f.replace(/\.yaml$/, ""));
    const dir = join(work, "drills", "scenarios");
    mkdirSync(dir, { recursive: true });
    fc.assert(
      fc.property(fc.constantFrom(...names), mutations, (name, edits) => {
        const bytes = readFileSync(join(ROOT, "drills", "scenarios", `${name}.yaml`));
        writeFileSync(join(dir, `${name}.yaml`), mutate(bytes, edits));
        try {
          loadScenario(name, work);
        } catch (err) {
          expectRunbookError(err, join(dir, `${name}.yaml`));
        }
      }),
      options(600),
    );
  });

  it("only RunbookErrors come out, checked by class", () => {
    // The helper rethrows anything else: make sure that is what it does.
    expect(() => expectRunbookError(new TypeError("x"))).toThrow(TypeError);
    expect(() =>
      expectRunbookError(
        new (class extends RunbookError {
          exitCode = 2 as const;
        })("m"),
      ),
    ).not.toThrow();
  });
});
