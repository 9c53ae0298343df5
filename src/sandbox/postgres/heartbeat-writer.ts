import pg from "pg";
import type { DbAddress, DbCredentials } from "./postgres-server.js";

/**
 * Writes a row into `heartbeat` on the current primary every `intervalMs` (100 ms).
 * The heartbeat is how replication lag and lost writes are measured for real: the
 * newest heartbeat on the primary versus the newest one visible on the standby.
 *
 * Each row names the server that wrote it (`written_by`, its `cluster_name`), so after a
 * failover the old primary's last heartbeat can be compared with the last of its
 * heartbeats the promoted server received: the RPO, measured.
 *
 * It follows whichever server is the writer (`writer()` is asked on every tick), like an
 * application behind a writer endpoint. It never overrides the write fence, so a fenced
 * server stops receiving heartbeats exactly as it stops receiving application writes.
 */

export const HEARTBEAT_SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS heartbeat (
  id bigserial PRIMARY KEY,
  written_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  written_by text NOT NULL DEFAULT current_setting('cluster_name')
);
CREATE INDEX IF NOT EXISTS heartbeat_written_at ON heartbeat (written_at);
CREATE INDEX IF NOT EXISTS heartbeat_written_by_at ON heartbeat (written_by, written_at);
`;

export interface HeartbeatStats {
  written: number;
  failed: number;
  lastWrittenAt?: Date;
  lastError?: string;
}

export class HeartbeatWriter {
  private timer: NodeJS.Timeout | undefined;
  private client: pg.Client | undefined;
  private clientKey: string | undefined;
  private busy = false;
  private readonly counters: HeartbeatStats = { written: 0, failed: 0 };

  constructor(
    private readonly writer: () => DbAddress | undefined,
    private readonly credentials: DbCredentials,
    private readonly intervalMs = 100,
  ) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.tick(), this.intervalMs);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    while (this.busy) await new Promise((resolve) => setTimeout(resolve, 10));
    await this.disconnect();
  }

  stats(): HeartbeatStats {
    return { ...this.counters };
  }

  private async tick(): Promise<void> {
    // A slow write (server restarting) must not pile up concurrent writes behind it.
    if (this.busy) return;
    this.busy = true;
    try {
      const target = this.writer();
      if (!target) return;
      const client = await this.connectTo(target);
      const result = await client.query<{ written_at: Date }>(
        "INSERT INTO heartbeat DEFAULT VALUES RETURNING written_at",
      );
      this.counters.written++;
      const writtenAt = result.rows[0]?.written_at;
      if (writtenAt) this.counters.lastWrittenAt = writtenAt;
    } catch (error) {
      this.counters.failed++;
      this.counters.lastError = error instanceof Error ? error.message : String(error);
      // Reconnect next time: the server may have been restarted, fenced or promoted.
      await this.disconnect();
    } finally {
      this.busy = false;
    }
  }

  private async connectTo(target: DbAddress): Promise<pg.Client> {
    const key = `${target.host}:${target.port}`;
    if (this.client && this.clientKey === key) return this.client;
    await this.disconnect();
    const client = new pg.Client({
      ...target,
      ...this.credentials,
      connectionTimeoutMillis: 1_000,
      statement_timeout: 2_000,
      query_timeout: 2_500,
    });
    client.on("error", () => {
      if (this.client === client) void this.disconnect();
    });
    await client.connect();
    this.client = client;
    this.clientKey = key;
    return client;
  }

  private async disconnect(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.clientKey = undefined;
    await client?.end().catch(() => {});
  }
}
