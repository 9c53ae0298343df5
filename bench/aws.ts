import { arcSetRoutingControls } from "../executors/arc-set-routing-controls.js";
import { rdsFailoverGlobalCluster } from "../executors/rds-failover-global-cluster.js";
import { createEmulator, InMemoryGlobalClusterBackend } from "../src/sandbox/emulator/index.js";
import { benchContext } from "./context.js";

const context = (url: string) => benchContext(url);

/** ARC flip through the executor with 2 of 5 cluster endpoints blackholed: worst of `flips` (target ≤ 3 s). */
export async function benchArcFlip(flips = 8): Promise<{ worstMs: number; medianMs: number }> {
  const emulator = await createEmulator();
  const ctx = context(emulator.url);
  try {
    await emulator.arcEndpoint(0, "blackhole");
    await emulator.arcEndpoint(1, "blackhole");
    const arn = emulator.routingControlArn(`cell-${emulator.regions[0]}`);
    const times: number[] = [];
    for (let i = 0; i < flips; i++) {
      const p = arcSetRoutingControls.params.parse({
        clusterEndpoints: emulator.arcClusterEndpoints,
        controls: [{ arn, state: i % 2 === 0 ? "Off" : "On" }],
        overrideSafetyRules: [emulator.safetyRuleArn("at-least-one-cell-on")],
      });
      const t = performance.now();
      await arcSetRoutingControls.run(p, ctx);
      times.push(performance.now() - t);
    }
    const sorted = [...times].sort((a, b) => a - b);
    return { worstMs: sorted.at(-1)!, medianMs: sorted[Math.floor(sorted.length / 2)]! };
  } finally {
    ctx.destroy();
    await emulator.close();
  }
}

/**
 * Delay between the emulator finishing a global-cluster failover (seen by a 5 ms watcher
 * on its state) and the executor noticing (its promotedAt). Target ≤ 1 s.
 */
export async function benchPromotionNotice(runs = 3): Promise<{ worstMs: number }> {
  let worst = 0;
  for (let r = 0; r < runs; r++) {
    const backend = new InMemoryGlobalClusterBackend({ regions: ["us-east-1", "us-west-2"], lagMs: 10 });
    const emulator = await createEmulator({ backend, rdsTransitionMs: 2500 + r * 700 });
    const ctx = context(emulator.url);
    try {
      let finishedAt: number | undefined;
      const watcher = setInterval(() => {
        const g = emulator.state.globalCluster;
        const writer = backend.members().find((m) => m.role === "writer")?.region;
        if (finishedAt === undefined && g?.status === "available" && writer === "us-west-2")
          finishedAt = Date.now();
      }, 5);
      const p = rdsFailoverGlobalCluster.params.parse({
        globalClusterIdentifier: "case-global",
        targetRegion: "us-west-2",
        allowDataLoss: true,
      });
      const out = await rdsFailoverGlobalCluster.run(p, ctx);
      clearInterval(watcher);
      if (finishedAt === undefined) throw new Error("the watcher never saw the failover finish");
      worst = Math.max(worst, Date.parse(out.promotedAt as string) - finishedAt);
    } finally {
      ctx.destroy();
      await emulator.close();
    }
  }
  return { worstMs: worst };
}
