import { redactUrl } from "../src/db/postgres.js";
import { defineExecutor } from "../src/executor.js";
import { DivergenceParams } from "../src/reconcile/divergence-spec.js";
import { describeDivergence } from "../src/reconcile/divergence-summary.js";
import { measureDivergence } from "../src/reconcile/measure-divergence.js";

/**
 * Before a failback rebuilds the old primary as a standby (which wipes it): what did it
 * commit that the promoted database never received? Exact RPO, the lost writes key by key,
 * the ones the new region has written again since (conflicts), and a replay plan for the
 * rest that `postgres.replay-lost-writes` applies, behind a gate. Only reads.
 */
export const postgresDivergence = defineExecutor({
  type: "postgres.divergence",
  summary:
    "Diff the recovered old primary against the promoted database: exact RPO, lost writes, replay plan",
  params: DivergenceParams,
  idempotent: true,
  readOnly: true,
  describe: (p) =>
    `compare ${p.tables.map((t) => t.name).join(", ")} on ${redactUrl(p.oldPrimary)} (old primary) with ${redactUrl(p.promoted)} after the last replicated heartbeat`,
  async run(p, ctx) {
    ctx.progress(`reading ${redactUrl(p.oldPrimary)} and ${redactUrl(p.promoted)}`);
    const report = await measureDivergence(p, ctx.signal);
    ctx.measure("rpo_reconciled_ms", report.rpoMs, "ms");
    return {
      summary: describeDivergence(report),
      rpoMs: report.rpoMs,
      lastCommittedAt: report.lastCommittedAt,
      lastReplicatedAt: report.lastReplicatedAt,
      heartbeat: report.heartbeat,
      tables: report.tables,
      lostWrites: report.lostWrites.length,
      conflicts: report.lostWrites.filter((w) => w.conflict),
      replayCount: report.replayPlan.length,
      replayPlan: report.replayPlan,
    };
  },
});
