import { z } from "zod";
import { redactUrl, withPostgres } from "../src/db/postgres.js";
import { defineExecutor, ExecutorError } from "../src/executor.js";

/** Promote a PostgreSQL standby (pg_promote) and wait until it accepts writes. */
export const postgresPromote = defineExecutor({
  type: "postgres.promote",
  summary: "Promote a PostgreSQL streaming standby to primary (pg_promote)",
  params: z.strictObject({ connection: z.string().min(1), waitSeconds: z.number().int().min(1).optional() }),
  describe: (p) => `pg_promote() on ${redactUrl(p.connection)}`,
  async check(p, ctx) {
    const inRecovery = await withPostgres(
      p.connection,
      ctx.signal,
      async (c) => (await c.query("SELECT pg_is_in_recovery() AS r")).rows[0].r,
    );
    return { inPlace: !inRecovery, detail: inRecovery ? "still a standby" : "already a primary" };
  },
  async run(p, ctx) {
    const promoted = await withPostgres(p.connection, ctx.signal, async (c) => {
      const r = await c.query("SELECT pg_promote(true, $1) AS ok", [p.waitSeconds ?? 60]);
      return r.rows[0].ok as boolean;
    });
    if (!promoted)
      throw new ExecutorError(`pg_promote did not finish within ${p.waitSeconds ?? 60} s`, "retryable");
    const at = ctx.now();
    ctx.milestone("db_promoted", at);
    return { promotedAt: at.toISOString() };
  },
});
