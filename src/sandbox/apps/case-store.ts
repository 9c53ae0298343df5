import pg from "pg";
import type { DbAddress, DbCredentials } from "../postgres/postgres-server.js";

/**
 * The case-api's data: one `cases` table on whichever server is the writer. Kept apart
 * from the HTTP layer so tests and the traffic analysis can read the same table.
 */

export const CASES_SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS cases (
  id uuid PRIMARY KEY,
  region text NOT NULL,
  payload jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE TABLE IF NOT EXISTS case_api_probe (
  region text PRIMARY KEY,
  probed_at timestamptz NOT NULL
);
`;

export interface CaseRecord {
  id: string;
  region: string;
  payload: unknown;
  createdAt: string;
}

/**
 * A connection pool to the current writer. `resolveWriter` is asked before every
 * operation; when its answer changes (failover), the old pool is dropped and a new one
 * made, like an application whose writer endpoint's DNS record changed.
 */
export class WriterPool {
  private pool: pg.Pool | undefined;
  private poolKey: string | undefined;
  private schemaReady: Promise<void> | undefined;

  constructor(
    private readonly resolveWriter: () => DbAddress | Promise<DbAddress>,
    private readonly credentials: DbCredentials,
  ) {}

  /** The pool for the current writer, with the schema in place. */
  async current(): Promise<{ pool: pg.Pool; writer: DbAddress }> {
    const writer = await this.resolveWriter();
    const key = `${writer.host}:${writer.port}`;
    if (!this.pool || this.poolKey !== key) {
      void this.close();
      this.pool = new pg.Pool({
        ...writer,
        ...this.credentials,
        max: 4,
        connectionTimeoutMillis: 1_000,
        idleTimeoutMillis: 10_000,
        statement_timeout: 2_000,
        query_timeout: 3_000,
      });
      // Idle clients die when a server is fenced, stopped or restarted; that is expected.
      this.pool.on("error", () => {});
      this.poolKey = key;
      this.schemaReady = undefined;
    }
    const pool = this.pool;
    this.schemaReady ??= ensureSchema(pool).catch((error: unknown) => {
      this.schemaReady = undefined;
      throw error;
    });
    await this.schemaReady;
    return { pool, writer };
  }

  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    this.poolKey = undefined;
    await pool?.end().catch(() => {});
  }
}

/** Creates the tables only when missing: DDL would fail on a read-only (fenced) server. */
async function ensureSchema(pool: pg.Pool): Promise<void> {
  const rows = await pool.query<{ ready: boolean }>(
    "SELECT to_regclass('public.cases') IS NOT NULL AND to_regclass('public.case_api_probe') IS NOT NULL AS ready",
  );
  if (rows.rows[0]?.ready !== true) await pool.query(CASES_SCHEMA_SQL);
}

export async function insertCase(pool: pg.Pool, record: { id: string; region: string; payload: unknown }) {
  await pool.query("INSERT INTO cases (id, region, payload) VALUES ($1, $2, $3)", [
    record.id,
    record.region,
    JSON.stringify(record.payload),
  ]);
}

export async function findCase(pool: pg.Pool, id: string): Promise<CaseRecord | undefined> {
  const result = await pool.query<{ id: string; region: string; payload: unknown; created_at: Date }>(
    "SELECT id, region, payload, created_at FROM cases WHERE id = $1",
    [id],
  );
  const row = result.rows[0];
  return (
    row && { id: row.id, region: row.region, payload: row.payload, createdAt: row.created_at.toISOString() }
  );
}

/** A real write, so "deep health" means "this region can write right now". */
export async function probeWritable(pool: pg.Pool, region: string): Promise<void> {
  await pool.query(
    `INSERT INTO case_api_probe (region, probed_at) VALUES ($1, clock_timestamp())
     ON CONFLICT (region) DO UPDATE SET probed_at = excluded.probed_at`,
    [region],
  );
}

/** Every case id on the server at `address` (the "present afterwards" side of the RPO check). */
export async function listCaseIds(address: DbAddress, credentials: DbCredentials): Promise<Set<string>> {
  const client = new pg.Client({ ...address, ...credentials, connectionTimeoutMillis: 3_000 });
  client.on("error", () => {});
  await client.connect();
  try {
    const result = await client.query<{ id: string }>("SELECT id FROM cases");
    return new Set(result.rows.map((r) => r.id));
  } finally {
    await client.end().catch(() => {});
  }
}
