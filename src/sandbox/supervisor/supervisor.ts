import { chmod, mkdir } from "node:fs/promises";
import { CaseApi } from "../apps/case-api.js";
import { caseApiMetricSource } from "../apps/case-api-metrics.js";
import { EdgeRouter } from "../apps/edge-router.js";
import { createEmulator, type Emulator, type EmulatorTopology } from "../emulator/index.js";
import { type SandboxEndpoints, sandboxDir } from "../endpoints.js";
import { PostgresGlobalClusterBackend } from "../postgres/postgres-global-cluster-backend.js";
import { PostgresPair } from "../postgres/postgres-pair.js";
import { computeEndpoints, computeStatus } from "./compute-status.js";
import { ControlServer } from "./control-server.js";
import { dataPlaneEndpoints, dataPlaneStatus } from "./data-plane-status.js";
import { dnsEndpoints, dnsStatus, weightedRecordOf } from "./dns-status.js";
import {
  describeFault,
  type FaultClear,
  type FaultContext,
  FaultUsageError,
  faultSelector,
  parseClear,
  parseFault,
} from "./fault-catalog.js";
import { type ActiveFault, applyFault, type FaultTargets, liftFault } from "./fault-effects.js";
import { iamEndpoints, iamStatus, SANDBOX_CREDENTIALS } from "./iam-status.js";
import { s3LambdaEndpoints, s3LambdaStatus } from "./s3-lambda-status.js";
import { SANDBOX_REGIONS, sandboxTopology } from "./sandbox-topology.js";
import type { SandboxStatus } from "./status.js";

/**
 * The sandbox, as one object in one long-lived process: a real PostgreSQL pair, the AWS
 * emulator backed by it, a case-api per region, the edge router, and the faults and
 * reset that need all of them at once. `runbook sandbox up` runs one in its supervisor
 * process; tests and the bench run one in-process.
 *
 * Start order matters: the pair first (the emulator's backend reads its members), then
 * the emulator, the apps (they resolve the writer through the backend), the edge (it
 * reads the routing controls from the emulator), the metric sources, the control API.
 * Stop is the reverse, and always stops the databases, even if something else failed.
 */

export interface SupervisorOptions {
  /** RUNBOOK_HOME: the databases live under `<home>/sandbox/`. */
  home: string;
  /** Emulator port on 127.0.0.1 (0, the default: a free one). */
  port?: number;
  /** Control API port (0, the default: a free one). */
  controlPort?: number;
  /** The edge's DNS-like TTL (ms, default 1000). */
  edgeTtlMs?: number;
  regions?: [string, string];
  /** Minimum duration of an emulated RDS failover (ms, default 2000 as in the emulator). */
  rdsTransitionMs?: number;
  /** Progress lines ("postgres pair up in 2.3 s"). */
  log?: (line: string) => void;
}

export { SANDBOX_CREDENTIALS };

export class SandboxSupervisor {
  readonly regions: [string, string];
  readonly topology: EmulatorTopology;
  readonly startedAt = new Date();
  private readonly options: SupervisorOptions;
  private readonly log: (line: string) => void;
  private pair: PostgresPair | undefined;
  private emulatorInstance: Emulator | undefined;
  private apis: Record<string, CaseApi> = {};
  private edge: EdgeRouter | undefined;
  private control: ControlServer | undefined;
  private readonly faults = new Map<string, ActiveFault>();
  private queue: Promise<unknown> = Promise.resolve();
  private stopping: Promise<void> | undefined;
  /** Called after reset, whose rebuilt databases listen on new ports (endpoints.json must follow). */
  onEndpointsChanged: (() => Promise<void>) | undefined;
  /** Called when the control API asks for a shutdown. */
  onShutdownRequested: (() => void) | undefined;

  private constructor(options: SupervisorOptions) {
    this.options = options;
    this.regions = options.regions ?? SANDBOX_REGIONS;
    // The weighted records' TTL is the edge's, so one `--ttl` is the whole resolver cache.
    this.topology = sandboxTopology(this.regions, {
      dnsTtlSeconds: Math.ceil((options.edgeTtlMs ?? 1_000) / 1000),
    });
    this.log = options.log ?? (() => {});
  }

  /** Starts everything; on any failure stops what had started and rethrows. */
  static async start(options: SupervisorOptions): Promise<SandboxSupervisor> {
    const supervisor = new SandboxSupervisor(options);
    try {
      await supervisor.startAll();
    } catch (error) {
      await supervisor.stop().catch(() => {});
      throw error;
    }
    return supervisor;
  }

  get emulator(): Emulator {
    if (!this.emulatorInstance) throw new Error("the sandbox is not started");
    return this.emulatorInstance;
  }

  get postgres(): PostgresPair {
    if (!this.pair) throw new Error("the sandbox is not started");
    return this.pair;
  }

  caseApi(region: string): CaseApi {
    const api = this.apis[region];
    if (!api) throw new Error(`no case-api in ${region}`);
    return api;
  }

  private async startAll(): Promise<void> {
    const dir = sandboxDir(this.options.home);
    await mkdir(dir, { recursive: true });
    // The servers run as the `postgres` OS user, which must be able to enter this directory.
    await chmod(dir, 0o755);
    const timed = async <T>(what: string, action: () => Promise<T>): Promise<T> => {
      const t0 = performance.now();
      const result = await action();
      this.log(`${what} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      return result;
    };

    const pair = new PostgresPair({ baseDir: dir, regions: this.regions });
    this.pair = pair;
    await timed("postgres pair (primary + streaming standby) up", () => pair.start());

    const backend = new PostgresGlobalClusterBackend(pair);
    this.emulatorInstance = await timed("AWS emulator up", () =>
      createEmulator({
        topology: this.topology,
        backend,
        port: this.options.port ?? 0,
        ...(this.options.rdsTransitionMs === undefined
          ? {}
          : { rdsTransitionMs: this.options.rdsTransitionMs }),
      }),
    );

    // Both regions' writer endpoints resolve to the current writer, as Aurora's global writer endpoint does.
    const writer = () => {
      const member = backend.members().find((m) => m.role === "writer");
      if (!member) throw new Error("the global cluster has no writer");
      return member.endpoint;
    };
    for (const region of this.regions) this.apis[region] = new CaseApi({ region, resolveWriter: writer });
    await timed("case-apis up", () => Promise.all(Object.values(this.apis).map((api) => api.start())));
    await this.apis[this.regions[0]]?.migrate();

    const edge = new EdgeRouter({
      regions: Object.fromEntries(Object.entries(this.apis).map(([region, api]) => [region, api.url])),
      activeRegions: async () => this.onRegions(),
      // Route 53's data plane: what resolvers are answered, read in-process (it survives a region outage).
      weightedRecords: async () => {
        const record = weightedRecordOf(this.topology);
        return record ? this.emulator.route53.weightedAnswer(record.recordName) : undefined;
      },
      ttlMs: this.options.edgeTtlMs ?? 1_000,
    });
    this.edge = edge;
    await edge.start();
    this.emulator.addMetricSource(caseApiMetricSource(Object.values(this.apis)));

    const control = new ControlServer(this);
    this.control = control;
    await control.start(this.options.controlPort ?? 0);
    this.log("edge router and control API up");
  }

  /** The first region (in order A, B) whose routing control is On, as Route 53 failover records resolve. */
  activeRegion(): string | undefined {
    return this.regions.find((region) => this.routingControlState(region) === "On");
  }

  /** Every region whose routing control is On: the edge spreads clients among them by the DNS weights. */
  onRegions(): string[] {
    return this.regions.filter((region) => this.routingControlState(region) === "On");
  }

  private routingControlState(region: string): string | undefined {
    const emulator = this.emulator;
    return emulator.state.arc.controls.get(emulator.routingControlArn(`cell-${region}`))?.state;
  }

  /** What endpoints.json says (minus pid and startedAt's formatting, which the runner adds). */
  endpoints(): SandboxEndpoints {
    const emulator = this.emulator;
    const pair = this.postgres;
    const model = emulator.state.globalCluster;
    const app = pair.appCredentials;
    return {
      version: 1,
      emulator: emulator.url,
      arcClusterEndpoints: emulator.arcClusterEndpoints,
      regions: this.regions,
      accountId: emulator.accountId,
      credentials: SANDBOX_CREDENTIALS,
      routingControls: Object.fromEntries(
        this.regions.map((r) => [r, emulator.routingControlArn(`cell-${r}`)]),
      ),
      safetyRules: Object.fromEntries(emulator.state.arc.rules.map((rule) => [rule.name, rule.arn])),
      globalClusterIdentifier: model?.identifier ?? "",
      clusters: Object.fromEntries((model?.clusters ?? []).map((c) => [c.region, c.arn])),
      databases: Object.fromEntries(
        this.regions.map((r) => [
          r,
          { ...pair.address(r), database: app.database, user: app.user, password: app.password },
        ]),
      ),
      caseApi: Object.fromEntries(Object.entries(this.apis).map(([r, api]) => [r, api.url])),
      edge: this.edge?.url ?? "",
      edgeTtlMs: this.options.edgeTtlMs ?? 1_000,
      alarms: Object.fromEntries(
        (this.topology.alarms ?? []).map((a) => [a.alarmName, { region: a.region }]),
      ),
      secrets: [...new Set((this.topology.secrets ?? []).map((s) => s.name))],
      ...computeEndpoints(this.topology),
      ...dnsEndpoints(this.topology),
      ...dataPlaneEndpoints(this.topology),
      ...s3LambdaEndpoints(this.topology),
      ...iamEndpoints(emulator),
      control: this.control?.url ?? "",
      pid: process.pid,
      startedAt: this.startedAt.toISOString(),
    };
  }

  async status(): Promise<SandboxStatus> {
    const emulator = this.emulator;
    const pair = this.postgres;
    const model = emulator.state.globalCluster;
    const lag = await pair.replayLagMs().catch(() => undefined);
    return {
      up: true,
      pid: process.pid,
      startedAt: this.startedAt.toISOString(),
      regions: this.regions,
      writerRegion: pair.writer(),
      globalClusterStatus: model?.status ?? "unknown",
      routingControls: Object.fromEntries(
        this.regions.map((r) => [r, this.routingControlState(r) ?? "unknown"]),
      ),
      edgeRegion: this.activeRegion() ?? null,
      replicationLagMs: lag ?? null,
      databases: Object.fromEntries(
        pair
          .topology()
          .map((m) => [
            m.region,
            { role: m.role, down: m.down, replayPaused: m.replayPaused, port: m.address.port },
          ]),
      ),
      caseApi: Object.fromEntries(
        Object.entries(this.apis).map(([r, api]) => [
          r,
          { url: api.url, down: api.isDown(), ...api.stats() },
        ]),
      ),
      alarms: Object.fromEntries(
        [...emulator.state.cloudwatch.alarms.values()].map((a) => [
          a.name,
          { region: a.region, state: a.state },
        ]),
      ),
      ...computeStatus(emulator),
      ...dnsStatus(emulator, this.topology, this.onRegions()),
      ...dataPlaneStatus(emulator),
      ...s3LambdaStatus(emulator),
      ...iamStatus(emulator),
      downRegions: [...emulator.state.downRegions],
      faults: [...this.faults.values()].map((f) => ({
        name: f.fault.name,
        description: describeFault(f.fault),
        since: f.since,
      })),
    };
  }

  private faultContext(): FaultContext {
    return {
      regions: this.regions,
      alarms: (this.topology.alarms ?? []).map((a) => a.alarmName),
      secrets: [...new Set((this.topology.secrets ?? []).map((s) => s.name))],
    };
  }

  private faultTargets(): FaultTargets {
    return {
      emulator: this.emulator,
      pair: this.postgres,
      caseApi: (region) => this.caseApi(region),
      topology: this.topology,
    };
  }

  /**
   * Applies (or with `clear`, lifts) a fault given as CLI words. Bad arguments throw a
   * `FaultUsageError`; failures of the sandbox itself throw plain errors.
   */
  fault(name: string, args: readonly string[], clear: boolean): Promise<string> {
    return this.exclusive(async () => {
      if (clear) {
        const request = parseClear(name, args);
        if (typeof request === "string") throw new FaultUsageError(request);
        return this.clearFaults(request);
      }
      const fault = parseFault(name, args, this.faultContext());
      if (typeof fault === "string") throw new FaultUsageError(fault);
      const key = faultKey(fault.name, faultSelector(fault));
      const region = await applyFault(fault, this.faultTargets());
      this.faults.set(key, {
        fault,
        since: new Date().toISOString(),
        ...(region === undefined ? {} : { region }),
      });
      return `fault on: ${describeFault(fault)}`;
    });
  }

  private async clearFaults(request: FaultClear): Promise<string> {
    const matching = [...this.faults.entries()].filter(
      ([, f]) =>
        f.fault.name === request.name &&
        (request.selector === undefined || faultSelector(f.fault) === request.selector),
    );
    if (matching.length === 0) return `fault ${request.name} was not active: nothing to clear`;
    for (const [key, active] of matching) {
      await liftFault(active, this.faultTargets());
      this.faults.delete(key);
    }
    return `fault cleared: ${matching.map(([, f]) => describeFault(f.fault)).join(", ")}`;
  }

  /**
   * Back to the initial topology: every fault lifted, routing controls as at start, the
   * pair back to A primary / B streaming standby (rebuilt from scratch after a failover,
   * on the same ports unless another listener took them), the apps reconnected, the call log empty.
   */
  reset(): Promise<void> {
    return this.exclusive(async () => {
      const emulator = this.emulator;
      const pair = this.postgres;
      this.faults.clear();
      for (const region of this.regions) emulator.regionDown(region, false);
      for (let i = 0; i < emulator.arcClusterEndpoints.length; i++) await emulator.arcEndpoint(i, "up");
      const { throttles } = emulator.snapshot() as { throttles: Record<string, number> };
      for (const key of Object.keys(throttles)) {
        const [service = key, operation] = key.split(":");
        emulator.throttle(service, undefined, operation);
      }
      // Replicas come back as replicas of their primary, InSync.
      for (const secret of this.topology.secrets ?? [])
        emulator.putSecret(secret.region, secret.name, secret.value, secret);
      for (const alarm of this.topology.alarms ?? [])
        emulator.forceAlarmState(alarm.region, alarm.alarmName, undefined);
      // The starting task counts and group sizes, with capacity everywhere.
      emulator.compute.reset();
      // The starting weights (A 100 / B 0), nothing pending.
      emulator.route53.reset();
      // The 5xx of the last failover must not keep the recovery region's alarm firing.
      emulator.clearMetrics();
      // Replicas ACTIVE, keys Enabled, the one-region jobs enabled in the primary only; after
      // the metrics are cleared, so ReplicationLatency has a datapoint again right away.
      emulator.dataPlane.reset();
      // Replication flowing with no backlog (a datapoint at once), the outbox mapping enabled in A only.
      emulator.s3.reset();
      emulator.lambda.reset();
      // The default principals and policies, no deny, enforcement off.
      emulator.iam.reset();
      const initial = new Map(
        (this.topology.arc?.routingControls ?? []).map((c) => [c.name, c.state ?? "Off"] as const),
      );
      for (const control of emulator.state.arc.controls.values()) {
        const state = initial.get(control.name);
        if (state) control.state = state;
      }
      await pair.reset();
      // Restarting drops their connection pools: the rebuilt servers are new databases.
      for (const api of Object.values(this.apis)) {
        await api.stop();
        await api.start();
      }
      await this.apis[this.regions[0]]?.migrate();
      emulator.clearCalls();
      await this.onEndpointsChanged?.();
    });
  }

  /** Stops everything this supervisor started (idempotent); the databases are stopped whatever else fails. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      const errors: unknown[] = [];
      const attempt = async (action: () => Promise<unknown> | undefined) => {
        try {
          await action();
        } catch (error) {
          errors.push(error);
        }
      };
      await attempt(() => this.control?.stop());
      await attempt(() => this.edge?.stop());
      await attempt(() => Promise.all(Object.values(this.apis).map((api) => api.stop())));
      await attempt(() => this.emulatorInstance?.close());
      await attempt(() => this.pair?.stop());
      if (errors.length > 0) throw errors[0];
    })();
    return this.stopping;
  }

  /** Faults, resets and shutdown run one at a time, in arrival order. */
  private exclusive<T>(operation: () => Promise<T>): Promise<T> {
    const result = this.queue.then(operation, operation);
    this.queue = result.catch(() => {});
    return result;
  }
}

const faultKey = (name: string, selector: string | undefined) => (selector ? `${name} ${selector}` : name);
