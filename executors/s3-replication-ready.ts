import type { ReplicationRule, S3Client } from "@aws-sdk/client-s3";
import { z } from "zod";
import { latestDatapoint } from "../src/aws/latest-metric.js";
import { operationError } from "../src/aws/sdk-operation.js";
import { WholeNumber } from "../src/aws/whole-number.js";
import { defineExecutor, type ExecutorContext, fatal, retryable } from "../src/executor.js";
import { allow, regionsOf, resourceArn } from "../src/iam/arn.js";
import { formatDuration, parseDuration } from "../src/language/duration.js";
import { Duration } from "../src/language/schema.js";

const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const BUCKET_ARN = /^arn:aws[a-z-]*:s3:::([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])$/;

const params = z
  .strictObject({
    region: z
      .string()
      .min(1)
      .describe("The source bucket's region: its replication metrics are published there"),
    bucket: z.string().regex(BUCKET, "an S3 bucket name").describe("The source bucket"),
    destinationBucket: z
      .string()
      .refine((s) => BUCKET.test(s) || BUCKET_ARN.test(s), "an S3 bucket name or arn:aws:s3:::<name>")
      .describe("The recovery region's bucket a rule must replicate to: name or ARN"),
    maxPendingOperations: WholeNumber.optional().describe(
      "The latest OperationsPendingReplication (1-minute Maximum within 5 minutes) must be at most this",
    ),
    maxReplicationLatency: Duration.optional().describe(
      "The latest ReplicationLatency (1-minute Maximum within 5 minutes) must be at most this",
    ),
    missingMetrics: z
      .enum(["fail", "pass"])
      .optional()
      .describe("No datapoint of a metric with a threshold (nothing written lately): fail (default) or pass"),
  })
  .refine((p) => nameOf(p.destinationBucket) !== p.bucket, {
    message: "destinationBucket must be another bucket than bucket",
    path: ["destinationBucket"],
  });
type Params = z.infer<typeof params>;

/**
 * The evidence a failover needs is already in the recovery region: the source bucket has an
 * Enabled replication rule to the recovery bucket (GetBucketReplication), and the backlog S3
 * reports for it in CloudWatch (OperationsPendingReplication, ReplicationLatency, published in
 * the source bucket's region per rule) is within the thresholds. Read-only: a pre-check or an
 * abort probe. A missing bucket, configuration or rule is fatal (a person must fix it); a
 * backlog over a threshold is retryable (it drains by itself), each failure with its figures.
 */
export const s3ReplicationReady = defineExecutor({
  type: "s3.replication-ready",
  summary:
    "Check that an S3 bucket replicates to the recovery bucket (an Enabled rule) with its backlog under thresholds",
  params,
  aws: true,
  permissions(p, scope) {
    const regions = regionsOf(p.region);
    const bucket = resourceArn("s3", "bucket", { BucketName: p.bucket }, scope, undefined);
    return {
      run: [
        // IAM's name for the SDK's GetBucketReplication.
        allow("s3:GetReplicationConfiguration", [bucket], regions, "GetBucketReplication"),
        ...(p.maxPendingOperations === undefined && p.maxReplicationLatency === undefined
          ? []
          : [allow("cloudwatch:GetMetricData", ["*"], regions)]),
      ],
    };
  },
  idempotent: true,
  readOnly: true,
  describe: (p) => {
    const limits = [
      p.maxPendingOperations === undefined ? "" : `OperationsPendingReplication ≤ ${p.maxPendingOperations}`,
      p.maxReplicationLatency === undefined ? "" : `ReplicationLatency ≤ ${p.maxReplicationLatency}`,
    ].filter(Boolean);
    return `S3 GetBucketReplication ${p.bucket} in ${p.region}: an Enabled rule replicating to ${nameOf(p.destinationBucket)}${
      limits.length ? `; CloudWatch ${limits.join(", ")}` : ""
    }`;
  },
  async run(p, ctx) {
    const destination = nameOf(p.destinationBucket);
    const rules = await replicationRules(p, ctx);
    const toDestination = rules.filter((r) => nameOf(r.Destination?.Bucket ?? "") === destination);
    if (toDestination.length === 0) {
      const elsewhere = rules.map((r) => `${r.ID ?? "?"} → ${r.Destination?.Bucket ?? "?"}`).join(", ");
      throw fatal(
        `no replication rule of ${p.bucket} replicates to ${destination} (its rules: ${elsewhere || "none"})`,
      );
    }
    const enabled = toDestination.filter((r) => r.Status === "Enabled");
    if (enabled.length === 0)
      throw fatal(
        `replication of ${p.bucket} to ${destination} is off: rule ${toDestination.map((r) => r.ID ?? "?").join(", ")} is Disabled`,
      );

    const figures: Record<
      string,
      { operationsPending?: number | null; replicationLatencySeconds?: number | null }
    > = {};
    const problems: string[] = [];
    if (p.maxPendingOperations !== undefined || p.maxReplicationLatency !== undefined) {
      for (const rule of enabled) {
        const ruleId = rule.ID ?? "";
        if (rule.Destination?.Metrics?.Status !== "Enabled")
          throw fatal(
            `rule ${ruleId} of ${p.bucket} has replication metrics disabled: S3 publishes no OperationsPendingReplication or ReplicationLatency for it (enable Metrics, or S3 Replication Time Control, on the rule)`,
          );
        const seen = await judgeBacklog(p, ruleId, destination, ctx, problems);
        figures[ruleId] = seen;
      }
    }
    if (problems.length)
      throw retryable(`replication of ${p.bucket} to ${destination} is not ready: ${problems.join("; ")}`);
    const first = enabled[0];
    return {
      ruleId: first?.ID,
      destinationBucket: first?.Destination?.Bucket,
      replicationTimeControl: first?.Destination?.ReplicationTime?.Status === "Enabled",
      ...(Object.keys(figures).length ? { backlog: figures } : {}),
    };
  },
});

/** The bucket's name from a name or an ARN. */
function nameOf(bucket: string): string {
  return BUCKET_ARN.exec(bucket)?.[1] ?? bucket;
}

async function replicationRules(p: Params, ctx: ExecutorContext): Promise<ReplicationRule[]> {
  const { GetBucketReplicationCommand } = await import("@aws-sdk/client-s3");
  const s3: S3Client = await ctx.aws.client("s3", p.region);
  const out = await s3
    .send(new GetBucketReplicationCommand({ Bucket: p.bucket }), { abortSignal: ctx.signal })
    .catch((err: unknown) => {
      const name = (err as { name?: string }).name;
      if (name === "NoSuchBucket")
        throw fatal(
          `bucket ${p.bucket} does not exist (asked in ${p.region}): nothing can replicate from it`,
          err,
        );
      if (name === "ReplicationConfigurationNotFoundError")
        throw fatal(
          `${p.bucket} has no replication configuration: nothing replicates to ${nameOf(p.destinationBucket)} (PutBucketReplication)`,
          err,
        );
      throw operationError(err, "s3", "GetBucketReplication", p.region);
    });
  return out.ReplicationConfiguration?.Rules ?? [];
}

/** The latest backlog figures of one rule against the thresholds; what exceeds them goes to `problems`. */
async function judgeBacklog(
  p: Params,
  ruleId: string,
  destination: string,
  ctx: ExecutorContext,
  problems: string[],
): Promise<{ operationsPending?: number | null; replicationLatencySeconds?: number | null }> {
  const cw = await ctx.aws.client("cloudwatch", p.region);
  const dimensions = { SourceBucket: p.bucket, DestinationBucket: destination, RuleId: ruleId };
  const latest = (metricName: string) =>
    latestDatapoint(cw, { namespace: "AWS/S3", metricName, dimensions }, ctx.now(), ctx.signal).catch(
      (err: unknown) => {
        throw operationError(err, "cloudwatch", "GetMetricData", p.region);
      },
    );
  const missing = (metricName: string) => {
    if (p.missingMetrics !== "pass")
      problems.push(`no ${metricName} datapoint for rule ${ruleId} in the last 5 minutes`);
  };
  const seen: { operationsPending?: number | null; replicationLatencySeconds?: number | null } = {};
  if (p.maxPendingOperations !== undefined) {
    const point = await latest("OperationsPendingReplication");
    seen.operationsPending = point?.value ?? null;
    if (!point) missing("OperationsPendingReplication");
    else if (point.value > p.maxPendingOperations)
      problems.push(
        `OperationsPendingReplication is ${point.value} (at ${point.at.toISOString()}), needs ≤ ${p.maxPendingOperations}`,
      );
  }
  const maxMs = p.maxReplicationLatency === undefined ? undefined : parseDuration(p.maxReplicationLatency);
  if (maxMs !== undefined) {
    const point = await latest("ReplicationLatency");
    seen.replicationLatencySeconds = point?.value ?? null;
    if (!point) missing("ReplicationLatency");
    else if (point.value * 1000 > maxMs)
      problems.push(
        `ReplicationLatency is ${point.value} s (at ${point.at.toISOString()}), needs ≤ ${formatDuration(maxMs)}`,
      );
  }
  return seen;
}
