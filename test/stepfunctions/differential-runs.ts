import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { expect } from "vitest";
import { type ExecutionState, foldEvents } from "../../src/journal/fold.js";
import { readJournal } from "../../src/journal/journal.js";
import { journalPath } from "../../src/journal/paths.js";
import { executorSteps, type Runbook } from "../../src/language/runbook.js";
import type { SandboxEndpoints } from "../../src/sandbox/endpoints.js";
import { finish, ROOT, startCli } from "../cli/harness.js";

/**
 * One run of a runbook on the sandbox through one engine, as the differential tests compare
 * them: the journal's fold, and the emulator's call log of the run (the sandbox is reset
 * before it, which empties the log).
 */

export type Engine = "local" | "stepfunctions";

export interface Call {
  service: string;
  operation: string;
  region: string;
  params: unknown;
  outcome: string;
}

export interface EngineRun {
  engine: Engine;
  state: ExecutionState;
  /** Mutating calls the emulator answered during the run, the engine's own (Step Functions' API) left out. */
  effects: Call[];
  /** Operation names the emulator counts as mutating, from its log of this run. */
  mutatingOperations: Set<string>;
}

export interface RunOptions {
  home: string;
  env: Record<string, string>;
  endpoints: () => SandboxEndpoints;
  engine: Engine;
  runbook: string;
  args?: string[];
  /** Sees each journal event the run prints (--json), as it prints it. */
  onEvent?: (e: { type: string; stepId?: string; data: Record<string, unknown> }) => void;
}

export async function runOnSandbox(o: RunOptions): Promise<EngineRun> {
  const args = ["run", o.runbook, "--env", "sandbox", "--approve", "--json", ...(o.args ?? [])];
  if (o.engine === "stepfunctions") args.push("--engine", "stepfunctions");
  const child = startCli(args, ROOT, o.env);
  let executionId = "";
  let pending = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    pending += chunk.toString("utf8");
    const lines = pending.split("\n");
    pending = lines.pop() ?? "";
    for (const line of lines) {
      if (!line.startsWith("{")) continue;
      const e = JSON.parse(line) as { type: string; stepId?: string; data: Record<string, unknown> };
      if (e.type === "execution.started") executionId = String(e.data.executionId);
      o.onEvent?.(e);
    }
  });
  const done = await finish(child);
  expect(done.code, `${o.engine} run of ${o.runbook}: ${done.stderr}`).toBe(0);
  expect(executionId, "the run printed its execution.started").not.toBe("");
  const state = foldEvents(readJournal(journalPath(o.home, executionId)).events)!;
  const calls = (await (await fetch(`${o.endpoints().emulator}/_sandbox/calls?mutating=1`)).json()) as Call[];
  return {
    engine: o.engine,
    state,
    // StartExecution and SendTaskSuccess are how the engine runs, not what the runbook does.
    effects: calls.filter((c) => c.service !== "states"),
    mutatingOperations: new Set(calls.map((c) => c.operation)),
  };
}

/**
 * Starts as many containers of the runbook's two functions as its steps and probes can use at
 * once (its widest block plus its watchers), and waits for them: Step Functions then starts
 * warm, as the local engine does (its process start-up comes before its execution.started).
 * What an invocation answers does not matter, only that a container started for it.
 */
export async function warmFunctions(endpoints: SandboxEndpoints, rb: Runbook): Promise<void> {
  const lambda = new LambdaClient({
    region: endpoints.regions[1],
    endpoint: endpoints.emulator,
    credentials: endpoints.credentials,
  });
  const widest = Math.max(1, ...rb.steps.map((s) => (s.kind === "parallel" ? s.children.length : 1)));
  const invoke = (fn: string) =>
    lambda.send(
      new InvokeCommand({
        FunctionName: `runbook-${rb.name}-${fn}`,
        Payload: new TextEncoder().encode(JSON.stringify({ action: "warm" })),
      }),
    );
  try {
    await Promise.all([
      ...Array.from({ length: widest + rb.abort.length }, () => invoke("steps")),
      invoke("approvals"),
      invoke("approvals"),
    ]);
  } finally {
    lambda.destroy();
  }
}

/** A sandbox fault through the supervisor's control API (what `runbook sandbox fault` sends). */
export async function fault(
  endpoints: SandboxEndpoints,
  name: string,
  args: string[],
  clear = false,
): Promise<void> {
  const res = await fetch(`${endpoints.control}/fault`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name, args, clear }),
  });
  expect(res.status, await res.clone().text()).toBe(200);
}

export interface StepOutcome {
  status: string;
  attempts?: number;
  outputKeys: string[];
  alreadyInPlace: boolean;
  skipReason?: string;
}

/** Each step's final status, its attempts when `deterministic` says they cannot depend on timing, its outputs' keys. */
export function stepOutcomes(
  run: EngineRun,
  deterministic: (stepId: string) => boolean,
): Record<string, StepOutcome> {
  return Object.fromEntries(
    [...run.state.steps.values()].map((s) => [
      s.id,
      {
        status: s.status,
        ...(deterministic(s.id) ? { attempts: s.attempts } : {}),
        outputKeys: Object.keys(s.outputs ?? {}).sort(),
        alreadyInPlace: s.alreadyInPlace === true,
        ...(s.skipReason ? { skipReason: s.skipReason } : {}),
      },
    ]),
  );
}

/** Steps whose attempts cannot depend on timing: the runbook gives them one. */
export function singleAttemptSteps(run: EngineRun): (stepId: string) => boolean {
  const rb = run.state.runbookIr as Runbook;
  const once = new Set(
    executorSteps([...rb.steps, ...rb.onAbort])
      .filter((s) => s.retry.attempts === 1)
      .map((s) => s.id),
  );
  for (const s of rb.steps) if (s.kind === "parallel") once.add(s.id);
  return (id) => once.has(id);
}

/** Per step, the mutating calls its journal says it made (`service:Operation` → count). */
export function mutatingCallsByStep(
  run: EngineRun,
  mutating: ReadonlySet<string>,
): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const s of run.state.steps.values()) {
    const calls = Object.entries(s.calls ?? {}).filter(([k]) => mutating.has(k.split(":").at(-1)!));
    if (calls.length) out[s.id] = Object.fromEntries(calls.sort());
  }
  return out;
}

/** Mutating calls that took effect, by `service:Operation` (regions differ: ARC's endpoint is picked per run). */
export function effectCounts(run: EngineRun): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const c of run.effects.filter((c) => c.outcome === "ok")) {
    const key = `${c.service}:${c.operation}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return Object.fromEntries(Object.entries(counts).sort());
}

/** The same change made twice: the same operation with the same parameters, more than once. */
export function repeatedEffects(run: EngineRun): string[] {
  const seen = new Map<string, number>();
  for (const c of run.effects.filter((c) => c.outcome === "ok")) {
    const key = `${c.service}:${c.operation} ${JSON.stringify(c.params)}`;
    seen.set(key, (seen.get(key) ?? 0) + 1);
  }
  return [...seen].filter(([, n]) => n > 1).map(([k, n]) => `${n}× ${k}`);
}

/** How long each gate waited for its approvals (ms): from its request to its last approval. */
export function gateWaits(run: EngineRun): Record<string, { from: number; ms: number }> {
  const out: Record<string, { from: number; ms: number }> = {};
  for (const s of run.state.steps.values()) {
    const last = s.approvals.at(-1);
    if (!s.gateRequested || !last) continue;
    const from = Date.parse(s.gateRequested.at);
    out[s.id] = { from, ms: Date.parse(last.at) - from };
  }
  return out;
}

/**
 * Each milestone's offset from the execution's start, in ms, less the time the execution had
 * spent waiting at gates by then (`lessGateWaits`): how long an approval takes is the
 * approver's time, not the engine's, and the local engine's `--approve` answers in-process
 * where Step Functions' goes through the approval function (history poll, proof, STS, token).
 */
export function milestoneOffsets(
  run: EngineRun,
  o: { lessGateWaits?: boolean } = {},
): Record<string, number> {
  const start = Date.parse(run.state.startedAt);
  const waits = Object.values(gateWaits(run));
  return Object.fromEntries(
    Object.entries(run.state.milestones)
      .filter(([name]) => name !== "incident_declared")
      .map(([name, at]) => {
        const t = Date.parse(at);
        const waited = o.lessGateWaits
          ? waits.filter((w) => w.from + w.ms <= t).reduce((sum, w) => sum + w.ms, 0)
          : 0;
        return [name, t - start - waited];
      }),
  );
}
