import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { listCaseIds } from "../../src/sandbox/apps/case-store.js";
import { analyzeTraffic } from "../../src/sandbox/traffic/traffic-analysis.js";
import { TrafficGenerator } from "../../src/sandbox/traffic/traffic-generator.js";
import { readTrafficLog } from "../../src/sandbox/traffic/traffic-log.js";
import { useCliSandbox } from "../fixtures/cli-sandbox.js";

/**
 * The "done when", through the real CLI on a real sandbox: clients writing through the
 * edge, replication paused, region us-east-1 down, failover-case-api run. Once us-east-1 is back
 * (`--clear`: fenced, diverged), `runbook reconcile` must list exactly the acknowledged writes the
 * clients lost and an RPO within 200 ms of their loss window; the failback then replays them,
 * behind its gate, before it rebuilds the old primary as a secondary.
 */

const { home, cli, endpoints } = useCliSandbox("runbook-reconcile-");
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function latestExecution(prefix: string): string {
  return readdirSync(join(home, "executions"))
    .filter((d) => d.startsWith(prefix))
    .sort()
    .at(-1)!;
}

interface ReconcileJson {
  executionId: string;
  rpoMs: number;
  boundMs?: number;
  lostWrites: { table: string; key: string; committedAt?: string; conflict?: unknown }[];
  replayPlan: { key: string }[];
  conflicts: number;
}

describe("reconcile after a lossy failover of case-api", () => {
  it("lists the acknowledged writes lost, then failback replays them before rebuilding", async () => {
    const e = endpoints();
    const logPath = join(home, "traffic.jsonl");
    const traffic = new TrafficGenerator({ targetUrl: e.edge, logPath, ratePerSecond: 20 });
    traffic.start();
    await sleep(1_500);
    expect((await cli(["sandbox", "fault", "replication-pause"])).code).toBe(0);
    await sleep(2_000);
    expect((await cli(["sandbox", "fault", "region-down", "us-east-1"])).code).toBe(0);
    const failover = await cli(["run", "failover-case-api", "--env", "sandbox", "--approve", "--json"]);
    expect(failover.code, failover.stderr).toBe(0);
    await sleep(1_000);
    await traffic.stop();
    const id = latestExecution("failover-case-api-");

    const west = e.databases["us-west-2"]!;
    const credentials = { user: west.user, password: west.password, database: west.database };
    const log = await readTrafficLog(logPath);
    const analysis = analyzeTraffic(
      log,
      await listCaseIds({ host: west.host, port: west.port }, credentials),
    );
    expect(analysis.lostWrites.length).toBeGreaterThanOrEqual(10);

    // Before the old primary is back there is nothing to read: a clear error, nothing appended.
    const early = await cli(["reconcile", id]);
    expect(early.code).toBe(1);
    expect(early.stderr).toMatch(/region-down --clear/);
    expect(early.stderr).not.toMatch(/password|sandbox@/);

    expect((await cli(["sandbox", "fault", "region-down", "us-east-1", "--clear"])).code).toBe(0);
    const status = JSON.parse((await cli(["sandbox", "status", "--json"])).stdout) as {
      databases: Record<string, { role: string; down: boolean }>;
    };
    expect(status.databases["us-east-1"]).toMatchObject({ role: "fenced", down: false });

    const reconciled = await cli(["reconcile", id, "--format", "json"]);
    expect(reconciled.code, reconciled.stderr).toBe(0);
    const report = JSON.parse(reconciled.stdout) as ReconcileJson;
    const acked = new Set(log.flatMap((x) => (x.kind === "ack" ? [x.caseId] : [])));
    const ackedLost = analysis.lostWrites.map((w) => w.caseId).sort();
    const reported = report.lostWrites.map((w) => w.key);
    expect(reported.filter((k) => acked.has(k)).sort()).toEqual(ackedLost);
    expect(reported.filter((k) => !acked.has(k)).length).toBeLessThanOrEqual(3);
    expect(Math.abs(report.rpoMs - analysis.lostWindowMs!)).toBeLessThanOrEqual(200);
    // The bound measured during the failover (old primary unreachable) is no smaller.
    expect(report.boundMs).toBeGreaterThanOrEqual(report.rpoMs);
    expect(report.conflicts).toBe(0);

    const text = await cli(["reconcile", id, "--show", "3"]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/RPO\s+\S+ reconciled\s+\(measured during the failover: /);
    expect(text.stdout).toContain(`Lost writes (${reported.length}, oldest first):`);
    expect(text.stdout).toContain(`… and ${reported.length - 3} more`);
    expect(text.stdout).not.toMatch(/sandbox@/); // the password of the URL

    const failback = await cli(["run", "failback-case-api", "--env", "sandbox", "--approve", "--json"]);
    expect(failback.code, failback.stderr).toBe(0);
    const after = await listCaseIds(
      { host: e.databases["us-east-1"]!.host, port: e.databases["us-east-1"]!.port },
      credentials,
    );
    for (const key of ackedLost) expect(after.has(key)).toBe(true);
    const back = JSON.parse((await cli(["sandbox", "status", "--json"])).stdout) as {
      writerRegion: string;
      databases: Record<string, { role: string }>;
    };
    expect(back.writerRegion).toBe("us-east-1");
    expect(back.databases["us-west-2"]?.role).toBe("standby");
    expect((await cli(["verify", id])).code).toBe(0);
  }, 300_000);
});
