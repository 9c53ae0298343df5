import type { GlobalClusterBackend } from "./backend.js";
import type { ArcState } from "./services/arc.js";
import type { CloudWatchState } from "./services/cloudwatch.js";
import type { MetricDatum } from "./services/cloudwatch-metrics.js";
import type { GlobalClusterModel } from "./services/rds-model.js";
import type { SecretsState } from "./services/secrets.js";
import type { SfnState } from "./services/sfn.js";
import type { EmulatorTopology } from "./topology.js";

/** How an emulator is started, and the shape of its inspectable state. */
export interface EmulatorOptions {
  /** Defaults to `defaultTopology()`. */
  topology?: EmulatorTopology;
  /** Data plane of the global cluster; defaults to an in-memory one over the topology's regions. */
  backend?: GlobalClusterBackend;
  /** Main listener port on 127.0.0.1; 0 (default) picks a free one. */
  port?: number;
  /** Hosts of the five ARC cluster endpoints; default 127.0.0.2 … 127.0.0.6. */
  arcEndpointHosts?: string[];
  /**
   * Region of each ARC cluster endpoint (clients sign with it, so a region outage takes
   * that endpoint down too); default us-east-1, us-west-2, eu-west-1, ap-northeast-1, ap-southeast-2.
   */
  arcEndpointRegions?: string[];
  /** Minimum duration of RDS failover/switchover/promotion (default 2000 ms). */
  rdsTransitionMs?: number;
  /** Switchover refused above this replication lag (default 1000 ms). */
  switchoverMaxLagMs?: number;
  /** How often alarms are evaluated and metric sources sampled (default 1000 ms). */
  evaluationIntervalMs?: number;
  /** Scales ASL Wait seconds and Retry intervals (default 1; tests use less). */
  sfnWaitScale?: number;
  /**
   * Where the emulator keeps files (Lambda functions' unpacked code, under `lambda/<region>/<name>/`);
   * default a fresh directory in the OS temp dir, removed on close.
   */
  dataDir?: string;
  /**
   * The process that runs Lambda functions: `entry` (default the runner's worker,
   * `dist/stepfunctions/worker-main.js`, or its sources through tsx when running from them; a
   * .ts entry runs with tsx), `execArgv`, `idleMs` before an idle worker stops (default 5 min).
   */
  lambdaWorker?: { entry?: string; execArgv?: string[]; idleMs?: number };
  /** Publish AuroraGlobalDBReplicationLag/RPOLag from the backend (default true). */
  builtinLagMetrics?: boolean;
}

export type MetricSource = () => MetricDatum[] | Promise<MetricDatum[]>;

export interface EmulatorState {
  arc: ArcState;
  globalCluster: GlobalClusterModel | undefined;
  cloudwatch: CloudWatchState;
  secrets: SecretsState;
  sfn: SfnState;
  downRegions: Set<string>;
}

export const DEFAULT_ARC_HOSTS = ["127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5", "127.0.0.6"];
/** Like a real ARC cluster, whose five endpoints live in five regions. */
export const DEFAULT_ARC_REGIONS = [
  "us-east-1",
  "us-west-2",
  "eu-west-1",
  "ap-northeast-1",
  "ap-southeast-2",
];
