import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { workerCommand } from "../../stepfunctions/runner/worker-client.js";
import { adminHandler } from "./admin.js";
import { type GlobalClusterBackend, InMemoryGlobalClusterBackend } from "./backend.js";
import type { CallRecord } from "./call-log.js";
import { ComputeCapacity } from "./compute-capacity.js";
import { DataPlane } from "./data-plane.js";
import { Dispatcher } from "./dispatcher.js";
import {
  DEFAULT_ARC_HOSTS,
  DEFAULT_ARC_REGIONS,
  type EmulatorOptions,
  type EmulatorState,
  type MetricSource,
} from "./emulator-options.js";
import type { FaultRequest } from "./faults.js";
import { applyDeny, type IamCommand, runIamCommand } from "./iam/iam-admin.js";
import { DEFAULT_RECOVERY_ACCOUNT_ID } from "./iam/iam-defaults.js";
import { IamModel, type IamView } from "./iam/iam-model.js";
import { RequestAuth } from "./iam/request-auth.js";
import { Listener, type ListenerMode } from "./listener.js";
import { SERVICE_NAMES, type ServiceDefinition } from "./service.js";
import { arcService, createArcState } from "./services/arc.js";
import { alarmKey, cloudWatchService } from "./services/cloudwatch.js";
import {
  type AlarmModel,
  type AlarmStateValue,
  alarmFromConfig,
  evaluateAlarm,
} from "./services/cloudwatch-alarms.js";
import { type MetricDatum, MetricStore } from "./services/cloudwatch-metrics.js";
import { iamService } from "./services/iam.js";
import { LambdaFunctions } from "./services/lambda.js";
import { RdsService } from "./services/rds.js";
import { createRdsModel } from "./services/rds-model.js";
import { Route53Dns } from "./services/route53.js";
import { S3Buckets } from "./services/s3.js";
import { createSecretsState, putSecret, removeSecret, secretsService } from "./services/secrets.js";
import { ServiceRoleSessions } from "./services/service-role-sessions.js";
import { createSfnState, sfnService, type TaskHandler } from "./services/sfn.js";
import { stsService } from "./services/sts.js";
import { snapshotOf } from "./snapshot.js";
import { DEFAULT_ACCOUNT_ID, defaultTopology, type SecretConfig } from "./topology.js";

/** How long close() waits for an in-flight failover before giving up on it. */
const CLOSE_GRACE_MS = 5_000;

/** A running emulator. Create it with `createEmulator`; always `close()` it. */
export class Emulator {
  /** The workload account. */
  readonly accountId: string;
  /** The recovery account, where ARC lives. */
  readonly recoveryAccountId: string;
  /** Users, roles, policies, sessions, enforcement (iam/). */
  readonly iam: IamModel;
  readonly regions: [string, string];
  readonly backend: GlobalClusterBackend;
  readonly state: EmulatorState;
  /** ECS services and Auto Scaling groups per region, and the capacity-shortage fault. */
  readonly compute: ComputeCapacity;
  /** DynamoDB global tables, KMS multi-Region keys, secret replication, EventBridge rules. */
  readonly dataPlane: DataPlane;
  /** Route 53 hosted zones and weighted records; the DNS answers the sandbox's edge follows. */
  readonly route53: Route53Dns;
  /** S3 buckets with their replication (and its metrics, the replication-stall fault). */
  readonly s3: S3Buckets;
  /** Lambda functions and their event source mappings. */
  readonly lambda: LambdaFunctions;
  private readonly dispatcher: Dispatcher;
  private readonly auth: RequestAuth;
  private readonly main: Listener;
  private readonly arcListeners: Listener[];
  private readonly rds: RdsService;
  private readonly sources: MetricSource[] = [];
  private readonly abort = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private lastSourceError: string | undefined;
  private ticking = false;
  private dataDirPath: string | undefined;

  constructor(private readonly options: EmulatorOptions = {}) {
    const topology = options.topology ?? defaultTopology();
    this.accountId = topology.accountId ?? DEFAULT_ACCOUNT_ID;
    this.recoveryAccountId = topology.recoveryAccountId ?? DEFAULT_RECOVERY_ACCOUNT_ID;
    this.iam = new IamModel(this.accountId, this.recoveryAccountId, topology.iam);
    this.auth = new RequestAuth(this.iam);
    this.regions = topology.regions;
    this.backend = options.backend ?? new InMemoryGlobalClusterBackend({ regions: [...topology.regions] });
    const store = new MetricStore();
    const alarms = new Map<string, AlarmModel>(
      (topology.alarms ?? []).map((c) => [
        alarmKey(c.region, c.alarmName),
        alarmFromConfig(c, this.accountId),
      ]),
    );
    this.state = {
      arc: createArcState(topology.arc, this.recoveryAccountId),
      globalCluster: createRdsModel(topology.database, this.accountId, this.backend),
      cloudwatch: { store, alarms },
      secrets: createSecretsState(topology.secrets, this.accountId),
      sfn: createSfnState(),
      downRegions: new Set(),
    };
    this.route53 = new Route53Dns(topology.route53);
    this.compute = new ComputeCapacity(topology, this.accountId);
    this.dataPlane = new DataPlane(topology, this.accountId, this.state.secrets, store, (r) =>
      this.state.downRegions.has(r),
    );
    const isRegionDown = (r: string) => this.state.downRegions.has(r);
    this.s3 = new S3Buckets(topology.s3, this.accountId, store, isRegionDown);
    // Step Functions and Lambda run as their roles, with credentials the sandbox's STS issues.
    const sessions = new ServiceRoleSessions(this.auth);
    // The runner's worker (built, or its sources through tsx) unless a test brings its own.
    const worker = options.lambdaWorker ?? {};
    // A sandbox whose functions cannot run still serves everything else: the invocation says why.
    const runner = worker.entry ? undefined : runnerWorker();
    this.lambda = new LambdaFunctions(topology.lambda, this.accountId, isRegionDown, {
      sessions,
      workers: {
        ...worker,
        entry: worker.entry ?? (runner?.script as string),
        ...(runner && !worker.execArgv ? { execArgv: runner.execArgv } : {}),
      },
      codeRoot: () => join(this.dataDir, "lambda"),
    });
    this.rds = new RdsService({
      model: this.state.globalCluster,
      backend: this.backend,
      transitionMs: options.rdsTransitionMs ?? 2000,
      switchoverMaxLagMs: options.switchoverMaxLagMs ?? 1000,
      isRegionDown: (r) => this.state.downRegions.has(r),
      accountId: this.accountId,
    });
    this.dispatcher = new Dispatcher(
      [
        arcService(this.state.arc),
        this.rds.definition(),
        cloudWatchService(this.state.cloudwatch, this.accountId),
        sfnService(this.state.sfn, this.accountId, {
          waitScale: options.sfnWaitScale ?? 1,
          signal: this.abort.signal,
          sessions,
          endpoint: () => this.url,
        }),
        secretsService(this.state.secrets, this.accountId),
        stsService(this.auth),
        iamService(this.auth),
        ...this.compute.services(),
        ...this.dataPlane.services(),
        this.route53.service(),
        this.s3.service(),
        this.lambda.service(),
      ],
      {
        defaultRegion: this.regions[0],
        isRegionDown: (r) => this.state.downRegions.has(r),
        auth: this.auth,
        admin: adminHandler(this),
      },
    );
    this.main = new Listener("main", "127.0.0.1", this.dispatcher.handler("main"));
    this.arcListeners = (options.arcEndpointHosts ?? DEFAULT_ARC_HOSTS).map(
      (host, i) => new Listener(`arc-${i}`, host, this.dispatcher.handler(`arc-${i}`)),
    );
    if (options.builtinLagMetrics ?? true) this.sources.push(() => this.lagMetrics());
    this.sources.push(() => this.compute.metrics());
    this.sources.push(() => this.dataPlane.metrics());
    this.sources.push(() => this.s3.metrics());
    this.sources.push(() => this.lambda.metrics());
  }

  async start(): Promise<void> {
    await this.main.start(this.options.port ?? 0);
    await Promise.all(this.arcListeners.map((l) => l.start(0)));
    const interval = this.options.evaluationIntervalMs ?? 1000;
    // Alarms are judged from the start, not one interval (or one slow sample) later: a
    // readiness check right after `sandbox up` must not meet an "Initial alarm creation"
    // INSUFFICIENT_DATA that only this emulator's start-up produced.
    this.evaluateAlarms();
    this.timer = setInterval(() => void this.tick(), interval);
    this.timer.unref();
  }

  get url(): string {
    return this.main.url;
  }

  /** Where the emulator keeps files (functions' code under `lambda/`): `options.dataDir`, else a temp dir made on first use. */
  get dataDir(): string {
    this.dataDirPath ??= this.options.dataDir ?? mkdtempSync(join(tmpdir(), "runbook-emulator-"));
    return this.dataDirPath;
  }

  /** Things that differ from what was asked, e.g. ARC endpoints that fell back to 127.0.0.1. */
  get warnings(): string[] {
    return this.arcListeners.flatMap((l) => (l.fallbackReason ? [l.fallbackReason] : []));
  }

  get arcEndpoints(): string[] {
    return this.arcListeners.map((l) => l.url);
  }

  /** The cluster endpoints as ARC's DescribeCluster lists them: URL and the region to sign with. */
  get arcClusterEndpoints(): { endpoint: string; region: string }[] {
    const regions = this.options.arcEndpointRegions ?? DEFAULT_ARC_REGIONS;
    return this.arcListeners.map((l, i) => ({ endpoint: l.url, region: regions[i] ?? this.regions[0] }));
  }

  /** The emulated services, as the dispatcher routes to them (their operations, IAM declarations). */
  get serviceDefinitions(): readonly ServiceDefinition[] {
    return this.dispatcher.services;
  }

  get calls(): CallRecord[] {
    return this.dispatcher.log.calls;
  }

  mutatingCalls(): CallRecord[] {
    return this.dispatcher.log.mutatingCalls();
  }

  clearCalls(): void {
    this.dispatcher.log.clear();
  }

  routingControlArn(name: string): string {
    const rc = [...this.state.arc.controls.values()].find((c) => c.name === name);
    if (!rc) throw new Error(`no routing control named ${name}`);
    return rc.arn;
  }

  safetyRuleArn(name: string): string {
    const rule = this.state.arc.rules.find((r) => r.name === name);
    if (!rule) throw new Error(`no safety rule named ${name}`);
    return rule.arn;
  }

  // ---- faults ----

  /** Every call signed for `region` gets its connection dropped (a network failure to the SDK). */
  regionDown(region: string, down = true): void {
    if (down) this.state.downRegions.add(region);
    else this.state.downRegions.delete(region);
  }

  arcEndpoint(index: number, mode: ListenerMode, delayMs = 0): Promise<void> {
    const listener = this.arcListeners[index];
    if (!listener) throw new Error(`no ARC endpoint ${index} (there are ${this.arcListeners.length})`);
    return listener.setMode(mode, delayMs);
  }

  /** Requests per second allowed for a service (signing name, e.g. `rds`) or one operation; undefined lifts it. */
  throttle(service: string, rps: number | undefined, operation?: string): void {
    // A typo would silently throttle nothing and make a game day look like a pass.
    if (!(SERVICE_NAMES as readonly string[]).includes(service)) {
      throw new Error(`unknown service ${service} (one of ${SERVICE_NAMES.join(", ")})`);
    }
    this.dispatcher.throttles.set(service, rps, operation);
  }

  removeSecret(region: string, name: string): boolean {
    return removeSecret(this.state.secrets, region, name);
  }

  /** `replication`: put it back as a replica of its primary (as the topology has it). */
  putSecret(
    region: string,
    name: string,
    value: string,
    replication?: Pick<SecretConfig, "primaryRegion" | "kmsKeyId">,
  ): void {
    putSecret(this.state.secrets, { ...replication, region, name, value }, this.accountId);
  }

  /** Pins an alarm's state until called again with `undefined`. */
  forceAlarmState(region: string, alarmName: string, state: AlarmStateValue | undefined): void {
    const alarm = this.state.cloudwatch.alarms.get(alarmKey(region, alarmName));
    if (!alarm) throw new Error(`no alarm ${alarmName} in ${region}`);
    alarm.forced = state;
    evaluateAlarm(alarm, this.state.cloudwatch.store);
  }

  async applyFault(f: FaultRequest): Promise<void> {
    switch (f.kind) {
      case "regionDown":
        return this.regionDown(f.region, f.down);
      case "arcEndpoint":
        return this.arcEndpoint(f.index, f.mode, f.delayMs);
      case "throttle":
        return this.throttle(f.service, f.rps, f.operation);
      case "removeSecret":
        if (!this.removeSecret(f.region, f.name)) throw new Error(`no secret ${f.name} in ${f.region}`);
        return;
      case "alarmState":
        return this.forceAlarmState(f.region, f.alarmName, f.state);
      case "capacityShortage":
        return this.compute.capacityShortage(f.region, f.on);
      case "globalTableReplica":
      case "kmsKeyState":
      case "secretReplication":
        return this.dataPlane.applyFault(f);
      case "replicationStall":
        return this.s3.stall(f.bucket, f.on);
      case "iamDeny":
        if (f.on) return applyDeny(this.iam, f.action, f.principal);
        return this.iam.liftDeny(f.action);
    }
  }

  // ---- IAM ----

  iamView(): IamView {
    return this.iam.view();
  }

  /** Enforcement, attached policies, reset, session lifetime cap (iam/iam-admin.ts). */
  iamCommand(command: IamCommand): Promise<IamView> {
    return runIamCommand(this.iam, command);
  }

  // ---- metrics, alarms, tasks ----

  /** Adds a live metric source, sampled every evaluation interval; returns a remover. */
  addMetricSource(source: MetricSource): () => void {
    this.sources.push(source);
    return () => {
      const i = this.sources.indexOf(source);
      if (i >= 0) this.sources.splice(i, 1);
    };
  }

  async sampleMetricSources(): Promise<void> {
    const batches = await Promise.allSettled(this.sources.map(async (s) => s()));
    for (const b of batches) {
      if (b.status === "fulfilled") for (const d of b.value) this.state.cloudwatch.store.put(d);
      else this.lastSourceError = String(b.reason);
    }
  }

  clearMetrics(): void {
    this.state.cloudwatch.store.clear();
  }

  evaluateAlarms(): void {
    for (const alarm of this.state.cloudwatch.alarms.values())
      evaluateAlarm(alarm, this.state.cloudwatch.store);
  }

  registerTaskHandler(resourceArn: string, handler: TaskHandler): void {
    this.state.sfn.handlers.set(resourceArn, handler);
  }

  /** JSON-friendly view of everything, for the admin API and for debugging. */
  snapshot(): unknown {
    return snapshotOf(this, this.dispatcher.throttles.active(), this.lastSourceError);
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.abort.abort();
    this.lambda.close();
    await Promise.all([this.main.stop(), ...this.arcListeners.map((l) => l.stop())]);
    // Let in-flight failovers settle, but a hung backend must not hang close() forever.
    let grace: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.rds.pending]),
      new Promise((resolve) => {
        grace = setTimeout(resolve, CLOSE_GRACE_MS);
      }),
    ]);
    clearTimeout(grace);
    this.lambda.close();
    if (this.dataDirPath && !this.options.dataDir) rmSync(this.dataDirPath, { recursive: true, force: true });
  }

  private async tick(): Promise<void> {
    // Sources may query real databases (or hang on a region just taken down): never let slow
    // samples pile up, and never let one hold back the alarms, which still age by the clock.
    if (this.ticking) {
      this.evaluateAlarms();
      return;
    }
    this.ticking = true;
    try {
      await this.sampleMetricSources();
      this.evaluateAlarms();
    } finally {
      this.ticking = false;
    }
  }

  /** Aurora publishes the lag metrics in the secondary's region, per secondary cluster. */
  private async lagMetrics(): Promise<MetricDatum[]> {
    const model = this.state.globalCluster;
    if (!model) return [];
    const lag = await this.backend.replicationLagMs();
    if (lag === undefined) return [];
    const readers = this.backend.members().filter((m) => m.role === "reader");
    return readers.flatMap((m) => {
      const cluster = model.clusters.find((c) => c.region === m.region);
      if (!cluster) return [];
      const base = {
        region: m.region,
        namespace: "AWS/RDS",
        dimensions: { DBClusterIdentifier: cluster.identifier },
      };
      return [
        { ...base, metricName: "AuroraGlobalDBReplicationLag", value: lag, unit: "Milliseconds" },
        { ...base, metricName: "AuroraGlobalDBRPOLag", value: lag, unit: "Milliseconds" },
      ];
    });
  }
}

function runnerWorker(): { script: string; execArgv: string[] } {
  try {
    return workerCommand();
  } catch {
    return { script: "dist/stepfunctions/worker-main.js (not found beside this build)", execArgv: [] };
  }
}
