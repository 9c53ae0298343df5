import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DescribeGlobalClustersCommand, FailoverGlobalClusterCommand, RDSClient } from "@aws-sdk/client-rds";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { readSandboxEndpoints, type SandboxEndpoints } from "../../../src/sandbox/endpoints.js";
import { freeLoopbackPort } from "../../../src/sandbox/postgres/free-port.js";
import { PostgresPair } from "../../../src/sandbox/postgres/postgres-pair.js";
import { acceptsWrites } from "../../../src/sandbox/postgres/write-fence.js";

const ROOT = new URL("../../..", import.meta.url).pathname;
const A = "us-east-1";
const B = "us-west-2";
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface ComposeService {
  image: string;
  network_mode?: string;
  command?: string[];
  entrypoint?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
}

const compose = parse(readFileSync(join(ROOT, "docker-compose.yml"), "utf8")) as {
  services: Record<string, ComposeService>;
  volumes: Record<string, unknown>;
};

describe("docker-compose.yml", () => {
  it("describes the pair on the official postgres image and the node sandbox, all on the host's loopback", () => {
    const { "pg-a": pgA, "pg-b": pgB, sandbox } = compose.services;
    expect(pgA?.image).toMatch(/^postgres:\d+$/);
    expect(pgB?.image).toBe(pgA?.image);
    expect(sandbox?.image).toMatch(/^node:20/);
    for (const service of Object.values(compose.services)) {
      expect(service.network_mode).toBe("host");
      expect(service.healthcheck?.test[0]).toBe("CMD");
    }
    // The standby starts after the primary is healthy; the apps after both.
    expect(pgB?.depends_on?.["pg-a"]?.condition).toBe("service_healthy");
    expect(Object.keys(sandbox?.depends_on ?? {}).sort()).toEqual(["pg-a", "pg-b"]);
    // Ports agree between the servers' command lines and the sandbox's environment.
    const portOf = (s?: ComposeService) => s?.command?.[(s.command?.indexOf("-p") ?? -2) + 1];
    expect(portOf(pgA)).toBe(sandbox?.environment?.PG_PORT_A);
    expect(portOf(pgB)).toBe(sandbox?.environment?.PG_PORT_B);
    expect(pgB?.environment?.PRIMARY_PORT).toBe(portOf(pgA));
    for (const s of [pgA, pgB]) {
      expect(s?.command).toContain("listen_addresses=127.0.0.1");
      expect(s?.command).toContain("wal_level=replica");
    }
    expect(sandbox?.command?.join(" ")).toContain("docker/sandbox-entry.mjs");
    // The sandbox is healthy when its control API answers, on the port it is given.
    expect(sandbox?.healthcheck?.test.join(" ")).toContain(
      `127.0.0.1:${sandbox?.environment?.CONTROL_PORT}/status`,
    );
  });

  it("mounts files that exist, and its shell scripts parse", () => {
    const mounted = Object.values(compose.services)
      .flatMap((s) => s.volumes ?? [])
      .map((v) => v.split(":")[0] ?? "")
      .filter((source) => source.startsWith("./") && source !== "./");
    expect(mounted.length).toBeGreaterThanOrEqual(2);
    for (const source of mounted) expect(existsSync(join(ROOT, source)), source).toBe(true);
    for (const script of ["docker/postgres/primary-init.sh", "docker/postgres/standby-entrypoint.sh"]) {
      execFileSync("sh", ["-n", join(ROOT, script)]);
    }
    // Named volumes used by services are declared.
    const named = Object.values(compose.services)
      .flatMap((s) => s.volumes ?? [])
      .map((v) => v.split(":")[0] ?? "")
      .filter((source) => !source.startsWith("."));
    for (const volume of named) expect(Object.keys(compose.volumes)).toContain(volume);
  });
});

/**
 * The compose entry cannot run its containers here (no Docker engine), but it can run
 * against any two PostgreSQL servers in streaming replication on loopback: here, the
 * embedded pair. Its backend must fail over for real through the SDK.
 */
describe("docker/sandbox-entry.mjs against a real streaming pair", () => {
  let dir: string;
  let pair: PostgresPair;
  let entry: ChildProcess;
  let output = "";
  let endpoints: SandboxEndpoints;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "runbook-compose-entry-"));
    await chmod(dir, 0o755);
    pair = new PostgresPair({ baseDir: join(dir, "pg"), regions: [A, B] });
    await pair.start();
    const ports = await Promise.all([1, 2, 3, 4, 5].map(() => freeLoopbackPort()));
    entry = spawn(process.execPath, ["--import", "tsx", "docker/sandbox-entry.mjs"], {
      cwd: ROOT,
      env: {
        ...process.env,
        RUNBOOK_HOME: join(dir, "home"),
        EMULATOR_PORT: String(ports[0]),
        CONTROL_PORT: String(ports[1]),
        EDGE_PORT: String(ports[2]),
        CASE_API_PORT_A: String(ports[3]),
        CASE_API_PORT_B: String(ports[4]),
        PG_PORT_A: String(pair.address(A).port),
        PG_PORT_B: String(pair.address(B).port),
        PG_PASSWORD: pair.credentials.password,
        EDGE_TTL_MS: "200",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    entry.stdout?.on("data", (d) => {
      output += d;
    });
    entry.stderr?.on("data", (d) => {
      output += d;
    });
    const deadline = Date.now() + 30_000;
    for (;;) {
      const read = await readSandboxEndpoints(join(dir, "home"));
      if (read) {
        endpoints = read;
        break;
      }
      if (entry.exitCode !== null || Date.now() > deadline)
        throw new Error(`the entry did not become ready:\n${output}`);
      await sleep(100);
    }
  });

  afterAll(async () => {
    if (entry && entry.exitCode === null) {
      const exited = new Promise((resolve) => entry.once("exit", resolve));
      entry.kill("SIGTERM");
      await exited;
    }
    await pair?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("writes endpoints.json, serves writes through the edge, and fails over for real through the SDK", async () => {
    expect(endpoints.databases[A]?.port).toBe(pair.address(A).port);
    const write = await fetch(`${endpoints.edge}/cases`, { method: "POST", body: "{}" });
    expect(write.status).toBe(201);
    expect(write.headers.get("x-edge-region")).toBe(A);

    const rds = new RDSClient({
      region: B,
      endpoint: endpoints.emulator,
      credentials: endpoints.credentials,
      maxAttempts: 1,
    });
    await rds.send(
      new FailoverGlobalClusterCommand({
        GlobalClusterIdentifier: endpoints.globalClusterIdentifier,
        TargetDbClusterIdentifier: endpoints.clusters[B],
        AllowDataLoss: true,
      }),
    );
    let writer: string | undefined;
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      const out = await rds.send(new DescribeGlobalClustersCommand({}));
      const cluster = out.GlobalClusters?.[0];
      writer = cluster?.GlobalClusterMembers?.find((m) => m.IsWriter)?.DBClusterArn;
      if (writer === endpoints.clusters[B] && cluster?.Status === "available") break;
      await sleep(100);
    }
    expect(writer).toBe(endpoints.clusters[B]);
    // Really promoted: B accepts writes, A is fenced read-only.
    const inRecovery = await pair.server(B).query<{ r: boolean }>("SELECT pg_is_in_recovery() AS r");
    expect(inRecovery[0]?.r).toBe(false);
    expect(await acceptsWrites(pair.server(A))).toBe(false);
    const status = (await (await fetch(`${endpoints.control}/status`)).json()) as { writerRegion: string };
    expect(status.writerRegion).toBe(B);
    // Region A's case-api follows the writer endpoint to B.
    const after = await fetch(`${endpoints.caseApi[A]}/cases`, { method: "POST", body: "{}" });
    expect(after.status).toBe(201);
  });
});
