import { z } from "zod";
import { redactUrl, withPostgres } from "../src/db/postgres.js";
import { defineExecutor, ExecutorError } from "../src/executor.js";

/** Run a read-only query and assert on its result: a pre-check or a validation. */
export const postgresQuery = defineExecutor({
  type: "postgres.query",
  summary: "Run a SQL query (read-only) and assert on the first value or the row count",
  params: z.strictObject({
    connection: z
      .string()
      .min(1)
      .describe("postgres://user:password@host:port/db (use ${{ env.X }} for the password)"),
    sql: z.string().min(1),
    expect: z
      .strictObject({
        rows: z.number().int().optional(),
        minRows: z.number().int().optional(),
        equals: z
          .union([z.string(), z.number(), z.boolean()])
          .optional()
          .describe("The first column of the first row"),
      })
      .optional(),
  }),
  idempotent: true,
  readOnly: true,
  describe: (p) =>
    `SQL on ${redactUrl(p.connection)}: ${p.sql}${p.expect ? ` expecting ${JSON.stringify(p.expect)}` : ""}`,
  async run(p, ctx) {
    return withPostgres(p.connection, ctx.signal, async (client) => {
      await client.query("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY");
      const r = await client.query(p.sql);
      const first = r.rows[0] ? Object.values(r.rows[0])[0] : undefined;
      const e = p.expect;
      if (e?.rows !== undefined && r.rowCount !== e.rows)
        throw new ExecutorError(`expected ${e.rows} rows, got ${r.rowCount}`, "retryable");
      if (e?.minRows !== undefined && (r.rowCount ?? 0) < e.minRows)
        throw new ExecutorError(`expected at least ${e.minRows} rows, got ${r.rowCount}`, "retryable");
      if (e?.equals !== undefined && String(first) !== String(e.equals)) {
        throw new ExecutorError(
          `expected ${JSON.stringify(e.equals)}, got ${JSON.stringify(first)}`,
          "retryable",
        );
      }
      return { rowCount: r.rowCount ?? 0, value: first ?? null, rows: r.rows.slice(0, 20) };
    });
  },
});
