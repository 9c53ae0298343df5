import { z } from "zod";
import { checkWriter, moveWriter } from "../src/aws/global-cluster.js";
import { defineExecutor } from "../src/executor.js";
import { GlobalClusterTarget, globalClusterPermissions } from "./rds-failover-global-cluster.js";

/** Planned switchover (no data loss) of an Aurora global database: the failback path. */
export const rdsSwitchoverGlobalCluster = defineExecutor({
  type: "rds.switchover-global-cluster",
  summary: "Switch an Aurora global database's writer to another region without data loss",
  params: z.strictObject(GlobalClusterTarget),
  aws: true,
  permissions: (p, scope) => globalClusterPermissions(p, scope, "rds:SwitchoverGlobalCluster"),
  describe: (p) =>
    `RDS SwitchoverGlobalCluster ${p.globalClusterIdentifier} → ${p.targetRegion} (no data loss), then wait for the new writer`,
  check: checkWriter,
  async run(p, ctx) {
    const { SwitchoverGlobalClusterCommand } = await import("@aws-sdk/client-rds");
    return moveWriter(p, ctx, async (rds, target) => {
      await rds.send(
        new SwitchoverGlobalClusterCommand({
          GlobalClusterIdentifier: p.globalClusterIdentifier,
          TargetDbClusterIdentifier: target,
        }),
        { abortSignal: ctx.signal },
      );
    });
  },
});
