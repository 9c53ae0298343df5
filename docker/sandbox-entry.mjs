// The sandbox's AWS emulator, case-apis and edge router for docker-compose.yml, in front
// of two PostgreSQL containers (official image) instead of the embedded pair.
//
// Run with the TypeScript loader, from the repository root:
//   node --import tsx docker/sandbox-entry.mjs
//
// Environment (defaults match docker-compose.yml; everything is on 127.0.0.1 because the
// services share the host's network, as the embedded sandbox does):
//   RUNBOOK_HOME       where endpoints.json is written (default /app/.runbook)
//   EMULATOR_PORT      4566      CONTROL_PORT 4567     EDGE_PORT 8080
//   CASE_API_PORT_A    8081      CASE_API_PORT_B 8082
//   PG_PORT_A          54321     PG_PORT_B 54322       PG_PASSWORD (superuser) password
//   EDGE_TTL_MS        1000
//
// Differences from `runbook sandbox up` (documented in docker-compose.yml): faults that
// stop or pause a database are `docker compose stop pg-a` / `pause pg-b`; a reset is
// `docker compose down -v && docker compose up`.
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { CaseApi } from "../src/sandbox/apps/case-api.ts";
import { caseApiMetricSource } from "../src/sandbox/apps/case-api-metrics.ts";
import { EdgeRouter } from "../src/sandbox/apps/edge-router.ts";
import { createEmulator } from "../src/sandbox/emulator/index.ts";
import { writeSandboxEndpoints } from "../src/sandbox/endpoints.ts";
import { HEARTBEAT_SCHEMA_SQL, HeartbeatWriter } from "../src/sandbox/postgres/heartbeat-writer.ts";
import { APP_CREDENTIALS, PostgresServer } from "../src/sandbox/postgres/postgres-server.ts";
import { replayLagMs, waitForReplayCatchUp } from "../src/sandbox/postgres/replication-queries.ts";
import { promoteStandby } from "../src/sandbox/postgres/standby-control.ts";
import { fenceWrites, unfenceWrites } from "../src/sandbox/postgres/write-fence.ts";
import { ControlServer } from "../src/sandbox/supervisor/control-server.ts";
import { FaultUsageError } from "../src/sandbox/supervisor/fault-catalog.ts";
import { iamEndpoints, SANDBOX_CREDENTIALS } from "../src/sandbox/supervisor/iam-status.ts";
import { SANDBOX_REGIONS, sandboxTopology } from "../src/sandbox/supervisor/sandbox-topology.ts";

const env = process.env;
const num = (name, fallback) => Number(env[name] ?? fallback);
const home = env.RUNBOOK_HOME ?? "/app/.runbook";
const [A, B] = SANDBOX_REGIONS;
const superuser = { user: "postgres", password: env.PG_PASSWORD ?? "password", database: "postgres" };

// Query-only handles on the two containers (no data directory of ours: the image owns it).
const server = (name, port) =>
  new PostgresServer({ name, dataDir: "", logFile: "", port, credentials: superuser });
const servers = {
  [A]: server("pg-a", num("PG_PORT_A", 54321)),
  [B]: server("pg-b", num("PG_PORT_B", 54322)),
};

/**
 * The emulator's GlobalClusterBackend over the two containers: same contract as
 * PostgresGlobalClusterBackend (fence the old writer, optionally drain, pg_promote), but
 * the old writer is not rebuilt as a standby after a switchover (no shell into pg-a here).
 */
class ContainerPairBackend {
  writer = A;
  down = new Set();

  members() {
    return [A, B].map((region) => ({
      region,
      role: region === this.writer ? "writer" : "reader",
      endpoint: servers[region].address,
    }));
  }

  async replicationLagMs() {
    const reader = this.writer === A ? B : A;
    try {
      return await replayLagMs(servers[this.writer], servers[reader]);
    } catch {
      return undefined;
    }
  }

  isRegionDown(region) {
    return this.down.has(region);
  }

  /** Reachability, refreshed every second (the emulator asks synchronously). */
  async probe() {
    for (const region of [A, B]) {
      try {
        await servers[region].query("SELECT 1", [], 1_000);
        this.down.delete(region);
      } catch {
        this.down.add(region);
      }
    }
  }

  async promote(target, { allowDataLoss }) {
    const old = this.writer;
    if (target === old) return;
    if (!allowDataLoss && this.down.has(old)) throw new Error(`the writer region ${old} is down`);
    if (!this.down.has(old)) await fenceWrites(servers[old]).catch(() => {});
    if (!allowDataLoss) await waitForReplayCatchUp(servers[old], servers[target]);
    await servers[target].query("SELECT pg_wal_replay_resume()").catch(() => {});
    await promoteStandby(servers[target]);
    await unfenceWrites(servers[target]);
    this.writer = target;
  }

  async switchover(target) {
    await this.promote(target, { allowDataLoss: false });
  }

  /** A reader that is not the standby of the writer any more (the demoted old writer) awaits a resync. */
  synchronization(region) {
    return region === this.writer || this.writer === A ? "connected" : "pending-resync";
  }

  async rebuildSecondary(region) {
    throw new Error(
      `rebuilding ${region} needs a shell into its container: recreate the sandbox's containers instead`,
    );
  }
}

const backend = new ContainerPairBackend();
await backend.probe();
await servers[A].query(HEARTBEAT_SCHEMA_SQL);
const probeTimer = setInterval(() => void backend.probe(), 1_000);
const heartbeat = new HeartbeatWriter(() => servers[backend.writer].address, superuser, 100);
heartbeat.start();

const topology = sandboxTopology();
const emulator = await createEmulator({ topology, backend, port: num("EMULATOR_PORT", 4566) });
const writer = () => servers[backend.writer].address;
const apis = {
  [A]: new CaseApi({ region: A, resolveWriter: writer, port: num("CASE_API_PORT_A", 8081) }),
  [B]: new CaseApi({ region: B, resolveWriter: writer, port: num("CASE_API_PORT_B", 8082) }),
};
await Promise.all(Object.values(apis).map((api) => api.start()));
const controlState = (region) =>
  emulator.state.arc.controls.get(emulator.routingControlArn(`cell-${region}`))?.state;
const edgeTtlMs = num("EDGE_TTL_MS", 1_000);
const edge = new EdgeRouter({
  regions: { [A]: apis[A].url, [B]: apis[B].url },
  activeRegion: async () => [A, B].find((r) => controlState(r) === "On"),
  ttlMs: edgeTtlMs,
  port: num("EDGE_PORT", 8080),
});
await edge.start();
emulator.addMetricSource(caseApiMetricSource(Object.values(apis)));

// The control API of `runbook sandbox status` (read-only here; faults go through the
// emulator's admin API or docker compose, see the header).
const startedAt = new Date().toISOString();
const control = new ControlServer({
  onShutdownRequested: () => void shutdown(),
  async status() {
    const lag = await backend.replicationLagMs();
    return {
      up: true,
      pid: process.pid,
      startedAt,
      regions: [A, B],
      writerRegion: backend.writer,
      globalClusterStatus: emulator.state.globalCluster?.status ?? "unknown",
      routingControls: { [A]: controlState(A) ?? "unknown", [B]: controlState(B) ?? "unknown" },
      edgeRegion: [A, B].find((r) => controlState(r) === "On") ?? null,
      replicationLagMs: lag ?? null,
      databases: Object.fromEntries(
        [A, B].map((r) => [
          r,
          {
            role: r === backend.writer ? "primary" : "standby",
            down: backend.down.has(r),
            replayPaused: false,
            port: servers[r].port,
          },
        ]),
      ),
      caseApi: Object.fromEntries(
        [A, B].map((r) => [r, { url: apis[r].url, down: apis[r].isDown(), ...apis[r].stats() }]),
      ),
      alarms: Object.fromEntries(
        [...emulator.state.cloudwatch.alarms.values()].map((a) => [
          a.name,
          { region: a.region, state: a.state },
        ]),
      ),
      downRegions: [...emulator.state.downRegions],
      faults: [],
    };
  },
  async fault(name) {
    throw new FaultUsageError(
      `fault ${name}: the compose sandbox takes faults from docker compose (stop pg-a, pause pg-b) and the emulator's POST /_sandbox/fault`,
    );
  },
  async reset() {
    throw new FaultUsageError("the compose sandbox resets with: docker compose down -v && docker compose up");
  },
});
await control.start(num("CONTROL_PORT", 4567));

await mkdir(join(home, "sandbox"), { recursive: true });
const model = emulator.state.globalCluster;
await writeSandboxEndpoints(home, {
  version: 1,
  emulator: emulator.url,
  arcClusterEndpoints: emulator.arcClusterEndpoints,
  regions: [A, B],
  accountId: emulator.accountId,
  credentials: SANDBOX_CREDENTIALS,
  routingControls: {
    [A]: emulator.routingControlArn(`cell-${A}`),
    [B]: emulator.routingControlArn(`cell-${B}`),
  },
  safetyRules: Object.fromEntries(emulator.state.arc.rules.map((r) => [r.name, r.arn])),
  globalClusterIdentifier: model?.identifier ?? "",
  clusters: Object.fromEntries((model?.clusters ?? []).map((c) => [c.region, c.arn])),
  databases: Object.fromEntries([A, B].map((r) => [r, { ...servers[r].address, ...APP_CREDENTIALS }])),
  caseApi: { [A]: apis[A].url, [B]: apis[B].url },
  edge: edge.url,
  edgeTtlMs,
  alarms: Object.fromEntries((topology.alarms ?? []).map((a) => [a.alarmName, { region: a.region }])),
  secrets: [...new Set((topology.secrets ?? []).map((s) => s.name))],
  ...iamEndpoints(emulator),
  control: control.url,
  pid: process.pid,
  startedAt,
});
console.log(
  `sandbox ready: emulator ${emulator.url}, edge ${edge.url}, endpoints in ${home}/sandbox/endpoints.json`,
);

let stopping;
function shutdown() {
  stopping ??= (async () => {
    clearInterval(probeTimer);
    await control.stop();
    await edge.stop();
    await Promise.all(Object.values(apis).map((api) => api.stop()));
    await heartbeat.stop();
    await emulator.close();
    process.exit(0);
  })();
  return stopping;
}
process.on("SIGTERM", () => void shutdown());
process.on("SIGINT", () => void shutdown());
