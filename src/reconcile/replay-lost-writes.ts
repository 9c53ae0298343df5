import type { Client } from "pg";
import { withPostgres } from "../db/postgres.js";
import type { ReconciledTable } from "./divergence-spec.js";
import { quoteIdent } from "./divergence-spec.js";
import type { DivergenceReport } from "./measure-divergence.js";

/**
 * Applies lost writes to the promoted database: each row is read whole from the old primary
 * and upserted, one transaction per table. The upsert only replaces an older version (its
 * updated-at or version column lower), so a key written in the new region since the
 * reconciliation is left alone, and a second run changes nothing: idempotent by the data,
 * not by bookkeeping.
 */

export type ReplayEntry = DivergenceReport["replayPlan"][number];

export interface ReplayResult {
  applied: { table: string; key: string }[];
  /** In the plan but not written: a newer version is in the promoted database, or the row is gone. */
  skipped: { table: string; key: string; reason: string }[];
}

export async function replayLostWrites(
  p: { oldPrimary: string; promoted: string; tables: ReconciledTable[]; plan: ReplayEntry[] },
  signal: AbortSignal,
): Promise<ReplayResult> {
  const result: ReplayResult = { applied: [], skipped: [] };
  if (p.plan.length === 0) return result;
  return withPostgres(p.oldPrimary, signal, (old) =>
    withPostgres(p.promoted, signal, async (promoted) => {
      await old.query("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY");
      for (const spec of p.tables) {
        const keys = p.plan.filter((e) => e.table === spec.name).map((e) => e.key);
        if (keys.length === 0) continue;
        const rows = await rowsOf(old, spec, keys);
        const written = rows.length > 0 ? await upsert(promoted, spec, rows) : new Set<string>();
        for (const key of keys) {
          if (written.has(key)) result.applied.push({ table: spec.name, key });
          else
            result.skipped.push({
              table: spec.name,
              key,
              reason: rows.some((r) => r.key === key)
                ? "a newer version is in the promoted database"
                : "no longer on the old primary",
            });
        }
      }
      return result;
    }),
  );
}

async function rowsOf(old: Client, spec: ReconciledTable, keys: string[]) {
  const found = await old.query<{ k: string; row: string }>(
    `SELECT ${quoteIdent(spec.key)}::text AS k, row_to_json(t)::text AS row
       FROM ${quoteIdent(spec.name)} AS t WHERE ${quoteIdent(spec.key)}::text = ANY($1::text[])`,
    [keys],
  );
  return found.rows.map((r) => ({ key: r.k, row: JSON.parse(r.row) as Record<string, unknown> }));
}

async function upsert(
  promoted: Client,
  spec: ReconciledTable,
  rows: { key: string; row: Record<string, unknown> }[],
): Promise<Set<string>> {
  const columns = Object.keys(rows[0]!.row).map(quoteIdent);
  const key = quoteIdent(spec.key);
  const newer = quoteIdent(spec.updatedAt ?? spec.version!);
  const table = quoteIdent(spec.name);
  const assignments = columns.filter((c) => c !== key);
  const update =
    assignments.length > 0
      ? `DO UPDATE SET (${assignments.join(", ")}) = ROW(${assignments.map((c) => `excluded.${c}`).join(", ")})
           WHERE target.${newer} < excluded.${newer}`
      : "DO NOTHING";
  await promoted.query("BEGIN");
  try {
    const done = await promoted.query<{ k: string }>(
      `INSERT INTO ${table} AS target (${columns.join(", ")})
         SELECT ${columns.join(", ")} FROM json_populate_recordset(NULL::${table}, $1::json)
         ON CONFLICT (${key}) ${update}
         RETURNING target.${key}::text AS k`,
      [JSON.stringify(rows.map((r) => r.row))],
    );
    await promoted.query("COMMIT");
    return new Set(done.rows.map((r) => r.k));
  } catch (err) {
    await promoted.query("ROLLBACK").catch(() => undefined);
    throw err;
  }
}
