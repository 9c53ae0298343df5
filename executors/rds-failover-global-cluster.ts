import { z } from "zod";
import { checkWriter, moveWriter } from "../src/aws/global-cluster.js";
import { defineExecutor } from "../src/executor.js";
import { allow, isArn, regionsOf, resourceArn } from "../src/iam/arn.js";
import type { ExecutorPermissions, PermissionScope } from "../src/iam/permission.js";

export const GlobalClusterTarget = {
  globalClusterIdentifier: z.string().min(1),
  targetRegion: z
    .string()
    .min(1)
    .describe("The region whose cluster becomes the writer; the API is called there"),
  targetClusterArn: z.string().min(1).optional().describe("Needed only when the region has several members"),
};

/**
 * Unplanned failover of an Aurora global database (FailoverGlobalCluster). With
 * `allowDataLoss` it promotes the secondary as it is (the primary region may be gone);
 * without it AWS performs a managed, no-loss failover and refuses when that is impossible.
 */
export const rdsFailoverGlobalCluster = defineExecutor({
  type: "rds.failover-global-cluster",
  summary: "Fail an Aurora global database over to another region and wait for the new writer",
  params: z.strictObject({ ...GlobalClusterTarget, allowDataLoss: z.boolean().optional() }),
  aws: true,
  permissions: (p, scope) => globalClusterPermissions(p, scope, "rds:FailoverGlobalCluster"),
  describe: (p) =>
    `RDS FailoverGlobalCluster ${p.globalClusterIdentifier} → ${p.targetRegion}${p.allowDataLoss ? " (AllowDataLoss: writes not yet replicated are lost)" : ""}, then wait for the new writer`,
  check: checkWriter,
  async run(p, ctx) {
    const { FailoverGlobalClusterCommand } = await import("@aws-sdk/client-rds");
    return moveWriter(p, ctx, async (rds, target) => {
      await rds.send(
        new FailoverGlobalClusterCommand({
          GlobalClusterIdentifier: p.globalClusterIdentifier,
          TargetDbClusterIdentifier: target,
          ...(p.allowDataLoss ? { AllowDataLoss: true } : {}),
        }),
        { abortSignal: ctx.signal },
      );
      ctx.logger.info({ target }, "FailoverGlobalCluster accepted");
    });
  },
});

/**
 * What moving a global cluster's writer sends (src/aws/global-cluster.ts): DescribeGlobalClusters
 * and DescribeDBClusters to find and read the target, and the move itself, which IAM scopes to
 * both the global cluster and the target cluster (in the target region; `cluster:*` there unless
 * `targetClusterArn` names it).
 */
export function globalClusterPermissions(
  p: { globalClusterIdentifier: unknown; targetRegion: unknown; targetClusterArn?: unknown },
  scope: PermissionScope,
  move: "rds:FailoverGlobalCluster" | "rds:SwitchoverGlobalCluster",
): ExecutorPermissions {
  const regions = regionsOf(p.targetRegion);
  const global = resourceArn(
    "rds",
    "global-cluster",
    { GlobalCluster: p.globalClusterIdentifier },
    scope,
    undefined,
  );
  const target = isArn(p.targetClusterArn)
    ? p.targetClusterArn
    : resourceArn("rds", "cluster", {}, scope, p.targetRegion);
  const reads = [
    allow("rds:DescribeGlobalClusters", [global], regions),
    allow("rds:DescribeDBClusters", [target], regions),
  ];
  return { check: reads, run: [...reads, allow(move, [global, target], regions)] };
}
