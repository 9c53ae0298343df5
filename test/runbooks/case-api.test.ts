import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT, startCli, until } from "../cli/harness.js";
import { useCliSandbox } from "../fixtures/cli-sandbox.js";

/**
 * The case-api runbooks end to end on a real sandbox, through the real CLI: failover, then
 * failback; and a SIGKILL during the traffic shift, after which nothing happens twice.
 */

const { home, env, cli, endpoints } = useCliSandbox("runbook-case-api-");

interface Call {
  operation: string;
  outcome: string;
  params: unknown;
}
async function okMutations(): Promise<Call[]> {
  const calls = (await (await fetch(`${endpoints().emulator}/_sandbox/calls?mutating=1`)).json()) as Call[];
  return calls.filter((c) => c.outcome === "ok");
}
async function status(): Promise<{
  writerRegion: string;
  routingControls: Record<string, string>;
  databases: Record<string, { role: string }>;
}> {
  const r = await cli(["sandbox", "status", "--json"]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}
function latestExecution(prefix: string): string {
  return readdirSync(join(home, "executions"))
    .filter((d) => d.startsWith(prefix))
    .sort()
    .at(-1)!;
}

describe("failover-case-api then failback-case-api on the sandbox", () => {
  it("fails over with region A down, then fails back: reconcile, rebuild A as a standby, switch over", async () => {
    expect((await cli(["sandbox", "fault", "region-down", "us-east-1"])).code).toBe(0);
    // As an incident commander types it: the environment comes from RUNBOOK_ENV.
    const failover = await cli(["run", "failover-case-api", "--approve", "--json"], {
      RUNBOOK_ENV: "sandbox",
    });
    expect(failover.code, failover.stderr).toBe(0);
    expect(JSON.parse(failover.stdout.split("\n")[0]!).data).toMatchObject({
      environment: "sandbox",
      environmentSource: "$RUNBOOK_ENV",
    });
    const after = await status();
    expect(after.writerRegion).toBe("us-west-2");
    expect(after.routingControls).toEqual({ "us-east-1": "Off", "us-west-2": "On" });

    // Region A comes back as the failover left its database: fenced, diverged, not replicating.
    // The failback reconciles it, then rebuilds it as a secondary of the new writer.
    expect((await cli(["sandbox", "fault", "region-down", "us-east-1", "--clear"])).code).toBe(0);
    expect((await status()).databases["us-east-1"]?.role).toBe("fenced");
    const failback = await cli(["run", "failback-case-api", "--env", "sandbox", "--approve", "--json"]);
    expect(failback.code, failback.stderr).toBe(0);

    const ops = (await okMutations()).map((c) => c.operation);
    expect(ops.filter((o) => o === "FailoverGlobalCluster")).toHaveLength(1);
    expect(ops.filter((o) => o === "SwitchoverGlobalCluster")).toHaveLength(1);
    for (const rebuild of ["RemoveFromGlobalCluster", "DeleteDBCluster", "CreateDBCluster"])
      expect(
        ops.filter((o) => o === rebuild),
        rebuild,
      ).toHaveLength(1);
    const back = await status();
    expect(back.writerRegion).toBe("us-east-1");
    expect(back.routingControls).toEqual({ "us-east-1": "On", "us-west-2": "Off" });
    const id = latestExecution("failback-case-api-");
    const timeline = await cli(["timeline", id, "--format", "json"]);
    const t = JSON.parse(timeline.stdout) as {
      header: { outcome: string };
      summary: { rto: { actualMs?: number; verdict: string } };
    };
    expect(t.header.outcome).toBe("completed");
    expect(t.summary.rto.actualMs).toBeGreaterThan(0);
    expect(t.summary.rto.verdict).toBe("pass");
    // The edge sends clients back to region A.
    const front = await fetch(`${endpoints().edge}/health/deep`);
    expect(((await front.json()) as { region: string }).region).toBe("us-east-1");
  }, 240_000);

  it("SIGKILL during the traffic shift, resume: one promotion and one flip", async () => {
    expect((await cli(["sandbox", "reset"])).code).toBe(0);
    await fetch(`${endpoints().emulator}/_sandbox/calls/clear`, { method: "POST" });
    expect((await cli(["sandbox", "fault", "region-down", "us-east-1"])).code).toBe(0);
    const before = latestExecution("failover-case-api-");
    const child = startCli(
      ["run", "failover-case-api", "--env", "sandbox", "--approve", "--json"],
      ROOT,
      env,
    );
    let id = "";
    await until(
      () => {
        try {
          const latest = latestExecution("failover-case-api-");
          if (latest !== before) id ||= latest;
          if (!id) return false;
          return readFileSync(join(home, "executions", id, "journal.jsonl"), "utf8").includes(
            '"type":"step.intent","stepId":"shift-traffic"',
          );
        } catch {
          return false;
        }
      },
      60_000,
      "the traffic shift to start",
    );
    child.kill("SIGKILL");
    await new Promise((r) => child.on("close", r));
    const resumed = await cli(["resume", id, "--approve", "--json"]);
    expect(resumed.code, resumed.stderr).toBe(0);
    const ops = await okMutations();
    expect(ops.map((c) => c.operation)).toContain("FailoverGlobalCluster");
    expect(ops.filter((c) => c.operation === "FailoverGlobalCluster")).toHaveLength(1);
    const secondaryOn = ops.filter(
      (c) =>
        c.operation === "UpdateRoutingControlStates" &&
        JSON.stringify(c.params).includes(endpoints().routingControls["us-west-2"]!),
    );
    expect(secondaryOn).toHaveLength(1);
    expect((await cli(["verify", id])).code).toBe(0);
  }, 240_000);
});
