import { DEFAULT_RECOVERY_ACCOUNT_ID, type IamConfig } from "./iam/iam-defaults.js";
import { caseOutboxFunctions, type LambdaConfig } from "./services/lambda-model.js";
import { caseEvidenceBuckets, type S3Config } from "./services/s3-model.js";

/**
 * What an emulator starts with: the account, the two regions, ARC routing controls and
 * safety rules, the global database's identifiers, secrets and alarms. Everything here is
 * plain data so the sandbox can load it from a file.
 */

export type RoutingControlState = "On" | "Off";

export interface RoutingControlConfig {
  name: string;
  /** Defaults to an ARN under the control panel, derived from the name. */
  arn?: string;
  state?: RoutingControlState;
}

export interface AssertionRuleConfig {
  type: "assertion";
  name: string;
  arn?: string;
  /** Routing controls (ARN or name) of which at least `atLeast` must stay On. */
  controls: string[];
  atLeast: number;
}

export interface GatingRuleConfig {
  type: "gating";
  name: string;
  arn?: string;
  /** Target controls may change only while at least `atLeast` gating controls are On. */
  gatingControls: string[];
  targetControls: string[];
  atLeast: number;
}

export type SafetyRuleConfig = AssertionRuleConfig | GatingRuleConfig;

export interface ArcConfig {
  controlPanelName?: string;
  controlPanelArn?: string;
  routingControls: RoutingControlConfig[];
  safetyRules?: SafetyRuleConfig[];
}

export interface DatabaseConfig {
  globalClusterIdentifier: string;
  engine?: string;
  engineVersion?: string;
  /** DB cluster identifier in each region; the backend says which one is the writer. */
  clusters: Record<string, string>;
  /**
   * `global` (default): an Aurora global database. `read-replica`: the secondary is a
   * cross-region read replica (cluster and instance), promoted with PromoteReadReplica*.
   */
  mode?: "global" | "read-replica";
}

export interface SecretConfig {
  region: string;
  name: string;
  value: string;
  description?: string;
  /** Set on a replica: the region of the primary secret it is replicated from. */
  primaryRegion?: string;
  /** The key the replica is encrypted with (default `alias/aws/secretsmanager`). */
  kmsKeyId?: string;
}

export interface AlarmConfig {
  region: string;
  alarmName: string;
  namespace: string;
  metricName: string;
  dimensions?: Record<string, string>;
  statistic?: "Average" | "Sum" | "Minimum" | "Maximum" | "SampleCount";
  period?: number;
  evaluationPeriods?: number;
  datapointsToAlarm?: number;
  threshold: number;
  comparisonOperator:
    | "GreaterThanOrEqualToThreshold"
    | "GreaterThanThreshold"
    | "LessThanThreshold"
    | "LessThanOrEqualToThreshold";
  treatMissingData?: "missing" | "notBreaching" | "breaching" | "ignore";
}

export interface EcsServiceConfig {
  region: string;
  cluster: string;
  service: string;
  /** Tasks desired (and running) at start. */
  desiredCount: number;
  /** `family:revision` the service runs at start. */
  taskDefinition: string;
}

export interface EcsConfig {
  services: EcsServiceConfig[];
  /** Further revisions UpdateService may switch to (`family:revision`), beside the services' own. */
  taskDefinitions?: string[];
  /** PENDING → RUNNING of one task (default 400 ms); the tasks of one launch start one after another. */
  taskStartMs?: number;
}

export interface AutoScalingGroupConfig {
  region: string;
  name: string;
  minSize: number;
  maxSize: number;
  /** Instances desired (and InService) at start. */
  desiredCapacity: number;
  /** Default m5.large. */
  instanceType?: string;
}

export interface AutoScalingConfig {
  groups: AutoScalingGroupConfig[];
  /** Pending → InService of a new instance (default 2000 ms). */
  instanceStartMs?: number;
  /** While launches fail, how often the group tries again (default 10 s, as Auto Scaling backs off). */
  launchRetryMs?: number;
}

/** A DynamoDB global table (version 2019.11.21): one replica table of the same name per region. */
export interface GlobalTableConfig {
  tableName: string;
  regions: string[];
  /** The partition key, a string attribute (default `id`). */
  partitionKey?: string;
  /** Typical ReplicationLatency between replicas, in ms (default 40). */
  replicationLatencyMs?: number;
}

/** A KMS multi-Region key: the primary, its replicas (same `mrk-` key id), an alias in each region. */
export interface MultiRegionKeyConfig {
  alias: string;
  primaryRegion: string;
  replicaRegions: string[];
  description?: string;
}

/** An EventBridge rule on the default event bus of one region. */
export interface EventRuleConfig {
  region: string;
  name: string;
  scheduleExpression?: string;
  eventPattern?: string;
  state: "ENABLED" | "DISABLED";
  description?: string;
}

/** A record set of a Route 53 hosted zone; `setIdentifier` and `weight` make it weighted. */
export interface RecordSetConfig {
  name: string;
  type: string;
  ttl: number;
  values: string[];
  setIdentifier?: string;
  weight?: number;
}

export interface HostedZoneConfig {
  /** Without the `/hostedzone/` prefix, e.g. `Z0SANDBOXCASE`. */
  id: string;
  name: string;
  private?: boolean;
  vpcs?: { region: string; vpcId: string }[];
  comment?: string;
  /** Beside these, every zone has its SOA and NS records, as in AWS. */
  records: RecordSetConfig[];
}

export interface Route53Config {
  hostedZones: HostedZoneConfig[];
  /** How long a change stays PENDING before GetChange says INSYNC (ms, default 1000; AWS: up to ~60 s). */
  changePropagationMs?: number;
}

/** The sandbox's zone: `api.case.internal` weighted per region (set identifier = region). */
export const CASE_ZONE = {
  hostedZoneId: "Z0SANDBOXCASE",
  zoneName: "case.internal",
  recordName: "api.case.internal",
} as const;

/** All traffic to region A at start (weights 100 / 0), so ARC alone decides a failover. */
export function caseHostedZone(regions: readonly string[], ttlSeconds = 1): HostedZoneConfig {
  return {
    id: CASE_ZONE.hostedZoneId,
    name: CASE_ZONE.zoneName,
    private: true,
    comment: "case-api, one weighted record per region",
    vpcs: regions.map((region, i) => ({ region, vpcId: `vpc-0ca5e00000000000${i + 1}` })),
    records: regions.map((region, i) => ({
      name: CASE_ZONE.recordName,
      type: "CNAME",
      ttl: ttlSeconds,
      values: [`case-api.${region}.sandbox.internal`],
      setIdentifier: region,
      weight: i === 0 ? 100 : 0,
    })),
  };
}

export interface EmulatorTopology {
  /** The workload account: everything but ARC lives here. Defaults to 111111111111. */
  accountId?: string;
  /**
   * The recovery (shared services) account, which holds the ARC cluster, control panel,
   * routing controls and safety rules, and lends the workload account its `runbook-arc`
   * role. Defaults to 222222222222.
   */
  recoveryAccountId?: string;
  /** IAM knobs: the ARC role's external id, a cap on session lifetimes, enforcement at start. */
  iam?: IamConfig;
  /** Region A (primary at start) and region B. */
  regions: [string, string];
  arc?: ArcConfig;
  database?: DatabaseConfig;
  secrets?: SecretConfig[];
  alarms?: AlarmConfig[];
  ecs?: EcsConfig;
  autoScaling?: AutoScalingConfig;
  globalTables?: GlobalTableConfig[];
  kmsKeys?: MultiRegionKeyConfig[];
  eventRules?: EventRuleConfig[];
  route53?: Route53Config;
  /** S3 buckets, their versioning and cross-Region replication (services/s3-model.ts). */
  s3?: S3Config;
  /** Lambda functions and their event source mappings (services/lambda-model.ts). */
  lambda?: LambdaConfig;
}

export const DEFAULT_ACCOUNT_ID = "111111111111";

/** The sandbox's usual shape, handy for tests and `runbook sandbox up`. */
export function defaultTopology(regions: [string, string] = ["us-east-1", "us-west-2"]): EmulatorTopology {
  const [a, b] = regions;
  return {
    accountId: DEFAULT_ACCOUNT_ID,
    recoveryAccountId: DEFAULT_RECOVERY_ACCOUNT_ID,
    regions,
    arc: {
      controlPanelName: "case-api",
      routingControls: [
        { name: `cell-${a}`, state: "On" },
        { name: `cell-${b}`, state: "Off" },
      ],
      safetyRules: [
        { type: "assertion", name: "at-least-one-cell-on", controls: [`cell-${a}`, `cell-${b}`], atLeast: 1 },
      ],
    },
    database: {
      globalClusterIdentifier: "case-global",
      clusters: { [a]: `case-${a}`, [b]: `case-${b}` },
    },
    secrets: [
      { region: a, name: "case-api/db", value: '{"username":"app","password":"sandbox"}' },
      {
        region: b,
        name: "case-api/db",
        value: '{"username":"app","password":"sandbox"}',
        primaryRegion: a,
        kmsKeyId: "alias/case-data",
      },
    ],
    // The recovery region runs warm but small: scaling it up is part of the failover.
    ecs: {
      services: [
        { region: a, cluster: "case", service: "case-api", desiredCount: 3, taskDefinition: "case-api:1" },
        { region: b, cluster: "case", service: "case-api", desiredCount: 1, taskDefinition: "case-api:1" },
      ],
      taskDefinitions: ["case-api:2"],
    },
    autoScaling: {
      groups: [
        { region: a, name: `case-workers-${a}`, minSize: 2, maxSize: 8, desiredCapacity: 3 },
        { region: b, name: `case-workers-${b}`, minSize: 1, maxSize: 8, desiredCapacity: 1 },
      ],
    },
    globalTables: [{ tableName: "case-sessions", regions: [a, b] }],
    kmsKeys: [
      { alias: "alias/case-data", primaryRegion: a, replicaRegions: [b], description: "case-api data" },
    ],
    // A one-region job: it runs where the writer is, so a failover moves it.
    eventRules: [a, b].map((region) => ({
      region,
      name: "case-nightly-report",
      scheduleExpression: "cron(0 2 * * ? *)",
      state: region === a ? ("ENABLED" as const) : ("DISABLED" as const),
      description: "case-api nightly report (runs in the primary region only)",
    })),
    route53: { hostedZones: [caseHostedZone(regions)] },
    s3: caseEvidenceBuckets(regions),
    // Another one-region job: the outbox relay's queue mapping is enabled in the primary only.
    lambda: caseOutboxFunctions(regions, DEFAULT_ACCOUNT_ID),
  };
}
