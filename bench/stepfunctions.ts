import { chmodSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { executors } from "../executors/index.js";
import { loadEnvironment } from "../src/environment/environment.js";
import { ExportError } from "../src/errors.js";
import { readJournal } from "../src/journal/journal.js";
import { journalPath } from "../src/journal/paths.js";
import { SourceMap } from "../src/language/source-map.js";
import { readSourceText } from "../src/language/source-text.js";
import { validateRunbook } from "../src/language/validate.js";
import { runFailoverDemo } from "../src/sandbox/demo/failover-demo.js";
import type { SandboxEndpoints } from "../src/sandbox/endpoints.js";
import { exportStateMachine } from "../src/stepfunctions/export-definition.js";
import { recoveryRegion } from "../src/stepfunctions/export-names.js";

/**
 * The same sandbox failover twice in one run, through this machine's engine and through the
 * sandbox's Step Functions (deployed first, as a team would before an incident): what the
 * clients saw, and how many history events the Step Functions execution cost.
 */
export async function benchStepFunctions(): Promise<{
  localOutageMs: number | undefined;
  sfnOutageMs: number | undefined;
  sfnRtoMs: number | undefined;
  sfnStatus: string;
  historyEvents: number;
}> {
  const root = new URL("..", import.meta.url).pathname;
  const once = async (engine: "local" | "stepfunctions") => {
    const home = mkdtempSync(join(tmpdir(), `runbook-bench-${engine}-`));
    chmodSync(home, 0o755);
    const demo = await runFailoverDemo({
      cli: join(root, "dist", "cli.js"),
      cwd: root,
      env: process.env,
      home,
      interactive: false,
      log: () => undefined,
      engine,
    });
    const events = readJournal(journalPath(home, demo.executionId)).events;
    const historyEvents = Math.max(0, ...events.map((e) => e.origin?.eventId ?? 0));
    return { demo, historyEvents };
  };
  const local = await once("local");
  const sfn = await once("stepfunctions");
  return {
    localOutageMs: local.demo.traffic.outage?.durationMs,
    sfnOutageMs: sfn.demo.traffic.outage?.durationMs,
    sfnRtoMs: sfn.demo.rtoMs,
    sfnStatus: sfn.demo.status,
    historyEvents: sfn.historyEvents,
  };
}

export interface ShippedRunbookHistory {
  runbook: string;
  /** The most history events an execution can write (the export's estimate; AWS stops one at 25,000). */
  worstCase: number;
  /** States in the machine, nested ones included. */
  states: number;
  /** The loop that costs most, and its events. */
  costliest?: { state: string; events: number };
}

/**
 * Every runbook in runbooks/ that exports for the sandbox environment, as `runbook export
 * --target stepfunctions` sees it: its worst-case history and its size, the largest first.
 * The refused ones (failover-toy: its exec steps do not say where they run) are left out.
 * Pure computation: no sandbox runs, the environment reads a stand-in endpoints.json.
 */
export function historyOfShippedRunbooks(): ShippedRunbookHistory[] {
  const root = new URL("..", import.meta.url).pathname;
  const env = loadEnvironment("sandbox", root, standInSandboxHome(), {});
  const accountId = STAND_IN.accountId;
  const rows: ShippedRunbookHistory[] = [];
  for (const file of readdirSync(join(root, "runbooks"))
    .filter((f) => f.endsWith(".yaml"))
    .sort()) {
    const path = join(root, "runbooks", file);
    const text = readSourceText(path);
    const runbook = validateRunbook(text, path, executors);
    try {
      const { manifest } = exportStateMachine(runbook, env, {
        region: recoveryRegion(env),
        accountId,
        sourceMap: new SourceMap(path, text),
      });
      const top = manifest.historyEstimate.loops[0];
      rows.push({
        runbook: runbook.name,
        worstCase: manifest.historyEstimate.worstCase,
        states: Object.keys(manifest.states).length,
        ...(top ? { costliest: top } : {}),
      });
    } catch (err) {
      if (!(err instanceof ExportError)) throw err;
    }
  }
  return rows.sort((a, b) => b.worstCase - a.worstCase);
}

/** What a running sandbox writes, with placeholder addresses: the export reads names and regions from it, never connects. */
const STAND_IN: SandboxEndpoints = (() => {
  const url = (port: number) => `http://127.0.0.1:${port}`;
  const regions: [string, string] = ["us-east-1", "us-west-2"];
  const perRegion = <T>(f: (r: string, i: number) => T) =>
    Object.fromEntries(regions.map((r, i) => [r, f(r, i)]));
  const cp = "arn:aws:route53-recovery-control::000000000001:controlpanel/case-api";
  return {
    version: 1,
    emulator: url(4566),
    arcClusterEndpoints: [0, 1, 2, 3, 4].map((i) => ({ endpoint: url(4600 + i), region: regions[i % 2]! })),
    regions,
    accountId: "000000000000",
    credentials: { accessKeyId: "stand-in", secretAccessKey: "stand-in" },
    routingControls: perRegion((r) => `${cp}/routingcontrol/cell-${r}`),
    safetyRules: { "at-least-one-cell-on": `${cp}/safetyrule/at-least-one-cell-on` },
    globalClusterIdentifier: "case-global",
    clusters: perRegion((r) => `arn:aws:rds:${r}:000000000000:cluster:case-${r}`),
    databases: perRegion((_, i) => ({
      host: "127.0.0.1",
      port: 5433 + i,
      database: "postgres",
      user: "app",
      password: "stand-in",
    })),
    caseApi: perRegion((_, i) => url(8081 + i)),
    edge: url(8080),
    edgeTtlMs: 1000,
    alarms: perRegion((r) => ({ region: r })),
    secrets: ["case-api/db"],
    ecs: { cluster: "case", service: "case-api" },
    dynamodbTable: "case-sessions",
    kmsAlias: "alias/case-data",
    eventRules: ["case-nightly-report"],
    route53: { hostedZoneId: "Z0STANDIN", zoneName: "case.internal", recordName: "api.case.internal" },
    evidenceBuckets: perRegion((r) => `case-evidence-${r}`),
    outboxFunctions: perRegion((r) => `case-outbox-${r}`),
    accounts: { workload: "000000000000", recovery: "000000000001" },
    roles: { arc: "arn:aws:iam::000000000001:role/runbook-arc" },
    control: url(4599),
    pid: 0,
    startedAt: new Date(0).toISOString(),
  };
})();

function standInSandboxHome(): string {
  const home = mkdtempSync(join(tmpdir(), "runbook-bench-export-"));
  mkdirSync(join(home, "sandbox"));
  writeFileSync(join(home, "sandbox", "endpoints.json"), JSON.stringify(STAND_IN));
  return home;
}
