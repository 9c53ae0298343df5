import { existsSync, readFileSync } from "node:fs";
import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DescribeGlobalClustersCommand, FailoverGlobalClusterCommand, RDSClient } from "@aws-sdk/client-rds";
import {
  Route53RecoveryClusterClient,
  UpdateRoutingControlStatesCommand,
} from "@aws-sdk/client-route53-recovery-cluster";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  endpointsPath,
  readSandboxEndpoints,
  type SandboxEndpoints,
  supervisorLogPath,
  supervisorPidPath,
} from "../../src/sandbox/endpoints.js";
import { listProcesses } from "../../src/sandbox/postgres/postgres-processes.js";
import type { SandboxStatus } from "../../src/sandbox/supervisor/status.js";
import { leftoverPostmasters } from "../../src/sandbox/supervisor/supervisor-process.js";
import { CLI, finish, freePort, runCli, startCli } from "../cli/harness.js";
import { accepts } from "../fixtures/accepts.js";

const A = "us-east-1";
const B = "us-west-2";
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Alive and not a zombie (an exited daemon waits for PID 1 to reap it). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

/**
 * `runbook sandbox …` through the real built CLI (dist/cli.js), as a user runs it: up
 * detached, traffic in another process, an RDS failover and ARC flip through the real
 * SDK clients, faults, reset, down; nothing may be left behind.
 */
describe("runbook sandbox (CLI)", () => {
  let dir: string;
  let env: Record<string, string>;
  let home: string;
  let endpoints: SandboxEndpoints;
  let port: number;
  const cli = (...args: string[]) => runCli(["sandbox", ...args], dir, env);
  /** Exit 0, or fail showing the command's output and the supervisor's log. */
  const ok = async (...args: string[]) => {
    const r = await cli(...args);
    if (r.code !== 0) {
      const log = existsSync(supervisorLogPath(home)) ? readFileSync(supervisorLogPath(home), "utf8") : "";
      throw new Error(
        `sandbox ${args.join(" ")} exited ${r.code}: ${r.stderr}${r.stdout}\nsupervisor log:\n${log}`,
      );
    }
    return r;
  };
  const status = async (): Promise<SandboxStatus> => {
    const r = await cli("status", "--json");
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as SandboxStatus;
  };
  const sdk = <T>(Ctor: new (config: object) => T, region: string, endpoint = endpoints.emulator) =>
    new Ctor({
      region,
      endpoint,
      credentials: endpoints.credentials,
      maxAttempts: 1,
      requestHandler: { requestTimeout: 3_000, connectionTimeout: 1_000, throwOnRequestTimeout: true },
    });

  beforeAll(async () => {
    if (!existsSync(CLI)) throw new Error("dist/cli.js is missing: run `npm run build` first");
    dir = await mkdtemp(join(tmpdir(), "runbook-sandbox-cli-"));
    // The databases run as the `postgres` OS user, which must be able to enter the home.
    await chmod(dir, 0o755);
    home = join(dir, "home");
    env = { RUNBOOK_HOME: home };
    port = await freePort();
  });

  afterAll(async () => {
    // Whatever happened, leave no sandbox running.
    if (dir) {
      await cli("down");
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("says the sandbox is not running (exit 2, with a hint) before it is up", async () => {
    const st = await cli("status");
    expect(st.code).toBe(2);
    expect(st.stderr).toContain("the sandbox is not running");
    expect(st.stderr).toContain("runbook sandbox up");
    expect(st.stderr).not.toMatch(/\n\s+at /); // no stack trace
    const fault = await cli("fault", "replication-pause");
    expect(fault.code).toBe(2);
    expect(fault.stderr).toContain("not running");
    const unknown = await cli("fault", "meteor-strike");
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown fault meteor-strike");
    expect(unknown.stderr).toContain("runbook sandbox fault --help");
    const traffic = await cli("traffic", "--duration", "1s");
    expect(traffic.code).toBe(2);
    const down = await cli("down");
    expect(down.code).toBe(0);
    expect(down.stdout).toContain("not running");
  });

  it("fault --help lists every fault", async () => {
    const help = await cli("fault", "--help");
    expect(help.code).toBe(0);
    for (const name of [
      "region-down <region>",
      "db-primary-down",
      "replication-pause",
      "arc-endpoints <k>",
      "missing-secret",
      "alarm <name> ALARM|OK",
      "throttle <service> <rps>",
    ])
      expect(help.stdout).toContain(name);
  });

  it("up starts it detached, prints the endpoints and writes endpoints.json", async () => {
    const started = Date.now();
    const up = await cli("up", "--port", String(port), "--ttl", "500ms");
    const upMs = Date.now() - started;
    console.info(`runbook sandbox up: ${upMs} ms`);
    expect(up.code, up.stderr + up.stdout).toBe(0);
    expect(up.stdout).toMatch(/sandbox up in \d+\.\d s/);
    expect(up.stdout).toContain(`http://127.0.0.1:${port}`);
    expect(up.stdout).toContain("edge");
    expect(upMs).toBeLessThan(20_000);
    const read = await readSandboxEndpoints(home);
    if (!read) throw new Error("endpoints.json missing or invalid");
    endpoints = read;
    expect(endpoints.emulator).toBe(`http://127.0.0.1:${port}`);
    expect(endpoints.edgeTtlMs).toBe(500);
    expect(alive(endpoints.pid)).toBe(true);
    expect(endpoints.pid).not.toBe(process.pid);

    const again = await cli("up");
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("already running");

    const st = await status();
    expect(st.writerRegion).toBe(A);
    expect(st.routingControls).toEqual({ [A]: "On", [B]: "Off" });
    expect(st.faults).toEqual([]);
    const text = await cli("status");
    expect(text.stdout).toMatch(/writer\s+us-east-1/);
  });

  it("rejects bad fault arguments with exit 2 and the fault's usage", async () => {
    const bad = await cli("fault", "region-down", "mars-1");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("unknown region mars-1");
    expect(bad.stderr).toContain("usage: runbook sandbox fault region-down <region>");
    expect((await status()).faults).toEqual([]);
  });

  it("replication-pause and region-down show in status, and clear", async () => {
    await ok("fault", "replication-pause");
    let st = await status();
    expect(st.databases[B]?.replayPaused).toBe(true);
    expect(st.faults.map((f) => f.name)).toEqual(["replication-pause"]);

    await ok("fault", "region-down", B);
    st = await status();
    expect(st.databases[B]?.down).toBe(true);
    expect(st.caseApi[B]?.down).toBe(true);
    expect(st.downRegions).toEqual([B]);
    expect(st.replicationLagMs).toBeNull();

    await ok("fault", "region-down", "--clear");
    await ok("fault", "replication-pause", "--clear");
    st = await status();
    expect(st.faults).toEqual([]);
    expect(st.databases[B]).toMatchObject({ down: false, replayPaused: false, role: "standby" });
    expect(st.downRegions).toEqual([]);
  });

  it("traffic shows the outage and the acknowledged writes lost in a failover done through the real SDK", async () => {
    const traffic = startCli(["sandbox", "traffic", "--duration", "11s", "--log", "traffic.jsonl"], dir, env);
    const result = finish(traffic);
    let out = "";
    traffic.stdout?.on("data", (d) => {
      out += d;
    });
    const deadline = Date.now() + 10_000;
    while (!out.includes("writes/s through the edge") && Date.now() < deadline) await sleep(50);
    await sleep(2_000);

    // Region B stops replaying, then region A is lost: what A acknowledged since is gone.
    await ok("fault", "replication-pause");
    await sleep(1_500);
    await ok("fault", "region-down", A);

    const rds = sdk(RDSClient, B);
    await rds.send(
      new FailoverGlobalClusterCommand({
        GlobalClusterIdentifier: endpoints.globalClusterIdentifier,
        TargetDbClusterIdentifier: endpoints.clusters[B],
        AllowDataLoss: true,
      }),
    );
    const writerDeadline = Date.now() + 15_000;
    let writerArn: string | undefined;
    while (Date.now() < writerDeadline) {
      const described = await rds.send(new DescribeGlobalClustersCommand({}));
      const cluster = described.GlobalClusters?.[0];
      writerArn = cluster?.GlobalClusterMembers?.find((m) => m.IsWriter)?.DBClusterArn;
      if (writerArn === endpoints.clusters[B] && cluster?.Status === "available") break;
      await sleep(100);
    }
    expect(writerArn).toBe(endpoints.clusters[B]);

    // Traffic follows the routing controls, through a cluster endpoint outside the lost region.
    const arcEndpoint = endpoints.arcClusterEndpoints.find((e) => e.region === B);
    const arc = sdk(Route53RecoveryClusterClient, B, arcEndpoint?.endpoint);
    await arc.send(
      new UpdateRoutingControlStatesCommand({
        UpdateRoutingControlStateEntries: [
          { RoutingControlArn: endpoints.routingControls[B], RoutingControlState: "On" },
          { RoutingControlArn: endpoints.routingControls[A], RoutingControlState: "Off" },
        ],
      }),
    );

    const done = await result;
    console.info(done.stdout);
    expect(done.code, done.stderr).toBe(0);
    const outage = /client-observed outage\s+(\d+\.\d+) s/.exec(done.stdout);
    expect(outage, done.stdout).not.toBeNull();
    expect(Number(outage?.[1])).toBeGreaterThan(0.5);
    const lost = /acknowledged writes lost\s+(\d+) of (\d+)/.exec(done.stdout);
    expect(lost, done.stdout).not.toBeNull();
    expect(Number(lost?.[1])).toBeGreaterThan(0);
    expect(done.stdout).toContain(`checked against the writer, ${B}`);
    expect(done.stdout).toMatch(new RegExp(`served by\\s+.*${B} \\d+`));
    expect(existsSync(join(dir, "traffic.jsonl"))).toBe(true);

    const st = await status();
    expect(st.writerRegion).toBe(B);
    expect(st.routingControls).toEqual({ [A]: "Off", [B]: "On" });
    expect(st.edgeRegion).toBe(B);
  });

  it("reset returns to the initial topology", async () => {
    const reset = await cli("reset");
    expect(reset.code, reset.stderr).toBe(0);
    const st = await status();
    expect(st.writerRegion).toBe(A);
    expect(st.routingControls).toEqual({ [A]: "On", [B]: "Off" });
    expect(st.faults).toEqual([]);
    expect(st.downRegions).toEqual([]);
    expect(st.databases[A]).toMatchObject({ role: "primary", down: false });
    expect(st.databases[B]).toMatchObject({ role: "standby", down: false, replayPaused: false });
    const rds = sdk(RDSClient, A);
    const described = await rds.send(new DescribeGlobalClustersCommand({}));
    expect(described.GlobalClusters?.[0]?.GlobalClusterMembers?.find((m) => m.IsWriter)?.DBClusterArn).toBe(
      endpoints.clusters[A],
    );
    // endpoints.json follows the rebuilt databases.
    const after = await readSandboxEndpoints(home);
    expect(after?.databases[A]?.port).toBe(st.databases[A]?.port);
  });

  it("down leaves nothing behind, and is idempotent", async () => {
    const down = await cli("down");
    expect(down.code, down.stderr).toBe(0);
    expect(down.stdout).toContain("sandbox stopped");
    expect(alive(endpoints.pid)).toBe(false);
    expect(await leftoverPostmasters(home)).toEqual([]);
    // Nor any other process of this sandbox (postgres, the supervisor) named after its home.
    expect((await listProcesses()).filter((p) => p.command.includes(home))).toEqual([]);
    for (const url of [
      endpoints.emulator,
      endpoints.edge,
      endpoints.control,
      ...Object.values(endpoints.caseApi),
    ])
      expect(await accepts(url)).toBe(false);
    for (const e of endpoints.arcClusterEndpoints) expect(await accepts(e.endpoint)).toBe(false);
    expect(existsSync(endpointsPath(home))).toBe(false);
    expect(existsSync(supervisorPidPath(home))).toBe(false);

    const again = await cli("down");
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("not running");
    expect((await cli("status")).code).toBe(2);
  });
});

describe("runbook sandbox up --foreground", () => {
  let dir: string;
  let home: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "runbook-sandbox-fg-"));
    await chmod(dir, 0o755);
    home = join(dir, "home");
  });

  afterAll(async () => {
    if (dir) {
      await runCli(["sandbox", "down"], dir, { RUNBOOK_HOME: home });
      await rm(dir, { recursive: true, force: true });
    }
  });

  const startForeground = async () => {
    const child = startCli(["sandbox", "up", "--foreground"], dir, { RUNBOOK_HOME: home });
    const result = finish(child);
    const deadline = Date.now() + 30_000;
    let endpoints: SandboxEndpoints | undefined;
    while (!endpoints && Date.now() < deadline) {
      const read = await readSandboxEndpoints(home);
      if (read?.pid === child.pid) endpoints = read;
      else await sleep(100);
    }
    if (!endpoints) throw new Error("the foreground sandbox did not become ready");
    return { child, result, endpoints };
  };

  it("runs in the foreground until Ctrl-C, then stops everything it started", async () => {
    const { child, result, endpoints } = await startForeground();
    expect((await leftoverPostmasters(home)).length).toBeGreaterThan(0);
    child.kill("SIGINT");
    const done = await result;
    expect(done.code, done.stderr).toBe(0);
    expect(done.stdout).toContain("sandbox up in");
    expect(done.stdout).toContain("every process it started has exited");
    expect(await leftoverPostmasters(home)).toEqual([]);
    expect(await accepts(endpoints.emulator)).toBe(false);
    expect(existsSync(endpointsPath(home))).toBe(false);
  });

  it("down cleans up the databases of a supervisor that was killed outright", async () => {
    const { child, result } = await startForeground();
    child.kill("SIGKILL");
    await result;
    // pg_ctl daemonised the servers: they outlive a SIGKILLed supervisor.
    expect((await leftoverPostmasters(home)).length).toBe(2);
    const st = await runCli(["sandbox", "status"], dir, { RUNBOOK_HOME: home });
    expect(st.code).toBe(2);
    expect(st.stderr).toContain("is gone");
    const down = await runCli(["sandbox", "down"], dir, { RUNBOOK_HOME: home });
    expect(down.code, down.stderr).toBe(0);
    expect(down.stdout).toContain("stopped 2 postgres server(s)");
    expect(await leftoverPostmasters(home)).toEqual([]);
    expect(existsSync(endpointsPath(home))).toBe(false);
  });
});
