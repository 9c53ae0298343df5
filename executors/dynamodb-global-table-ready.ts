import type { DynamoDBClient, TableDescription } from "@aws-sdk/client-dynamodb";
import { z } from "zod";
import { latestDatapoint } from "../src/aws/latest-metric.js";
import { operationError } from "../src/aws/sdk-operation.js";
import { defineExecutor, type ExecutorContext, ExecutorError, fatal } from "../src/executor.js";
import { allow, regionsOf, resourceArn } from "../src/iam/arn.js";
import { parseDuration } from "../src/language/duration.js";
import { Duration } from "../src/language/schema.js";

/** Statuses that end by themselves (a replica being added or updated); the rest need a person. */
const PASSING = new Set(["CREATING", "UPDATING"]);

interface Problem {
  message: string;
  fatal: boolean;
}

const params = z
  .strictObject({
    region: z.string().min(1).describe("The recovery region: its replica table must be ready"),
    tableName: z.string().min(3),
    maxReplicationLatency: Duration.optional().describe(
      "ReplicationLatency of writes arriving in `region` must be below this (latest 1-minute Maximum within 5 minutes)",
    ),
    sourceRegion: z
      .string()
      .min(1)
      .optional()
      .describe(
        "Where writes come from: its view of the replica's ReplicaStatus is checked, and its ReplicationLatency metric read (default: the latency from every other replica, status from `region` itself)",
      ),
    missingLatency: z
      .enum(["fail", "pass"])
      .optional()
      .describe("No ReplicationLatency datapoint (no writes lately): fail (default) or pass"),
  })
  .refine((p) => p.sourceRegion !== p.region, {
    message: "sourceRegion must be another region than region",
    path: ["sourceRegion"],
  });
type Params = z.infer<typeof params>;

/**
 * A DynamoDB global table (version 2019.11.21) is ready in the recovery region: its replica
 * table there is ACTIVE, the replica is ACTIVE as the source region sees it, and writes
 * arrive within the latency the RPO allows. Read-only: a pre-check or an abort probe. The
 * latency is published in the region writes come from: in an ungraceful failover (that
 * region down) leave `sourceRegion` and `maxReplicationLatency` out.
 */
export const dynamodbGlobalTableReady = defineExecutor({
  type: "dynamodb.global-table-ready",
  summary:
    "Check that a DynamoDB global table's replica is ACTIVE in a region, with replication latency under a threshold",
  params,
  aws: true,
  permissions(p, scope) {
    const table = (region: unknown) =>
      allow(
        "dynamodb:DescribeTable",
        [resourceArn("dynamodb", "table", { TableName: p.tableName }, scope, region)],
        regionsOf(region),
      );
    return {
      run: [
        table(p.region),
        ...(p.sourceRegion === undefined ? [] : [table(p.sourceRegion)]),
        // Latency is read where writes come from: without sourceRegion, every other replica's region.
        ...(p.maxReplicationLatency === undefined
          ? []
          : [allow("cloudwatch:GetMetricData", ["*"], regionsOf(p.sourceRegion))]),
      ],
    };
  },
  idempotent: true,
  readOnly: true,
  describe: (p) =>
    `DynamoDB DescribeTable ${p.tableName} in ${p.region}: table and replica ACTIVE${
      p.sourceRegion ? ` (ReplicaStatus as ${p.sourceRegion} sees it)` : ""
    }${p.maxReplicationLatency ? `; CloudWatch ReplicationLatency into ${p.region} < ${p.maxReplicationLatency}` : ""}`,
  async run(p, ctx) {
    const problems: Problem[] = [];
    const local = await describeTable(p.tableName, p.region, ctx);
    const tableStatus = local.TableStatus ?? "unknown";
    if (tableStatus !== "ACTIVE")
      problems.push({ message: `table status is ${tableStatus}`, fatal: !PASSING.has(tableStatus) });
    if (!local.GlobalTableVersion)
      throw fatal(
        `${p.tableName} in ${p.region} is not a global table of version 2019.11.21 (no GlobalTableVersion): nothing replicates into it`,
      );
    const others = (local.Replicas ?? []).map((r) => r.RegionName ?? "?");
    if (p.sourceRegion && !others.includes(p.sourceRegion))
      throw fatal(
        `${p.sourceRegion} holds no replica of ${p.tableName} as ${p.region} sees it (other replicas: ${others.join(", ") || "none"})`,
      );

    let replicaStatus = tableStatus;
    if (p.sourceRegion) {
      const seen = (await describeTable(p.tableName, p.sourceRegion, ctx)).Replicas?.find(
        (r) => r.RegionName === p.region,
      );
      if (!seen)
        throw fatal(`${p.sourceRegion} does not list ${p.region} among the replicas of ${p.tableName}`);
      replicaStatus = seen.ReplicaStatus ?? "unknown";
      if (replicaStatus !== "ACTIVE") {
        const why = seen.ReplicaStatusDescription ? ` (${seen.ReplicaStatusDescription})` : "";
        problems.push({
          message: `replica status is ${replicaStatus} as ${p.sourceRegion} sees it${why}`,
          fatal: !PASSING.has(replicaStatus),
        });
      }
    }

    const latency: Record<string, number | null> = {};
    const maxMs = p.maxReplicationLatency === undefined ? undefined : parseDuration(p.maxReplicationLatency);
    if (maxMs !== undefined) {
      for (const source of p.sourceRegion ? [p.sourceRegion] : others) {
        const problem = await checkLatency(p, source, maxMs, ctx, latency);
        if (problem) problems.push(problem);
      }
    }
    if (problems.length) {
      throw new ExecutorError(
        `${p.tableName} in ${p.region} is not ready: ${problems.map((x) => x.message).join("; ")}`,
        problems.some((x) => x.fatal) ? "fatal" : "retryable",
      );
    }
    return {
      tableStatus,
      replicaStatus,
      replicaRegions: others,
      ...(maxMs === undefined ? {} : { replicationLatencyMs: latency }),
    };
  },
});

async function describeTable(
  tableName: string,
  region: string,
  ctx: ExecutorContext,
): Promise<TableDescription> {
  const { DescribeTableCommand } = await import("@aws-sdk/client-dynamodb");
  const ddb: DynamoDBClient = await ctx.aws.client("dynamodb", region);
  try {
    const out = await ddb.send(new DescribeTableCommand({ TableName: tableName }), {
      abortSignal: ctx.signal,
    });
    if (!out.Table) throw fatal(`DescribeTable ${tableName} in ${region} returned no table`);
    return out.Table;
  } catch (err) {
    if ((err as { name?: string }).name === "ResourceNotFoundException")
      throw fatal(
        `table ${tableName} does not exist in ${region}: add a replica there (UpdateTable ReplicaUpdates)`,
        err,
      );
    throw operationError(err, "dynamodb", "DescribeTable", region);
  }
}

/** The latest ReplicationLatency from `source` into the recovery region, against the threshold. */
async function checkLatency(
  p: Params,
  source: string,
  maxMs: number,
  ctx: ExecutorContext,
  seen: Record<string, number | null>,
): Promise<Problem | undefined> {
  const route = `${source} → ${p.region}`;
  const cw = await ctx.aws.client("cloudwatch", source);
  const dimensions = { TableName: p.tableName, ReceivingRegion: p.region };
  const point = await latestDatapoint(
    cw,
    { namespace: "AWS/DynamoDB", metricName: "ReplicationLatency", dimensions },
    ctx.now(),
    ctx.signal,
  ).catch((err: unknown) => {
    throw operationError(err, "cloudwatch", "GetMetricData", source);
  });
  seen[source] = point?.value ?? null;
  if (!point) {
    if (p.missingLatency === "pass") return undefined;
    return {
      message: `no ReplicationLatency datapoint ${route} in the last 5 minutes (no writes replicated lately?)`,
      fatal: false,
    };
  }
  if (point.value < maxMs) return undefined;
  return {
    message: `ReplicationLatency ${route} is ${Math.round(point.value)} ms (at ${point.at.toISOString()}), needs < ${maxMs} ms`,
    fatal: false,
  };
}
