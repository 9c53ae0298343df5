import type { PostgresServer } from "./postgres-server.js";
import { poll } from "./replication-queries.js";

/**
 * Fencing an old primary: it stays up but stops accepting writes.
 *
 * Why read-only rather than stopping it: this is what a managed global database does to
 * a demoted writer (it keeps serving, read-only), so clients still pointed at the old
 * region get a fast, explicit "read-only transaction" error instead of a timeout, and the
 * old primary stays observable (its last heartbeat is half of the RPO measurement).
 * Stopping is still available as a fault (`stopRegion`).
 *
 * How: `default_transaction_read_only = on` persisted with ALTER SYSTEM (so a restart
 * keeps the fence), a config reload, then every other client session is terminated so
 * no transaction begun before the fence can still commit. A session could override the
 * default on purpose; the sandbox's applications never do, only its admin sessions.
 */
export async function fenceWrites(server: PostgresServer): Promise<void> {
  await server.query("ALTER SYSTEM SET default_transaction_read_only = on");
  await server.query("SELECT pg_reload_conf()");
  // The reload is asynchronous: wait until a fresh application session sees the fence
  // before cutting the existing ones, so no new writer slips in between.
  await poll(`${server.name} read-only`, 10_000, async () => {
    const client = server.client();
    await client.connect();
    try {
      const rows = await client.query<{ ro: string }>(
        "SELECT current_setting('default_transaction_read_only') AS ro",
      );
      return rows.rows[0]?.ro === "on";
    } finally {
      await client.end().catch(() => {});
    }
  });
  await terminateClientSessions(server);
}

/** The fence of a server that is down: written to its config so it starts fenced. */
export async function fenceStoppedServer(server: PostgresServer): Promise<void> {
  await server.appendSetting("default_transaction_read_only = 'on'");
}

/** Lifts the fence (a server that becomes the writer again must accept writes). */
export async function unfenceWrites(server: PostgresServer): Promise<void> {
  await server.query("ALTER SYSTEM RESET default_transaction_read_only");
  await server.query("SELECT pg_reload_conf()");
}

export async function terminateClientSessions(server: PostgresServer): Promise<number> {
  const rows = await server.query<{ terminated: boolean }>(
    `SELECT pg_terminate_backend(pid) AS terminated FROM pg_stat_activity
      WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()`,
  );
  return rows.filter((r) => r.terminated).length;
}

/** Whether an application session on `server` may write. */
export async function acceptsWrites(server: PostgresServer): Promise<boolean> {
  const client = server.client({ connectTimeoutMs: 3_000 });
  await client.connect();
  try {
    const rows = await client.query<{ writable: boolean }>(
      "SELECT NOT pg_is_in_recovery() AND current_setting('transaction_read_only') = 'off' AS writable",
    );
    return rows.rows[0]?.writable === true;
  } finally {
    await client.end().catch(() => {});
  }
}
