import { existsSync, readFileSync } from "node:fs";
import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CloudWatchClient, DescribeAlarmsCommand } from "@aws-sdk/client-cloudwatch";
import { DescribeGlobalClustersCommand, FailoverGlobalClusterCommand, RDSClient } from "@aws-sdk/client-rds";
import {
  GetRoutingControlStateCommand,
  Route53RecoveryClusterClient,
  UpdateRoutingControlStatesCommand,
} from "@aws-sdk/client-route53-recovery-cluster";
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  endpointsPath,
  readSandboxEndpoints,
  type SandboxEndpoints,
  supervisorPidPath,
} from "../../../src/sandbox/endpoints.js";
import { type RunningSandbox, runSupervisor } from "../../../src/sandbox/supervisor/run.js";
import { leftoverPostmasters } from "../../../src/sandbox/supervisor/supervisor-process.js";
import { accepts } from "../../fixtures/accepts.js";

const A = "us-east-1";
const B = "us-west-2";
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/**
 * One supervisor in this process: every fault through the same entry point the control
 * API uses, observed through the real SDK clients, the real apps and the real databases.
 */
describe("sandbox supervisor", () => {
  let home: string;
  let running: RunningSandbox;
  let endpoints: SandboxEndpoints;
  const client = <T>(Ctor: new (config: object) => T, region: string, endpoint = endpoints.emulator) =>
    new Ctor({
      region,
      endpoint,
      credentials: endpoints.credentials,
      maxAttempts: 1,
      requestHandler: { requestTimeout: 2_000, connectionTimeout: 1_000, throwOnRequestTimeout: true },
    });

  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), "runbook-supervisor-"));
    await chmod(home, 0o755);
    running = await runSupervisor({ home, edgeTtlMs: 200, rdsTransitionMs: 300 });
    const read = await readSandboxEndpoints(home);
    if (!read) throw new Error("no endpoints.json after start");
    endpoints = read;
  });

  afterAll(async () => {
    await running?.shutdown();
    if (home) await rm(home, { recursive: true, force: true });
  });

  it("writes a valid endpoints.json and pid file, with everything on loopback", async () => {
    expect(readFileSync(supervisorPidPath(home), "utf8").trim()).toBe(String(process.pid));
    expect(endpoints.pid).toBe(process.pid);
    expect(endpoints.regions).toEqual([A, B]);
    expect(endpoints.arcClusterEndpoints).toHaveLength(5);
    expect(Object.keys(endpoints.routingControls)).toEqual([A, B]);
    expect(endpoints.safetyRules["at-least-one-cell-on"]).toMatch(/^arn:aws:route53-recovery-control:/);
    expect(endpoints.clusters[B]).toBe(`arn:aws:rds:${B}:111111111111:cluster:case-${B}`);
    expect(Object.keys(endpoints.alarms).sort()).toEqual([
      `case-api-5xx-${A}`,
      `case-api-5xx-${B}`,
      "case-db-replication-lag",
    ]);
    for (const url of [
      endpoints.emulator,
      endpoints.edge,
      endpoints.control,
      ...Object.values(endpoints.caseApi),
    ])
      expect(new URL(url).hostname).toBe("127.0.0.1");
    const status = await running.supervisor.status();
    expect(status.writerRegion).toBe(A);
    expect(status.routingControls).toEqual({ [A]: "On", [B]: "Off" });
    expect(status.databases[B]?.role).toBe("standby");
  });

  it("serves writes through the edge to region A, into the database region B replicates", async () => {
    const response = await fetch(`${endpoints.edge}/cases`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ title: "first" }),
    });
    expect(response.status).toBe(201);
    expect(response.headers.get("x-edge-region")).toBe(A);
    const { id } = (await response.json()) as { id: string };
    await running.supervisor.postgres.waitForReplication(10_000);
    const onB = await running.supervisor.postgres.server(B).query("SELECT id FROM cases WHERE id = $1", [id]);
    expect(onB).toHaveLength(1);
  });

  it("arc-endpoints k down refuses on the first k endpoints only, and clears", async () => {
    const [e0, e1, e2] = endpoints.arcClusterEndpoints;
    await running.supervisor.fault("arc-endpoints", ["2", "down"], false);
    expect(await accepts(e0?.endpoint ?? "")).toBe(false);
    expect(await accepts(e1?.endpoint ?? "")).toBe(false);
    const arc = client(Route53RecoveryClusterClient, e2?.region ?? B, e2?.endpoint);
    const state = await arc.send(
      new GetRoutingControlStateCommand({ RoutingControlArn: endpoints.routingControls[A] }),
    );
    expect(state.RoutingControlState).toBe("On");
    expect((await running.supervisor.status()).faults.map((f) => f.description)).toEqual([
      "arc-endpoints 2 down",
    ]);
    // A later arc-endpoints fault replaces the earlier one: endpoint 1 is back.
    await running.supervisor.fault("arc-endpoints", ["1", "down"], false);
    expect(await accepts(e0?.endpoint ?? "")).toBe(false);
    expect(await accepts(e1?.endpoint ?? "")).toBe(true);
    await running.supervisor.fault("arc-endpoints", [], true);
    expect(await accepts(e0?.endpoint ?? "")).toBe(true);
    expect((await running.supervisor.status()).faults).toEqual([]);
  });

  it("throttle, missing-secret and alarm act on the emulated APIs and clear", async () => {
    const rds = client(RDSClient, B);
    await running.supervisor.fault("throttle", ["rds", "1"], false);
    const outcomes = await Promise.allSettled(
      [1, 2, 3, 4].map(() => rds.send(new DescribeGlobalClustersCommand({}))),
    );
    const refused = outcomes.filter((o) => o.status === "rejected");
    expect(refused.length).toBeGreaterThan(0);
    expect(String((refused[0] as PromiseRejectedResult).reason.name)).toMatch(/Throttl/);
    await running.supervisor.fault("throttle", ["rds"], true);
    await expect(rds.send(new DescribeGlobalClustersCommand({}))).resolves.toBeDefined();

    const secrets = client(SecretsManagerClient, B);
    await running.supervisor.fault("missing-secret", ["case-api/db"], false);
    await expect(secrets.send(new GetSecretValueCommand({ SecretId: "case-api/db" }))).rejects.toMatchObject({
      name: "ResourceNotFoundException",
    });
    // Only the recovery region lost it.
    const inA = await client(SecretsManagerClient, A).send(
      new GetSecretValueCommand({ SecretId: "case-api/db" }),
    );
    expect(inA.SecretString).toContain("app");
    await running.supervisor.fault("missing-secret", [], true);
    const back = await secrets.send(new GetSecretValueCommand({ SecretId: "case-api/db" }));
    expect(JSON.parse(back.SecretString ?? "{}")).toEqual({ username: "app", password: "sandbox" });

    const cloudwatch = client(CloudWatchClient, B);
    const alarmState = async () =>
      (await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: ["case-db-replication-lag"] })))
        .MetricAlarms?.[0]?.StateValue;
    await running.supervisor.fault("alarm", ["case-db-replication-lag", "ALARM"], false);
    expect(await alarmState()).toBe("ALARM");
    await running.supervisor.fault("alarm", ["case-db-replication-lag"], true);
    expect(await alarmState()).not.toBe("ALARM");
  });

  it("rejects bad fault arguments with a message, changing nothing", async () => {
    await expect(running.supervisor.fault("region-down", ["mars-1"], false)).rejects.toMatchObject({
      name: "FaultUsageError",
      message: expect.stringContaining("unknown region mars-1"),
    });
    await expect(running.supervisor.fault("throttle", ["nosuch", "3"], false)).rejects.toMatchObject({
      name: "FaultUsageError",
    });
    await expect(running.supervisor.fault("explode", [], false)).rejects.toThrow(/unknown fault/);
    expect((await running.supervisor.status()).faults).toEqual([]);
  });

  it("db-primary-down: the case-api answers 503, its 5xx alarm fires on the real counts, and it clears", async () => {
    const api = endpoints.caseApi[A] ?? "";
    await running.supervisor.fault("db-primary-down", [], false);
    const status = await running.supervisor.status();
    expect(status.databases[A]?.down).toBe(true);
    expect(status.caseApi[A]?.down).toBe(false);
    for (let i = 0; i < 6; i++) {
      const r = await fetch(`${api}/cases`, { method: "POST", body: "{}" });
      expect(r.status).toBe(503);
    }
    const cloudwatch = client(CloudWatchClient, A);
    await waitFor("the 5xx alarm", async () => {
      const out = await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: [`case-api-5xx-${A}`] }));
      return out.MetricAlarms?.[0]?.StateValue === "ALARM" ? true : undefined;
    });
    await running.supervisor.fault("db-primary-down", [], true);
    expect((await running.supervisor.status()).databases[A]?.down).toBe(false);
    const deep = await waitFor("deep health", async () => {
      const r = await fetch(`${api}/health/deep`);
      return r.status === 200 ? r.status : undefined;
    });
    expect(deep).toBe(200);
  });

  it("region-down takes the region's app, database and API endpoints down; a failover and ARC flip move traffic to B; reset restores A", async () => {
    await running.supervisor.fault("region-down", [A], false);
    let status = await running.supervisor.status();
    expect(status.databases[A]?.down).toBe(true);
    expect(status.caseApi[A]?.down).toBe(true);
    expect(status.downRegions).toEqual([A]);
    expect(await accepts(endpoints.caseApi[A] ?? "")).toBe(false);
    // Calls signed for the lost region fail; the recovery region still answers.
    await expect(client(RDSClient, A).send(new DescribeGlobalClustersCommand({}))).rejects.toBeDefined();

    const rds = client(RDSClient, B);
    await rds.send(
      new FailoverGlobalClusterCommand({
        GlobalClusterIdentifier: endpoints.globalClusterIdentifier,
        TargetDbClusterIdentifier: endpoints.clusters[B],
        AllowDataLoss: true,
      }),
    );
    await waitFor("writer in B", async () => {
      const out = await rds.send(new DescribeGlobalClustersCommand({}));
      const writer = out.GlobalClusters?.[0]?.GlobalClusterMembers?.find((m) => m.IsWriter);
      return writer?.DBClusterArn === endpoints.clusters[B] && out.GlobalClusters?.[0]?.Status === "available"
        ? true
        : undefined;
    });
    const arcB = endpoints.arcClusterEndpoints.find((e) => e.region === B);
    const arc = client(Route53RecoveryClusterClient, B, arcB?.endpoint);
    await arc.send(
      new UpdateRoutingControlStatesCommand({
        UpdateRoutingControlStateEntries: [
          { RoutingControlArn: endpoints.routingControls[B], RoutingControlState: "On" },
          { RoutingControlArn: endpoints.routingControls[A], RoutingControlState: "Off" },
        ],
      }),
    );
    await sleep(300); // the edge's TTL
    const served = await fetch(`${endpoints.edge}/cases`, { method: "POST", body: "{}" });
    expect(served.status).toBe(201);
    expect(served.headers.get("x-edge-region")).toBe(B);
    status = await running.supervisor.status();
    expect(status.writerRegion).toBe(B);
    expect(status.edgeRegion).toBe(B);
    // Nothing streams any more: pausing replication is a usage error, not a crash.
    await expect(running.supervisor.fault("replication-pause", [], false)).rejects.toMatchObject({
      name: "FaultUsageError",
      message: expect.stringContaining("no streaming standby"),
    });

    await running.supervisor.reset();
    status = await running.supervisor.status();
    expect(status.writerRegion).toBe(A);
    expect(status.routingControls).toEqual({ [A]: "On", [B]: "Off" });
    expect(status.faults).toEqual([]);
    expect(status.downRegions).toEqual([]);
    expect(status.databases[A]).toMatchObject({ role: "primary", down: false });
    expect(status.databases[B]).toMatchObject({ role: "standby", down: false, replayPaused: false });
    // The rebuilt standby already holds heartbeats: a replication fault applied at once (a drill
    // right after a failover) measures a real lag, not none.
    expect(await running.supervisor.postgres.latestHeartbeatAt(B)).toBeInstanceOf(Date);
    // The rebuilt pair may listen on new ports: endpoints.json follows.
    const after = await readSandboxEndpoints(home);
    expect(after?.databases[A]?.port).toBe(status.databases[A]?.port);
    await sleep(300);
    const again = await fetch(`${endpoints.edge}/cases`, { method: "POST", body: "{}" });
    expect(again.status).toBe(201);
    expect(again.headers.get("x-edge-region")).toBe(A);
  });

  it("shutdown stops every process and listener it started and removes its files", async () => {
    await running.shutdown();
    expect(await leftoverPostmasters(home)).toEqual([]);
    for (const url of [
      endpoints.emulator,
      endpoints.edge,
      endpoints.control,
      ...Object.values(endpoints.caseApi),
    ])
      expect(await accepts(url)).toBe(false);
    expect(existsSync(endpointsPath(home))).toBe(false);
    expect(existsSync(supervisorPidPath(home))).toBe(false);
  });
});
