import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { executors } from "../../executors/index.js";
import { sleep } from "../../executors/wait.js";
import { type EngineOptions, startExecution } from "../../src/engine/engine.js";
import { conflict, defineExecutor, type ExecutorDefinition, fatal, retryable } from "../../src/executor.js";
import type { AnyJournalEvent } from "../../src/journal/events.js";
import { journalPath } from "../../src/journal/paths.js";
import { validateRunbook } from "../../src/language/validate.js";

/** Test executors that count their side effects, so tests can assert "exactly once". */
export class World {
  readonly effects: string[] = [];
  readonly flags = new Set<string>();
  readonly attempts = new Map<string, number>();
  readonly starts: { name: string; at: number }[] = [];
}

export function testRegistry(world: World): Map<string, ExecutorDefinition> {
  const effect = defineExecutor({
    type: "test.effect",
    summary: "appends its name to the world's effects",
    params: z.strictObject({
      name: z.string(),
      failTimes: z.number().int().optional(),
      failClass: z.enum(["retryable", "conflict", "fatal"]).optional(),
      delayMs: z.number().int().optional(),
      output: z.string().optional(),
    }),
    describe: (p) => `effect ${p.name}`,
    async check(p) {
      return world.effects.includes(p.name)
        ? { inPlace: true, outputs: { value: p.output ?? p.name } }
        : { inPlace: false };
    },
    async run(p, ctx) {
      const n = (world.attempts.get(p.name) ?? 0) + 1;
      world.attempts.set(p.name, n);
      world.starts.push({ name: p.name, at: Date.now() });
      ctx.progress(`working on ${p.name}`);
      if (p.delayMs) await sleep(p.delayMs, ctx.signal);
      if (n <= (p.failTimes ?? 0)) {
        const make = { retryable, conflict, fatal }[p.failClass ?? "retryable"];
        throw make(`${p.name} failed on attempt ${n}`);
      }
      world.effects.push(p.name);
      return { value: p.output ?? p.name };
    },
  });
  const flag = defineExecutor({
    type: "test.flag-clear",
    summary: "fails while a flag is set: an abort probe",
    params: z.strictObject({ flag: z.string() }),
    idempotent: true,
    describe: (p) => `flag ${p.flag} clear`,
    async run(p) {
      if (world.flags.has(p.flag)) throw retryable(`flag ${p.flag} is set`);
      return {};
    },
  });
  const setFlag = defineExecutor({
    type: "test.set-flag",
    summary: "sets a flag",
    params: z.strictObject({ flag: z.string() }),
    idempotent: true,
    describe: (p) => `set ${p.flag}`,
    async run(p) {
      world.flags.add(p.flag);
      return {};
    },
  });
  return new Map<string, ExecutorDefinition>([
    ...executors,
    ["test.effect", effect],
    ["test.flag-clear", flag],
    ["test.set-flag", setFlag],
  ]);
}

export function setup(yaml: string, opts: Partial<EngineOptions> = {}) {
  const world = new World();
  const registry = testRegistry(world);
  const home = mkdtempSync(join(tmpdir(), "runbook-engine-"));
  const name = /name: ([a-z0-9-]+)/.exec(yaml)![1]!;
  const runbook = validateRunbook(yaml, `runbooks/${name}.yaml`, registry);
  const events: AnyJournalEvent[] = [];
  const options: EngineOptions = {
    home,
    workdir: home,
    env: {},
    operator: "alice",
    autoApprove: true,
    registry,
    random: () => 0.5,
    approvalPollMs: 20,
    onEvent: (e) => events.push(e),
    ...opts,
  };
  return {
    world,
    home,
    runbook,
    events,
    options,
    start: (inputs: Record<string, string> = {}, extra: { declaredAt?: Date } = {}) =>
      startExecution(runbook, { inputs, ...extra }, options),
    journalText: (id: string) => readFileSync(journalPath(home, id), "utf8"),
    ofType: (type: string) => events.filter((e) => e.type === type),
  };
}

export const header = (name: string, extra = "") => `apiVersion: runbook/v1
kind: Runbook
metadata: { name: ${name}, environment: sandbox }
${extra}`;
