import { z } from "zod";
import { redactUrl, withPostgres } from "../src/db/postgres.js";
import { defineExecutor } from "../src/executor.js";

/**
 * Fence writes on a PostgreSQL primary: new transactions default to read-only (persisted,
 * so a restart keeps the fence) and existing client sessions are ended, so nothing begun
 * before the fence can still commit.
 */
export const postgresFence = defineExecutor({
  type: "postgres.fence",
  summary: "Stop a PostgreSQL primary from accepting writes (read-only default + end sessions)",
  params: z.strictObject({ connection: z.string().min(1) }),
  describe: (p) =>
    `fence writes on ${redactUrl(p.connection)} (default_transaction_read_only = on, end client sessions)`,
  async check(p, ctx) {
    const ro = await withPostgres(
      p.connection,
      ctx.signal,
      async (c) =>
        (await c.query("SHOW default_transaction_read_only")).rows[0].default_transaction_read_only,
    );
    return { inPlace: ro === "on", detail: `default_transaction_read_only = ${ro}` };
  },
  async run(p, ctx) {
    const ended = await withPostgres(p.connection, ctx.signal, async (c) => {
      await c.query("ALTER SYSTEM SET default_transaction_read_only = on");
      await c.query("SELECT pg_reload_conf()");
      // The reload is asynchronous; give the postmaster a moment before cutting sessions.
      await new Promise((r) => setTimeout(r, 200));
      const r = await c.query(
        "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) AS n FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()",
      );
      return Number(r.rows[0].n);
    });
    ctx.milestone("writes_fenced");
    return { sessionsEnded: ended };
  },
});
