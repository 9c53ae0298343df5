import { z } from "zod";
import {
  clusterIdOf,
  describeCluster,
  describeSecondary,
  type GlobalSecondaryView,
} from "../src/aws/secondary-cluster.js";
import {
  createCluster,
  createInstance,
  isRebuilt,
  type Progress,
  readProgress,
  removeDiverged,
  waitConnected,
} from "../src/aws/secondary-rebuild.js";
import {
  type CheckResult,
  defineExecutor,
  type ExecutorContext,
  fatal,
  type Outputs,
} from "../src/executor.js";
import { allow, regionsOf, resourceArn } from "../src/iam/arn.js";
import type { ExecutorPermissions, PermissionScope } from "../src/iam/permission.js";

/**
 * Re-join a diverged old primary to an Aurora global database as a secondary, the manual way
 * (AWS re-adds it by itself on current engine versions; then this step finds it connected):
 * RemoveFromGlobalCluster, DeleteDBInstance, DeleteDBCluster keeping a final snapshot (its
 * unreplicated writes are never simply thrown away), CreateDBCluster into the global cluster
 * and CreateDBInstance, then wait until Aurora reports it connected. Every call is made only
 * when AWS does not already show its effect, so a resume after a crash completes the rebuild
 * with each side effect once; the new cluster is told from the old one by a tag.
 */

const IDENTIFIER = /^[A-Za-z](?:-?[A-Za-z0-9])*$/;
const identifier = (max: number) =>
  z
    .string()
    .max(max)
    .regex(IDENTIFIER, "an RDS identifier: a letter first, then letters, digits and single hyphens");

const params = z.strictObject({
  globalClusterIdentifier: z.string().min(1),
  region: z
    .string()
    .min(1)
    .describe("The old primary's region, rebuilt as a secondary; the API is called there"),
  dbClusterIdentifier: identifier(63).describe("The cluster there; the rebuilt one keeps its identifier"),
  dbInstanceIdentifier: identifier(63)
    .optional()
    .describe("The new cluster's instance (default: <dbClusterIdentifier>-instance-1)"),
  dbInstanceClass: z.string().min(1).optional().describe("Default: the old instance's class"),
  finalSnapshotIdentifier: identifier(255)
    .optional()
    .describe("Default: <dbClusterIdentifier>-pre-rebuild-<yyyymmdd-hhmmss> (the execution's clock)"),
  dbSubnetGroupName: z.string().min(1).optional().describe("Default: the old cluster's"),
  vpcSecurityGroupIds: z.array(z.string().min(1)).min(1).optional().describe("Default: the old cluster's"),
  kmsKeyId: z.string().min(1).optional().describe("Default: the old cluster's"),
  dbClusterParameterGroupName: z.string().min(1).optional().describe("Default: the old cluster's"),
});
type Params = z.infer<typeof params>;

/** The member there, refused when it is the writer or another cluster than the one named. */
async function locate(p: Params, ctx: ExecutorContext) {
  const rds = await ctx.aws.client("rds", p.region);
  const view = await describeSecondary(rds, p.globalClusterIdentifier, p.region, ctx.signal);
  const writerRegion = view.writerArn?.split(":")[3];
  if (view.member?.isWriter || writerRegion === p.region) {
    throw fatal(
      `${p.region} holds the writer of global cluster ${p.globalClusterIdentifier} (${view.writerArn}): ` +
        "only a secondary can be rebuilt; fail over or switch over first",
    );
  }
  if (view.member && clusterIdOf(view.member.arn) !== p.dbClusterIdentifier) {
    throw fatal(
      `the member of ${p.globalClusterIdentifier} in ${p.region} is ${clusterIdOf(view.member.arn)}, ` +
        `not ${p.dbClusterIdentifier}: name it with dbClusterIdentifier`,
    );
  }
  return { rds, view };
}

const connected = (v: GlobalSecondaryView) => v.member?.synchronization === "connected";

function outputs(p: Params, progress: Progress, clusterArn: string | undefined, connectedAt: Date): Outputs {
  return {
    clusterArn,
    removed: progress.removed ?? false,
    deletedInstances: progress.deletedInstances ?? [],
    deleted: progress.deleted ?? false,
    snapshot: progress.deleted ? progress.finalSnapshot : undefined,
    created: progress.created ?? false,
    createdInstance: progress.createdInstance,
    connectedAt: connectedAt.toISOString(),
    dbClusterIdentifier: p.dbClusterIdentifier,
  };
}

export const rdsRebuildSecondary = defineExecutor({
  type: "rds.rebuild-secondary",
  summary: "Rebuild a diverged old primary as a secondary of an Aurora global database (final snapshot kept)",
  params,
  aws: true,
  permissions: (p, scope) => rebuildPermissions(p, scope),
  describe: (p) =>
    `RDS in ${p.region}: unless ${p.dbClusterIdentifier} is already a connected secondary of ${p.globalClusterIdentifier}, ` +
    "RemoveFromGlobalCluster, DeleteDBInstance, DeleteDBCluster (final snapshot " +
    `${p.finalSnapshotIdentifier ?? `${p.dbClusterIdentifier}-pre-rebuild-<time>`}), CreateDBCluster into the global cluster, ` +
    "CreateDBInstance, then wait until it is connected",
  async check(p, ctx): Promise<CheckResult> {
    const { view } = await locate(p, ctx);
    if (!connected(view)) {
      return {
        inPlace: false,
        detail: view.member
          ? `${clusterIdOf(view.member.arn)} is ${view.member.synchronization}`
          : `global cluster ${p.globalClusterIdentifier} has no member in ${p.region}`,
      };
    }
    return {
      inPlace: true,
      detail: `${p.dbClusterIdentifier} is a connected secondary`,
      outputs: outputs(p, await readProgress(ctx), view.member?.arn, ctx.now()),
    };
  },
  async run(p, ctx) {
    const { rds, view } = await locate(p, ctx);
    const progress = await readProgress(ctx);
    if (connected(view)) return outputs(p, progress, view.member?.arn, ctx.now());
    let cluster = await describeCluster(rds, p.dbClusterIdentifier, ctx.signal);
    if (cluster && !isRebuilt(cluster, ctx.executionId)) {
      await removeDiverged(rds, p, ctx, cluster, progress);
      cluster = undefined;
    }
    if (!cluster) {
      await createCluster(rds, p, ctx, view, progress);
      cluster = await describeCluster(rds, p.dbClusterIdentifier, ctx.signal);
    }
    if (cluster && cluster.instances.length === 0) await createInstance(rds, p, ctx, view, progress);
    const { arn, at } = await waitConnected(rds, p, ctx);
    return outputs(p, progress, arn, at);
  },
});

/**
 * All in the rebuilt region. The instances to delete are known only at run time (`db:*` there);
 * CreateDBCluster is scoped to the parameter, option and subnet groups it uses too (`*` unless
 * named), and tagging on create needs AddTagsToResource.
 */
function rebuildPermissions(p: Params, scope: PermissionScope): ExecutorPermissions {
  const regions = regionsOf(p.region);
  const arn = (type: string, values: Record<string, unknown>) =>
    resourceArn("rds", type, values, scope, type === "global-cluster" ? undefined : p.region);
  const global = arn("global-cluster", { GlobalCluster: p.globalClusterIdentifier });
  const cluster = arn("cluster", { DbClusterInstanceName: p.dbClusterIdentifier });
  const anyDb = arn("db", {});
  const newDb = arn("db", {
    DbInstanceName: p.dbInstanceIdentifier ?? `${p.dbClusterIdentifier}-instance-1`,
  });
  const snapshot = arn("cluster-snapshot", {
    ClusterSnapshotName: p.finalSnapshotIdentifier ?? `${p.dbClusterIdentifier}-pre-rebuild-*`,
  });
  const groups = [
    arn("cluster-pg", { ClusterParameterGroupName: p.dbClusterParameterGroupName }),
    arn("og", {}),
    arn("subgrp", { SubnetGroupName: p.dbSubnetGroupName }),
  ];
  const check = [allow("rds:DescribeGlobalClusters", [global], regions)];
  return {
    check,
    run: [
      ...check,
      allow("rds:DescribeDBClusters", [cluster], regions),
      allow("rds:DescribeDBInstances", [anyDb], regions),
      allow("rds:RemoveFromGlobalCluster", [cluster, global], regions),
      allow("rds:DeleteDBInstance", [anyDb], regions),
      allow("rds:DeleteDBCluster", [cluster, snapshot], regions),
      allow("rds:CreateDBCluster", [cluster, global, ...groups], regions),
      allow("rds:AddTagsToResource", [cluster], regions),
      allow("rds:CreateDBInstance", [newDb, cluster], regions),
    ],
  };
}
