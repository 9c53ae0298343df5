import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { achievedRtoMs, foldEvents, observedRpoMs } from "../../journal/fold.js";
import { readJournal } from "../../journal/journal.js";
import { journalPath } from "../../journal/paths.js";
import { listCaseIds } from "../apps/case-store.js";
import { readSandboxEndpoints } from "../endpoints.js";
import { analyzeTraffic, type TrafficAnalysis } from "../traffic/traffic-analysis.js";
import { TrafficGenerator } from "../traffic/traffic-generator.js";
import { readTrafficLog } from "../traffic/traffic-log.js";

/**
 * The quick start, as a function the bench can call too: a real regional failover of
 * case-api on the sandbox, with client traffic as the ground truth. Every step goes
 * through the real CLI (`runbook sandbox up`, `fault`, `run`, `down`), as a user would.
 */

export interface DemoOptions {
  cli: string;
  cwd: string;
  env: Record<string, string | undefined>;
  home: string;
  /** Show the run's live view on this terminal (else the run's JSON goes to a file). */
  interactive: boolean;
  log: (line: string) => void;
  /** Pause replication first, so the failover really loses writes (default false). */
  withLag?: boolean;
  /** Which engine runs the steps: this machine's (default) or the sandbox's Step Functions, deployed first. */
  engine?: "local" | "stepfunctions";
  /** Afterwards, bring the old primary's region back and `runbook reconcile` the failover. */
  reconcile?: boolean;
}

/** What `runbook reconcile` found, beside what the clients saw. */
export interface DemoReconciliation {
  rpoMs: number;
  lostKeys: string[];
  /** Reported lost writes the clients were told were written (the rest were in flight when the region died). */
  acknowledgedLostKeys: string[];
}

export interface DemoResult {
  executionId: string;
  status: string;
  rtoMs: number | undefined;
  rtoObjectiveMs: number | undefined;
  rpoMs: number | undefined;
  rpoObjectiveMs: number | undefined;
  traffic: TrafficAnalysis;
  declaredAt: string;
  reconciled?: DemoReconciliation;
}

export async function runFailoverDemo(o: DemoOptions): Promise<DemoResult> {
  const run = (args: string[], inherit = false, stdoutOnly = false) => cli(o, args, inherit, stdoutOnly);
  o.log(
    "1/5 starting the sandbox (two PostgreSQL servers in streaming replication, AWS emulator, case-api ×2, edge)",
  );
  await run(["sandbox", "up"]);
  try {
    const endpoints = await readSandboxEndpoints(o.home);
    if (!endpoints) throw new Error("sandbox up returned but its endpoints.json is missing");
    const logPath = join(o.home, "sandbox", `demo-traffic-${Date.now()}.jsonl`);
    if (o.engine === "stepfunctions") {
      // Deployed ahead of the incident, as a team would: the failover itself only starts it.
      o.log("    runbook deploy failover-case-api --env sandbox (state machine, roles, functions)");
      await run(["deploy", "failover-case-api", "--env", "sandbox"]);
    }
    const traffic = new TrafficGenerator({ targetUrl: endpoints.edge, logPath, ratePerSecond: 20 });
    o.log(`2/5 client traffic: 20 writes/s through the edge ${endpoints.edge}`);
    traffic.start();
    await sleep(3000);
    if (o.withLag) {
      await run(["sandbox", "fault", "replication-pause"]);
      await sleep(2000);
    }
    o.log(`3/5 region ${endpoints.regions[0]} goes down (its case-api, its database and its AWS endpoints)`);
    await run(["sandbox", "fault", "region-down", endpoints.regions[0]]);
    // The incident is declared when the region went down: the RTO clock starts there.
    const declaredAt = new Date().toISOString();
    await sleep(1000);
    o.log(
      `4/5 runbook run failover-case-api --env sandbox --approve${o.engine === "stepfunctions" ? " --engine stepfunctions" : ""}`,
    );
    const args = ["run", "failover-case-api", "--env", "sandbox", "--approve", "--declared-at", declaredAt];
    if (o.engine === "stepfunctions") args.push("--engine", "stepfunctions");
    await run(o.interactive ? args : [...args, "--json"], o.interactive).catch(() => undefined);
    await sleep(3000);
    await traffic.stop();
    const executionId = latestExecution(o.home);
    const state = foldEvents(readJournal(journalPath(o.home, executionId)).events)!;
    const db = endpoints.databases[endpoints.regions[1]]!;
    const present = await listCaseIds(
      { host: db.host, port: db.port },
      { user: db.user, password: db.password, database: db.database },
    );
    const trafficLog = await readTrafficLog(logPath);
    const analysis = analyzeTraffic(trafficLog, present);
    let reconciled: DemoReconciliation | undefined;
    if (o.reconcile) {
      o.log(`    ${endpoints.regions[0]} is back (fenced, diverged): runbook reconcile ${executionId}`);
      await run(["sandbox", "fault", "region-down", endpoints.regions[0], "--clear"]);
      const report = JSON.parse(await run(["reconcile", executionId, "--format", "json"], false, true)) as {
        rpoMs: number;
        lostWrites: { key: string }[];
      };
      const acked = new Set(trafficLog.flatMap((e) => (e.kind === "ack" ? [e.caseId] : [])));
      const lostKeys = report.lostWrites.map((w) => w.key);
      reconciled = {
        rpoMs: report.rpoMs,
        lostKeys,
        acknowledgedLostKeys: lostKeys.filter((k) => acked.has(k)),
      };
    }
    return {
      executionId,
      status: state.status,
      rtoMs: achievedRtoMs(state),
      rtoObjectiveMs: state.objectives.rtoMs,
      rpoMs: observedRpoMs(state),
      rpoObjectiveMs: state.objectives.rpoMs,
      traffic: analysis,
      declaredAt,
      ...(reconciled ? { reconciled } : {}),
    };
  } finally {
    o.log("5/5 stopping the sandbox");
    await run(["sandbox", "down"]).catch(() => undefined);
  }
}

function cli(o: DemoOptions, args: string[], inherit: boolean, stdoutOnly = false): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [o.cli, ...args], {
      cwd: o.cwd,
      env: { ...o.env, RUNBOOK_HOME: o.home },
      stdio: inherit ? "inherit" : ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout?.on("data", (d) => {
      out += d;
    });
    child.stderr?.on("data", (d) => {
      if (!stdoutOnly) out += d;
    });
    child.on("close", (code) =>
      code === 0
        ? resolve(out)
        : reject(new Error(`runbook ${args.join(" ")} exited ${code}\n${out.slice(-2000)}`)),
    );
  });
}

function latestExecution(home: string): string {
  const ours = readdirSync(join(home, "executions"))
    .filter((id) => id.startsWith("failover-case-api-"))
    .sort();
  if (!ours.length) throw new Error("the failover did not start: no execution was recorded");
  return ours.at(-1)!;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
