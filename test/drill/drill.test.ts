import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { listScenarios, loadScenario } from "../../src/drill/scenario.js";
import { ROOT } from "../cli/harness.js";
import { useCliSandbox } from "../fixtures/cli-sandbox.js";

/**
 * Drills end to end: the real CLI, a real sandbox (PostgreSQL pair, emulator, apps), each
 * library scenario with its expected verdict, and the guards proven by the emulator's call log.
 */

const { cli, endpoints } = useCliSandbox("runbook-drill-");

async function mutatingCalls(): Promise<{ operation: string }[]> {
  return (await (await fetch(`${endpoints().emulator}/_sandbox/calls?mutating=1`)).json()) as {
    operation: string;
  }[];
}
async function clearCalls(): Promise<void> {
  await fetch(`${endpoints().emulator}/_sandbox/calls/clear`, { method: "POST" });
}

describe("the scenario library", () => {
  it("has the game days of the seed material", () => {
    expect(listScenarios(ROOT)).toEqual([
      "arc-endpoints-partly-down",
      "capacity-shortage",
      "database-primary-unavailable",
      "duplicate-replay",
      "primary-region-unavailable",
      "replication-lag-exceeds-rpo",
      "replication-stall",
      "secondary-missing-secret",
      "throttled-apis",
    ]);
  });

  for (const name of listScenarios(ROOT)) {
    it(`${name} gives its expected verdict`, async () => {
      const scenario = loadScenario(name, ROOT);
      const r = await cli(["drill", "failover-case-api", "--env", "sandbox", "--scenario", name, "--json"]);
      const result = JSON.parse(r.stdout.trim().split("\n").at(-1)!) as {
        verdict: string;
        outcome: string;
        expectations: { name: string; ok: boolean; detail: string }[];
        report: string;
      };
      expect(result.expectations.filter((e) => !e.ok)).toEqual([]);
      expect(result.verdict).toBe("pass");
      expect(r.code).toBe(0);
      const outcome = { completed: "completed", aborted: "aborted", blocked: "failed" }[scenario.expect];
      expect(result.outcome).toBe(outcome);
      expect(readFileSync(result.report, "utf8")).toMatch(/^# Drill verdict: PASS/);
    }, 180_000);
  }
});

describe("guards", () => {
  it("refuses a drill whose target is prod, touching nothing", async () => {
    await clearCalls();
    const r = await cli(["drill", "failover-case-api"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("drills never run against production");
    const prodEnv = join(ROOT, "environments", "aws-example.yaml");
    const r2 = await cli([
      "drill",
      "failover-case-api",
      "--env",
      prodEnv,
      "--scenario",
      "primary-region-unavailable",
    ]);
    expect(r2.code).toBe(2);
    expect(await mutatingCalls()).toEqual([]);
  });

  it("refuses another account (STS) before touching anything", async () => {
    await clearCalls();
    const dir = mkdtempSync(join(tmpdir(), "runbook-env-"));
    const file = join(dir, "wrong-account.yaml");
    const sandboxEnv = readFileSync(join(ROOT, "environments", "sandbox.yaml"), "utf8");
    writeFileSync(
      file,
      sandboxEnv
        .replace("  name: sandbox\n", "  name: wrong-account\n")
        .replace("  environment: sandbox\n", '  environment: sandbox\n  accounts: ["999999999999"]\n'),
    );
    const r = await cli([
      "drill",
      "failover-case-api",
      "--env",
      file,
      "--scenario",
      "primary-region-unavailable",
    ]);
    expect(r.code).toBe(2);
    // The first account it meets that the environment does not allow stops it, named.
    expect(r.stderr).toMatch(
      /account .*(111111111111|222222222222).* is not allowed for runbook failover-case-api \(allowed: 999999999999\)/,
    );
    expect(await mutatingCalls()).toEqual([]);
  });

  it("runbook check tells the truth and makes no mutating call", async () => {
    await clearCalls();
    const ready = await cli(["check", "failover-case-api", "--env", "sandbox", "--json"]);
    expect(ready.code).toBe(0);
    expect(JSON.parse(ready.stdout).ready).toBe(true);
    expect((await cli(["sandbox", "fault", "missing-secret", "case-api/db", "us-west-2"])).code).toBe(0);
    const notReady = await cli(["check", "failover-case-api", "--env", "sandbox", "--json"]);
    expect(notReady.code).toBe(1);
    // The human view: the details start in one column, whatever the longest executor type.
    const human = await cli(["check", "failover-case-api", "--env", "sandbox"]);
    expect(human.stdout).toContain("NOT READY");
    const typed = JSON.parse(notReady.stdout).rows as { id: string; type: string }[];
    const detailStarts = typed.map(({ id, type }) => {
      // `  ✔ ready      <id>  <type>  <detail>`: the status is 11 characters, then the id column.
      const line = human.stdout.split("\n").find((l) => l.slice(15).startsWith(`${id} `))!;
      const afterType = line.indexOf(` ${type} `, line.indexOf(` ${id} `) + id.length) + 1 + type.length;
      expect(line.slice(afterType, afterType + 2)).toBe("  ");
      return afterType + line.slice(afterType).search(/\S/);
    });
    expect(new Set(detailStarts).size).toBe(1);
    const report = JSON.parse(notReady.stdout) as { ready: boolean; rows: { id: string; status: string }[] };
    expect(report.rows.find((row) => row.id === "secrets-present")?.status).toBe("not-ready");
    expect((await cli(["sandbox", "fault", "missing-secret", "--clear"])).code).toBe(0);
    // The fault itself goes through the admin API, not the AWS APIs the call log records.
    expect((await mutatingCalls()).map((c) => c.operation)).toEqual([]);
  });
});
