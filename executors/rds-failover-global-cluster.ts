import { z } from "zod";
import {
  clusterEndpoint,
  describeGlobal,
  isDone,
  resolveTarget,
  waitForWriter,
} from "../src/aws/global-cluster.js";
import { defineExecutor } from "../src/executor.js";

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
  describe: (p) =>
    `RDS FailoverGlobalCluster ${p.globalClusterIdentifier} → ${p.targetRegion}${p.allowDataLoss ? " (AllowDataLoss: writes not yet replicated are lost)" : ""}, then wait for the new writer`,
  async check(p, ctx) {
    const rds = await ctx.aws.client("rds", p.targetRegion);
    const view = await describeGlobal(rds, p.globalClusterIdentifier, ctx.signal);
    const target = resolveTarget(view, {
      region: p.targetRegion,
      ...(p.targetClusterArn ? { clusterArn: p.targetClusterArn } : {}),
    });
    if (!isDone(view, target))
      return { inPlace: false, detail: `writer is ${view.writerArn ?? "none"}, status ${view.status}` };
    return {
      inPlace: true,
      detail: `${target} is already the writer`,
      outputs: { writerClusterArn: target, writerEndpoint: await clusterEndpoint(rds, target, ctx.signal) },
    };
  },
  async run(p, ctx) {
    const { FailoverGlobalClusterCommand } = await import("@aws-sdk/client-rds");
    const rds = await ctx.aws.client("rds", p.targetRegion);
    const view = await describeGlobal(rds, p.globalClusterIdentifier, ctx.signal);
    const target = resolveTarget(view, {
      region: p.targetRegion,
      ...(p.targetClusterArn ? { clusterArn: p.targetClusterArn } : {}),
    });
    // A failover towards our target already under way (started before a crash) is waited for, not started again.
    const underWay = view.failover?.toArn === target && view.status !== "available";
    if (!underWay && !isDone(view, target)) {
      await rds.send(
        new FailoverGlobalClusterCommand({
          GlobalClusterIdentifier: p.globalClusterIdentifier,
          TargetDbClusterIdentifier: target,
          ...(p.allowDataLoss ? { AllowDataLoss: true } : {}),
        }),
        { abortSignal: ctx.signal },
      );
      ctx.logger.info({ target }, "FailoverGlobalCluster accepted");
    }
    const promotedAt = await waitForWriter(rds, p.globalClusterIdentifier, target, ctx.signal, (s) =>
      ctx.logger.info({ status: s }, "waiting for the new writer"),
    );
    ctx.milestone("db_promoted", promotedAt);
    return {
      writerClusterArn: target,
      writerEndpoint: await clusterEndpoint(rds, target, ctx.signal),
      promotedAt: promotedAt.toISOString(),
      alreadyUnderWay: underWay,
    };
  },
});
