import { z } from "zod";
import {
  clusterEndpoint,
  describeGlobal,
  isDone,
  resolveTarget,
  waitForWriter,
} from "../src/aws/global-cluster.js";
import { defineExecutor } from "../src/executor.js";
import { GlobalClusterTarget } from "./rds-failover-global-cluster.js";

/** Planned switchover (no data loss) of an Aurora global database: the failback path. */
export const rdsSwitchoverGlobalCluster = defineExecutor({
  type: "rds.switchover-global-cluster",
  summary: "Switch an Aurora global database's writer to another region without data loss",
  params: z.strictObject(GlobalClusterTarget),
  aws: true,
  describe: (p) =>
    `RDS SwitchoverGlobalCluster ${p.globalClusterIdentifier} → ${p.targetRegion} (no data loss), then wait for the new writer`,
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
    const { SwitchoverGlobalClusterCommand } = await import("@aws-sdk/client-rds");
    const rds = await ctx.aws.client("rds", p.targetRegion);
    const view = await describeGlobal(rds, p.globalClusterIdentifier, ctx.signal);
    const target = resolveTarget(view, {
      region: p.targetRegion,
      ...(p.targetClusterArn ? { clusterArn: p.targetClusterArn } : {}),
    });
    const underWay = view.failover?.toArn === target && view.status !== "available";
    if (!underWay && !isDone(view, target)) {
      await rds.send(
        new SwitchoverGlobalClusterCommand({
          GlobalClusterIdentifier: p.globalClusterIdentifier,
          TargetDbClusterIdentifier: target,
        }),
        { abortSignal: ctx.signal },
      );
    }
    const promotedAt = await waitForWriter(rds, p.globalClusterIdentifier, target, ctx.signal, (s) =>
      ctx.logger.info({ status: s }, "waiting for the switchover"),
    );
    ctx.milestone("db_promoted", promotedAt);
    return {
      writerClusterArn: target,
      writerEndpoint: await clusterEndpoint(rds, target, ctx.signal),
      promotedAt: promotedAt.toISOString(),
    };
  },
});
