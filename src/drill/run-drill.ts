import { spawn } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { engineBase, prepare } from "../commands/prepare.js";
import { type ExecutionOutcome, resumeExecution, startExecution } from "../engine/engine.js";
import { environmentKind } from "../environment/environment.js";
import { ExitCode, RunbookError } from "../errors.js";
import { achievedRtoMs, foldEvents, observedRpoMs } from "../journal/fold.js";
import { JournalWriter, readJournal } from "../journal/journal.js";
import { journalPath, runbookHome } from "../journal/paths.js";
import { verifyJournal } from "../journal/verify-bytes.js";
import { parseDuration } from "../language/duration.js";
import { resolveInputs } from "../language/inputs.js";
import { loadRunbook } from "../language/load.js";
import type { Runbook } from "../language/runbook.js";
import type { EnvironmentChoice } from "../project/project-config.js";
import { listCaseIds } from "../sandbox/apps/case-store.js";
import { readSandboxEndpoints, type SandboxEndpoints } from "../sandbox/endpoints.js";
import { SandboxClient } from "../sandbox/sandbox-client.js";
import { analyzeTraffic, type TrafficAnalysis } from "../sandbox/traffic/traffic-analysis.js";
import { TrafficGenerator } from "../sandbox/traffic/traffic-generator.js";
import { readTrafficLog } from "../sandbox/traffic/traffic-log.js";
import type { DrillRequest, DrillResult, DrillRunner } from "./drill-types.js";
import { judge } from "./expectations.js";
import { loadScenario, type Scenario } from "./scenario.js";

/** A drill against production, or a scenario outside the sandbox: refused before anything is touched. */
export class DrillRefusedError extends RunbookError {
  readonly exitCode = ExitCode.invalid;
}

export interface DrillOptions {
  cwd: string;
  env: Record<string, string | undefined>;
  /** The CLI's entry file: the sandbox is started, and crash scenarios run the engine, as processes of it. */
  cliPath?: string;
  log?: (line: string) => void;
  /** Leave a sandbox this drill started running afterwards. */
  keepSandbox?: boolean;
}

export function createDrillRunner(o: DrillOptions): DrillRunner {
  return (request, stop) => runDrill(request, stop, o);
}

export async function runDrill(req: DrillRequest, stop: AbortSignal, o: DrillOptions): Promise<DrillResult> {
  const startedAt = new Date().toISOString();
  const log = o.log ?? (() => undefined);
  const home = runbookHome(o.env, o.cwd);
  const runbook = loadRunbook(req.runbook, o.cwd);
  const scenario = req.scenario ? loadScenario(req.scenario, o.cwd) : undefined;
  const expect = req.expect ?? scenario?.expect ?? "completed";
  // The prod guard: where the drill would run decides, the environment first, else the runbook's own mark.
  // Only the kind: a sandbox environment cannot be loaded until the sandbox is up.
  const environment = req.env ? environmentKind(req.env, o.cwd) : undefined;
  const target = environment?.kind ?? runbook.environment;
  if (target === "prod") {
    throw new DrillRefusedError(
      `drills never run against production: ${environment ? `environment ${environment.name}` : `runbook ${runbook.name}`} is marked prod; nothing was touched`,
      "Rehearse against a nonprod or sandbox environment: --env sandbox",
    );
  }
  if (scenario && target !== "sandbox") {
    throw new DrillRefusedError(
      `scenario ${scenario.metadata.name} injects faults, which only the sandbox allows; nothing was touched`,
    );
  }
  const base = {
    runbook: runbook.name,
    ...(scenario ? { scenario: scenario.metadata.name } : {}),
    startedAt,
  };

  let startedSandbox = false;
  let endpoints: SandboxEndpoints | undefined;
  if (target === "sandbox") {
    endpoints = await readSandboxEndpoints(home);
    if (!endpoints) {
      log("the sandbox is not running: starting it (runbook sandbox up)");
      await cli(o, ["sandbox", "up"]);
      startedSandbox = true;
      endpoints = await readSandboxEndpoints(home);
      if (!endpoints) throw new Error("runbook sandbox up finished but left no endpoints.json");
    }
  }
  const sandbox = endpoints ? new SandboxClient(endpoints) : undefined;
  try {
    // Account guard and every vars.* the runbook reads, before any fault or step.
    let prepared = await prepare(runbook, asChoice(req.env), o);
    prepared.aws.destroy();
    if (sandbox) {
      log("resetting the sandbox to its initial topology");
      await sandbox.reset();
      await sandbox.clearCalls();
      // A reset after a failover rebuilds the databases on new ports: read the endpoints again.
      prepared = await prepare(runbook, asChoice(req.env), o);
      prepared.aws.destroy();
    }
    let declaredAt: Date | undefined;
    for (const step of scenario?.faults ?? []) {
      if ("wait" in step) {
        log(`waiting ${step.wait}`);
        await sleep(parseDuration(step.wait) ?? 0);
      } else {
        log(`fault: ${step.fault} ${(step.args ?? []).join(" ")}`);
        await sandbox!.fault(step.fault, step.args ?? []);
        declaredAt ??= new Date();
      }
    }
    const traffic = endpoints && scenario?.traffic !== false ? startTraffic(endpoints, home) : undefined;
    const inputs = resolveInputs(runbook, { ...scenario?.inputs, ...req.inputs });
    log(
      `running ${runbook.name} as a drill${scenario?.crashDuring ? ` (the engine is killed during ${scenario.crashDuring}, then resumed)` : ""}`,
    );
    const outcome = scenario?.crashDuring
      ? await crashAndResume(runbook, scenario, inputs, req.env, declaredAt, o, home, stop)
      : await startExecution(
          runbook,
          { inputs, mode: "drill", ...(declaredAt ? { declaredAt } : {}) },
          {
            ...engineBase(prepared, o),
            autoApprove: true,
            stop,
          },
        );
    const analysis = traffic ? await traffic.finish() : undefined;
    const calls = sandbox ? await sandbox.mutatingCalls() : [];
    const path = journalPath(home, outcome.executionId);
    const read = readJournal(path);
    const events = read.events;
    const state = foldEvents(events)!;
    const expectations = judge({
      expect,
      state,
      calls,
      chainVerified: verifyJournal(read).ok,
      ...(analysis ? { traffic: analysis } : {}),
      ...(scenario?.notStarted ? { notStarted: scenario.notStarted } : {}),
    });
    const verdict = expectations.every((e) => e.ok) ? "pass" : "fail";
    const { writer } = JournalWriter.reopen(path);
    writer.append("drill.verdict", {
      ...(scenario ? { scenario: scenario.metadata.name } : {}),
      expect,
      verdict,
      expectations,
    });
    writer.close();
    return {
      ...base,
      executionId: outcome.executionId,
      verdict,
      outcome: outcome.status,
      expectations,
      ...(achievedRtoMs(state) !== undefined ? { rtoMs: achievedRtoMs(state)! } : {}),
      ...(observedRpoMs(state) !== undefined ? { rpoMs: observedRpoMs(state)! } : {}),
      endedAt: new Date().toISOString(),
    };
  } finally {
    if (sandbox) {
      log("restoring the sandbox");
      await sandbox.reset().catch((err) => log(`could not reset the sandbox: ${(err as Error).message}`));
    }
    if (startedSandbox && !o.keepSandbox) await cli(o, ["sandbox", "down"]).catch(() => undefined);
  }
}

function startTraffic(endpoints: SandboxEndpoints, home: string) {
  const logPath = join(home, "sandbox", `drill-traffic-${Date.now()}.jsonl`);
  const generator = new TrafficGenerator({ targetUrl: endpoints.edge, logPath, ratePerSecond: 20 });
  generator.start();
  return {
    async finish(): Promise<TrafficAnalysis> {
      await sleep(1500);
      await generator.stop();
      const writer = endpoints.databases[endpoints.regions[1]]!;
      const present = await listCaseIds(writer, writer).catch(() => new Set<string>());
      return analyzeTraffic(await readTrafficLog(logPath), present);
    },
  };
}

/** Run the engine as a process, SIGKILL it once the step has started, then resume in this one. */
async function crashAndResume(
  runbook: Runbook,
  scenario: Scenario,
  inputs: Record<string, string>,
  envArg: string | undefined,
  declaredAt: Date | undefined,
  o: DrillOptions,
  home: string,
  stop: AbortSignal,
): Promise<ExecutionOutcome> {
  const before = new Set(existsSync(join(home, "executions")) ? readdirSync(join(home, "executions")) : []);
  const args = [
    "run",
    runbook.file,
    "--approve",
    "--json",
    "--as-drill",
    ...(envArg ? ["--env", envArg] : []),
  ];
  for (const [k, v] of Object.entries(inputs)) args.push("-i", `${k}=${v}`);
  if (declaredAt) args.push("--declared-at", declaredAt.toISOString());
  const child = spawn(process.execPath, [cliPathOf(o), ...args], {
    cwd: o.cwd,
    env: { ...o.env },
    stdio: "ignore",
  });
  let id: string | undefined;
  const deadline = Date.now() + 120_000;
  for (;;) {
    id ??= readdirSync(join(home, "executions")).find((d) => !before.has(d));
    const events = id && existsSync(journalPath(home, id)) ? readJournal(journalPath(home, id)).events : [];
    if (events.some((e) => e.type === "step.intent" && e.stepId === scenario.crashDuring)) break;
    if (child.exitCode !== null || Date.now() > deadline)
      throw new Error(`the engine never reached step ${scenario.crashDuring}`);
    await sleep(20);
  }
  child.kill("SIGKILL");
  await new Promise((r) => child.once("exit", r));
  const prepared = await prepare(runbook, asChoice(envArg), o);
  try {
    return await resumeExecution(
      id!,
      {},
      {
        ...engineBase(prepared, o),
        autoApprove: true,
        stop,
      },
    );
  } finally {
    prepared.aws.destroy();
  }
}

function cli(o: DrillOptions, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliPathOf(o), ...args], {
      cwd: o.cwd,
      env: { ...o.env },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let err = "";
    child.stderr?.on("data", (d) => {
      err += d;
    });
    child.on("close", (code) =>
      code === 0 ? resolve() : reject(new Error(`runbook ${args.join(" ")} exited ${code}: ${err.trim()}`)),
    );
  });
}

function cliPathOf(o: DrillOptions): string {
  if (!o.cliPath) throw new Error("this drill needs the runbook CLI's path to start processes");
  return o.cliPath;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The drill's environment was chosen by `runbook drill` (its flag, RUNBOOK_ENV or the project default). */
function asChoice(env: string | undefined): EnvironmentChoice | undefined {
  return env ? { name: env, source: "runbook drill" } : undefined;
}
