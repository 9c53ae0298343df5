import { z } from "zod";
import { redactUrl } from "../src/db/postgres.js";
import { defineExecutor, ExecutorError } from "../src/executor.js";
import { DivergenceParams } from "../src/reconcile/divergence-spec.js";
import { measureDivergence } from "../src/reconcile/measure-divergence.js";
import { replayLostWrites } from "../src/reconcile/replay-lost-writes.js";

const PlanEntry = z.strictObject({
  table: z.string(),
  key: z.string(),
  committedAt: z.string().optional(),
  version: z.string().optional(),
});

const entryId = (e: { table: string; key: string }) => `${e.table}\u0000${e.key}`;

/**
 * Applies the replay plan a `postgres.divergence` step produced (and a person approved) to the
 * promoted database. The divergence is measured again first: what is still lost and still in
 * the approved plan is written; a lost write the plan does not hold stops the step (the data
 * moved since the approval: reconcile again), so nothing unapproved is ever written.
 */
export const postgresReplayLostWrites = defineExecutor({
  type: "postgres.replay-lost-writes",
  summary: "Upsert the approved lost writes from the old primary into the promoted database (idempotent)",
  params: DivergenceParams.extend({
    plan: z
      .array(PlanEntry)
      .describe("The divergence step's replayPlan: ${{ steps.<id>.outputs.replayPlan }}"),
  }),
  idempotent: true,
  describe: (p) =>
    `upsert the approved lost writes of ${p.tables.map((t) => t.name).join(", ")} from ${redactUrl(p.oldPrimary)} into ${redactUrl(p.promoted)} (never over a newer version)`,
  async check(p, ctx) {
    const pending = await stillToReplay(p, ctx.signal);
    return {
      inPlace: pending.approved.length === 0,
      detail: `${pending.approved.length} of the ${p.plan.length} approved writes still to replay`,
    };
  },
  async run(p, ctx) {
    const pending = await stillToReplay(p, ctx.signal);
    if (pending.unapproved.length > 0)
      throw new ExecutorError(
        `${pending.unapproved.length} lost write(s) are not in the approved plan (first: ${pending.unapproved[0]!.table} ${pending.unapproved[0]!.key}): the data changed since the reconciliation; run the divergence step again`,
        "fatal",
      );
    ctx.progress(`replaying ${pending.approved.length} writes`);
    const result = await replayLostWrites({ ...p, plan: pending.approved }, ctx.signal);
    return { applied: result.applied.length, skipped: result.skipped, planned: p.plan.length };
  },
});

async function stillToReplay(
  p: DivergenceParams & { plan: z.infer<typeof PlanEntry>[] },
  signal: AbortSignal,
) {
  const now = await measureDivergence(p, signal);
  const approved = new Set(p.plan.map(entryId));
  return {
    approved: now.replayPlan.filter((e) => approved.has(entryId(e))),
    unapproved: now.replayPlan.filter((e) => !approved.has(entryId(e))),
  };
}
