import { z } from "zod";
import { withPostgres } from "../src/db/postgres.js";
import { defineExecutor } from "../src/executor.js";

/**
 * Measure the RPO of a failover from the heartbeat table the primary writes every 100 ms:
 * the last heartbeat written on the old primary minus the last one visible on the promoted
 * server. When the old primary cannot be reached (its region is down), the promotion time
 * stands in for its last heartbeat: an upper bound, so the RPO is never under-reported.
 */
const Ident = z.string().regex(/^[a-z_][a-z0-9_]*$/, { message: "a plain SQL identifier" });

export const postgresRpo = defineExecutor({
  type: "postgres.rpo",
  summary: "Measure the observed RPO from heartbeats (old primary vs promoted server)",
  params: z.strictObject({
    promoted: z.string().min(1).describe("Connection URL of the promoted server"),
    oldPrimary: z.string().min(1).optional().describe("Connection URL of the old primary, if reachable"),
    promotedAt: z
      .string()
      .optional()
      .describe("When promotion completed (ISO), e.g. ${{ steps.promote.outputs.promotedAt }}"),
    writtenBy: z
      .string()
      .optional()
      .describe("The old primary's name in the heartbeat's writer column (its cluster_name)"),
    table: Ident.optional(),
    column: Ident.optional(),
    writerColumn: Ident.optional(),
  }),
  idempotent: true,
  describe: (p) =>
    `measure RPO from ${p.table ?? "heartbeat"}.${p.column ?? "written_at"} (old primary vs promoted)`,
  async run(p, ctx) {
    // Only the old primary's heartbeats count: the promoted server writes its own afterwards.
    const col = p.column ?? "written_at";
    const [where, args] = p.writtenBy
      ? [`WHERE ${p.writerColumn ?? "written_by"} = $1`, [p.writtenBy]]
      : p.promotedAt
        ? [`WHERE ${col} <= $1`, [p.promotedAt]]
        : ["", []];
    const sql = `SELECT max(${col}) AS last FROM ${p.table ?? "heartbeat"} ${where}`;
    const lastOf = (url: string) =>
      withPostgres(url, AbortSignal.any([ctx.signal, AbortSignal.timeout(5000)]), async (c) => {
        const v = (await c.query(sql, args)).rows[0].last as Date | null;
        return v ? new Date(v) : undefined;
      });
    const visible = await lastOf(p.promoted);
    let written: Date | undefined;
    let basis = "old primary's last heartbeat";
    if (p.oldPrimary) written = await lastOf(p.oldPrimary).catch(() => undefined);
    if (!written) {
      written = p.promotedAt ? new Date(p.promotedAt) : ctx.now();
      basis = "promotion time (old primary unreachable: an upper bound)";
    }
    const rpoMs = visible ? Math.max(0, written.getTime() - visible.getTime()) : Number.NaN;
    if (Number.isNaN(rpoMs))
      throw new Error("no heartbeat visible on the promoted server; cannot measure RPO");
    ctx.measure("rpo_observed_ms", rpoMs, "ms");
    return { rpoMs, lastVisible: visible!.toISOString(), lastWritten: written.toISOString(), basis };
  },
});
