import { createHash } from "node:crypto";
import type { MetricDatum } from "./cloudwatch-metrics.js";

/**
 * S3 buckets as a failover sees them: where each lives, its versioning, and its
 * cross-Region replication rule with S3 Replication Time Control (RTC) and replication
 * metrics. Objects are not stored: what a readiness gate judges is the rule (present,
 * Enabled, to the right bucket) and the backlog S3 reports in CloudWatch.
 *
 * The backlog is a first-in-first-out queue integrated over time: while replication is
 * stalled, operations pile up at `STALL_OPS_PER_SECOND` and the oldest one ages; once it
 * flows again the queue drains at `DRAIN_OPS_PER_SECOND`, oldest first, so the latency
 * (the age of the oldest pending operation) falls as the backlog empties, as it does in S3.
 */

export interface BucketReplicationConfig {
  /** The rule's ID (a RuleId dimension of the replication metrics). */
  ruleId: string;
  /** Name of a bucket of the topology, in another region. */
  destinationBucket: string;
  /** Default `arn:aws:iam::<account>:role/<source bucket>-replication`. */
  role?: string;
  /** The rule's Status (default Enabled). */
  status?: "Enabled" | "Disabled";
  /** S3 Replication Time Control with replication metrics (default true); without, S3 publishes no metrics. */
  replicationTimeControl?: boolean;
}

export interface BucketConfig {
  region: string;
  name: string;
  /** Default Enabled: replication requires it on both buckets. */
  versioning?: "Enabled" | "Suspended";
  replication?: BucketReplicationConfig;
}

export interface S3Config {
  buckets: BucketConfig[];
}

/** `case-evidence-<region>` in each region, versioned; region A's replicating to region B's with RTC. */
export function caseEvidenceBuckets(regions: readonly [string, string]): S3Config {
  const [a, b] = regions;
  return {
    buckets: [
      {
        region: a,
        name: `case-evidence-${a}`,
        replication: { ruleId: `case-evidence-to-${b}`, destinationBucket: `case-evidence-${b}` },
      },
      { region: b, name: `case-evidence-${b}` },
    ],
  };
}

/** Operations piling up per second while replication is stalled. */
export const STALL_OPS_PER_SECOND = 20;
/** Operations replicated per second while a backlog drains (faster than they arrive). */
export const DRAIN_OPS_PER_SECOND = 200;

export interface ReplicationModel {
  ruleId: string;
  status: "Enabled" | "Disabled";
  /** RTC and replication metrics are on: only then does S3 publish the metrics. */
  replicationTimeControl: boolean;
  role: string;
  destinationBucket: string;
  destinationRegion: string;
  /** The replication-stall fault is on. */
  stallFault: boolean;
  /** Operations pending beyond the usual handful. */
  backlog: number;
  /** When the oldest operation of the backlog was written (ms); undefined without a backlog. */
  oldestPendingAt: number | undefined;
  /** The clock the backlog was last brought up to (ms). */
  updatedAt: number;
}

export interface BucketModel {
  region: string;
  name: string;
  createdAt: Date;
  versioning: "Enabled" | "Suspended";
  replication: ReplicationModel | undefined;
}

export interface S3State {
  /** By bucket name: names are global in S3. */
  buckets: Map<string, BucketModel>;
  /** The canonical user ID of the account, as S3 names owners. */
  ownerId: string;
}

export function createS3State(config: S3Config | undefined, accountId: string): S3State {
  const state: S3State = {
    buckets: new Map(),
    ownerId: createHash("sha256").update(`s3-owner/${accountId}`).digest("hex"),
  };
  resetS3State(state, config, accountId);
  return state;
}

/** Back to the configured buckets, replication flowing with no backlog. */
export function resetS3State(state: S3State, config: S3Config | undefined, accountId: string): void {
  const buckets = config?.buckets ?? [];
  const regionOf = new Map(buckets.map((b) => [b.name, b.region]));
  const createdAt = new Date();
  state.buckets.clear();
  for (const b of buckets) {
    const r = b.replication;
    const destinationRegion = r ? regionOf.get(r.destinationBucket) : undefined;
    if (r && (!destinationRegion || destinationRegion === b.region))
      throw new Error(
        `bucket ${b.name} replicates to ${r.destinationBucket}: not a bucket of another region`,
      );
    state.buckets.set(b.name, {
      region: b.region,
      name: b.name,
      createdAt,
      versioning: b.versioning ?? "Enabled",
      replication:
        r && destinationRegion
          ? {
              ruleId: r.ruleId,
              status: r.status ?? "Enabled",
              replicationTimeControl: r.replicationTimeControl ?? true,
              role: r.role ?? `arn:aws:iam::${accountId}:role/${b.name}-replication`,
              destinationBucket: r.destinationBucket,
              destinationRegion,
              stallFault: false,
              backlog: 0,
              oldestPendingAt: undefined,
              updatedAt: Date.now(),
            }
          : undefined,
    });
  }
}

/**
 * Brings a rule's backlog up to `now`. `flowing` says whether replication moved during the
 * interval (no stall fault, the destination's region up).
 */
export function advanceReplication(r: ReplicationModel, now: number, flowing: boolean): void {
  const seconds = Math.max(0, now - r.updatedAt) / 1000;
  r.updatedAt = now;
  if (!flowing) {
    r.oldestPendingAt ??= now - seconds * 1000;
    r.backlog += STALL_OPS_PER_SECOND * seconds;
    return;
  }
  if (r.oldestPendingAt === undefined) return;
  r.backlog = Math.max(0, r.backlog - DRAIN_OPS_PER_SECOND * seconds);
  // FIFO: draining DRAIN ops takes away DRAIN / STALL seconds' worth of arrivals each second.
  r.oldestPendingAt = Math.min(
    now,
    r.oldestPendingAt + seconds * 1000 * (DRAIN_OPS_PER_SECOND / STALL_OPS_PER_SECOND),
  );
  if (r.backlog === 0) r.oldestPendingAt = undefined;
}

export interface ReplicationFigures {
  operationsPending: number;
  latencySeconds: number;
}

/** What S3 would report now: a handful of operations and a few seconds, plus any backlog. */
export function replicationFigures(
  r: ReplicationModel,
  now: number,
  random: () => number = Math.random,
): ReplicationFigures {
  const usualPending = Math.floor(random() * 6);
  const usualLatency = 2 + Math.round(random() * 6);
  const age = r.oldestPendingAt === undefined ? 0 : (now - r.oldestPendingAt) / 1000;
  return {
    operationsPending: usualPending + Math.round(r.backlog),
    latencySeconds: usualLatency + Math.round(age),
  };
}

/** `AWS/S3` replication metrics, published in the source bucket's region per rule. */
export function replicationMetrics(
  state: S3State,
  now: number,
  isRegionDown: (region: string) => boolean,
): MetricDatum[] {
  const data: MetricDatum[] = [];
  for (const bucket of state.buckets.values()) {
    const r = bucket.replication;
    if (r?.status !== "Enabled" || !r.replicationTimeControl || isRegionDown(bucket.region)) continue;
    const figures = replicationFigures(r, now);
    const base = {
      region: bucket.region,
      namespace: "AWS/S3",
      dimensions: { SourceBucket: bucket.name, DestinationBucket: r.destinationBucket, RuleId: r.ruleId },
      timestamp: new Date(now),
    };
    data.push(
      {
        ...base,
        metricName: "OperationsPendingReplication",
        value: figures.operationsPending,
        unit: "Count",
      },
      { ...base, metricName: "ReplicationLatency", value: figures.latencySeconds, unit: "Seconds" },
    );
  }
  return data;
}
