import type { RDSClient } from "@aws-sdk/client-rds";
import { z } from "zod";
import { poll } from "../src/aws/poll.js";
import { defineExecutor, fatal } from "../src/executor.js";
import { allow, isArn, regionsOf, resourceArn } from "../src/iam/arn.js";

/**
 * Promote a cross-region read replica (a DB cluster or a DB instance) to a standalone
 * writer: the failover path for RDS without a global database.
 */
const params = z
  .strictObject({
    region: z.string().min(1).describe("The replica's region; the API is called there"),
    dbClusterIdentifier: z.string().min(1).optional(),
    dbInstanceIdentifier: z.string().min(1).optional(),
  })
  .refine((p) => Boolean(p.dbClusterIdentifier) !== Boolean(p.dbInstanceIdentifier), {
    message: "give exactly one of dbClusterIdentifier or dbInstanceIdentifier",
  });

type Params = z.infer<typeof params>;
async function replicaState(
  rds: RDSClient,
  p: Params,
  signal: AbortSignal,
): Promise<{ status: string; isReplica: boolean; endpoint: string | undefined }> {
  const sdk = await import("@aws-sdk/client-rds");
  if (p.dbClusterIdentifier) {
    const out = await rds.send(
      new sdk.DescribeDBClustersCommand({ DBClusterIdentifier: p.dbClusterIdentifier }),
      { abortSignal: signal },
    );
    const c = out.DBClusters?.[0];
    if (!c) throw fatal(`DB cluster ${p.dbClusterIdentifier} not found in ${p.region}`);
    return {
      status: c.Status ?? "unknown",
      isReplica: Boolean(c.ReplicationSourceIdentifier),
      endpoint: c.Endpoint,
    };
  }
  const out = await rds.send(
    new sdk.DescribeDBInstancesCommand({ DBInstanceIdentifier: p.dbInstanceIdentifier }),
    { abortSignal: signal },
  );
  const i = out.DBInstances?.[0];
  if (!i) throw fatal(`DB instance ${p.dbInstanceIdentifier} not found in ${p.region}`);
  return {
    status: i.DBInstanceStatus ?? "unknown",
    isReplica: Boolean(i.ReadReplicaSourceDBInstanceIdentifier),
    endpoint: i.Endpoint?.Address,
  };
}

export const rdsPromoteReadReplica = defineExecutor({
  type: "rds.promote-read-replica",
  summary: "Promote a cross-region read replica (cluster or instance) and wait until it accepts writes",
  params,
  aws: true,
  permissions(p, scope) {
    const regions = regionsOf(p.region);
    const [type, id, describe, promote] = p.dbClusterIdentifier
      ? ["cluster", p.dbClusterIdentifier, "rds:DescribeDBClusters", "rds:PromoteReadReplicaDBCluster"]
      : ["db", p.dbInstanceIdentifier, "rds:DescribeDBInstances", "rds:PromoteReadReplica"];
    const arn = isArn(id)
      ? id
      : resourceArn("rds", type, { DbClusterInstanceName: id, DbInstanceName: id }, scope, p.region);
    const read = allow(describe, [arn], regions);
    return { check: [read], run: [read, allow(promote, [arn], regions)] };
  },
  describe: (p) =>
    `RDS ${p.dbClusterIdentifier ? `PromoteReadReplicaDBCluster ${p.dbClusterIdentifier}` : `PromoteReadReplica ${p.dbInstanceIdentifier}`} in ${p.region}, then wait until available`,
  async check(p, ctx) {
    const s = await replicaState(await ctx.aws.client("rds", p.region), p, ctx.signal);
    const done = !s.isReplica && s.status === "available";
    return {
      inPlace: done,
      detail: `status ${s.status}${s.isReplica ? ", still a replica" : ""}`,
      outputs: { writerEndpoint: s.endpoint },
    };
  },
  async run(p, ctx) {
    const sdk = await import("@aws-sdk/client-rds");
    const rds = await ctx.aws.client("rds", p.region);
    const before = await replicaState(rds, p, ctx.signal);
    // Already promoting (a call made before a crash): wait for it instead of asking again.
    if (before.isReplica && before.status !== "promoting") {
      if (p.dbClusterIdentifier) {
        await rds.send(
          new sdk.PromoteReadReplicaDBClusterCommand({ DBClusterIdentifier: p.dbClusterIdentifier }),
          { abortSignal: ctx.signal },
        );
      } else {
        await rds.send(new sdk.PromoteReadReplicaCommand({ DBInstanceIdentifier: p.dbInstanceIdentifier }), {
          abortSignal: ctx.signal,
        });
      }
    }
    const { at, endpoint } = await poll(
      async () => {
        const s = await replicaState(rds, p, ctx.signal);
        if (!s.isReplica && s.status === "available")
          return { state: "SUCCESS", value: { at: new Date(), endpoint: s.endpoint } };
        return { state: "RETRY", detail: s.status };
      },
      {
        signal: ctx.signal,
        minDelayMs: 200,
        maxDelayMs: 1000,
        onRetry: (status) =>
          ctx.progress(`waiting for the promoted replica to be available: ${status ?? "status unknown"}`),
      },
    );
    ctx.milestone("db_promoted", at);
    return { writerEndpoint: endpoint, promotedAt: at.toISOString() };
  },
});
