import { z } from "zod";
import { checkWriter, moveWriter } from "../src/aws/global-cluster.js";
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
