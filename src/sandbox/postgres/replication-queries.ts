import { type PostgresServer, sleep } from "./postgres-server.js";

/**
 * Read-only questions about a primary/standby pair, answered from PostgreSQL itself.
 * Everything here is measured, never assumed: the lag is the age difference between the
 * newest heartbeat on the primary and the newest one the standby has replayed.
 */

/** Short enough for a once-a-second metric sampler, long enough for a loaded 2-core box. */
const LAG_QUERY_CONNECT_TIMEOUT_MS = 2_000;

const LATEST_HEARTBEAT_SQL = "SELECT max(written_at) AS at FROM heartbeat";

/** Newest heartbeat visible on `server`, or undefined (no heartbeat yet, or no table). */
export async function latestHeartbeatAt(
  server: PostgresServer,
  connectTimeoutMs = LAG_QUERY_CONNECT_TIMEOUT_MS,
): Promise<Date | undefined> {
  const rows = await server.query<{ at: Date | null }>(LATEST_HEARTBEAT_SQL, [], connectTimeoutMs);
  return rows[0]?.at ?? undefined;
}

/**
 * Replay lag of `standby` behind `primary`, in ms.
 *
 * First the primary's WAL position and newest heartbeat, then the standby's replay
 * position: if the standby has replayed everything the primary had written at that
 * moment, the lag is 0. Otherwise it is how much older the standby's newest heartbeat is
 * than the primary's, so it grows by ~1 s per second while replay is stalled (resolution:
 * the heartbeat interval).
 */
export async function replayLagMs(primary: PostgresServer, standby: PostgresServer): Promise<number> {
  const primaryRows = await primary.query<{ lsn: string; at: Date | null }>(
    `SELECT pg_current_wal_lsn()::text AS lsn, (${LATEST_HEARTBEAT_SQL}) AS at`,
    [],
    LAG_QUERY_CONNECT_TIMEOUT_MS,
  );
  const primaryState = primaryRows[0];
  if (!primaryState) throw new Error("primary returned no WAL position");
  const standbyRows = await standby.query<{ caught_up: boolean; at: Date | null }>(
    `SELECT coalesce(pg_last_wal_replay_lsn() >= $1::pg_lsn, false) AS caught_up, (${LATEST_HEARTBEAT_SQL}) AS at`,
    [primaryState.lsn],
    LAG_QUERY_CONNECT_TIMEOUT_MS,
  );
  const standbyState = standbyRows[0];
  if (!standbyState) throw new Error("standby returned no replay position");
  if (standbyState.caught_up) return 0;
  if (!primaryState.at) return 0;
  if (!standbyState.at) return Date.now() - primaryState.at.getTime();
  return Math.max(0, primaryState.at.getTime() - standbyState.at.getTime());
}

/**
 * Writes lost by a failover, as time: the newest heartbeat `oldPrimary` wrote, minus the
 * newest of *its* heartbeats that `promoted` has. Needs the old primary reachable (after a
 * region-down failover: once it is back, fenced, and before it is rebuilt).
 */
export async function heartbeatRpoMs(oldPrimary: PostgresServer, promoted: PostgresServer): Promise<number> {
  const sql = "SELECT max(written_at) AS at FROM heartbeat WHERE written_by = $1";
  const [onOld, onPromoted] = await Promise.all([
    oldPrimary.query<{ at: Date | null }>(sql, [oldPrimary.name], LAG_QUERY_CONNECT_TIMEOUT_MS),
    promoted.query<{ at: Date | null }>(sql, [oldPrimary.name], LAG_QUERY_CONNECT_TIMEOUT_MS),
  ]);
  const lastWritten = onOld[0]?.at;
  if (!lastWritten) return 0;
  const lastReceived = onPromoted[0]?.at;
  if (!lastReceived) throw new Error(`${promoted.name} has no heartbeat from ${oldPrimary.name}`);
  return Math.max(0, lastWritten.getTime() - lastReceived.getTime());
}

/** Waits until `primary` reports a walsender streaming to `applicationName`. */
export async function waitForStreaming(
  primary: PostgresServer,
  applicationName: string,
  timeoutMs = 30_000,
): Promise<void> {
  await poll(`${applicationName} streaming from ${primary.name}`, timeoutMs, async () => {
    const rows = await primary.query<{ state: string }>(
      "SELECT state FROM pg_stat_replication WHERE application_name = $1",
      [applicationName],
    );
    return rows.some((r) => r.state === "streaming");
  });
}

/** Waits until `standby` has replayed everything `primary` had written when this was called. */
export async function waitForReplayCatchUp(
  primary: PostgresServer,
  standby: PostgresServer,
  timeoutMs = 30_000,
): Promise<void> {
  const rows = await primary.query<{ lsn: string }>("SELECT pg_current_wal_lsn()::text AS lsn");
  const target = rows[0]?.lsn;
  if (!target) throw new Error("primary returned no WAL position");
  await poll(`${standby.name} replaying up to ${target}`, timeoutMs, async () => {
    const replayed = await standby.query<{ ok: boolean }>(
      "SELECT coalesce(pg_last_wal_replay_lsn() >= $1::pg_lsn, false) AS ok",
      [target],
    );
    return replayed[0]?.ok === true;
  });
}

/** Repeats `check` every 50 ms until it returns true; errors count as "not yet". */
export async function poll(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      if (await check()) return;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const detail = lastError instanceof Error ? ` (last error: ${lastError.message})` : "";
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${detail}`);
    }
    await sleep(50);
  }
}
