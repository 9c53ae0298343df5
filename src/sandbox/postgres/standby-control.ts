import type { PostgresServer } from "./postgres-server.js";
import { poll } from "./replication-queries.js";

/**
 * Pausing and resuming a standby so that replication lag, and the data a promotion
 * loses, are real.
 *
 * `pg_wal_replay_pause()` alone would not lose anything: WAL the standby has already
 * *received* is replayed when it is promoted (promotion ends the pause and finishes
 * recovery). Cross-region lag that costs data is WAL that has not *arrived*. So pausing
 * first detaches the standby from the stream (an empty `primary_conninfo`, reloaded),
 * lets it replay what it already received, and only then pauses replay. From then on
 * "not replayed" and "not received" are the same set of writes: exactly what a
 * promotion loses.
 */
export async function pauseReplay(standby: PostgresServer): Promise<void> {
  await standby.query("ALTER SYSTEM SET primary_conninfo = ''");
  await standby.query("SELECT pg_reload_conf()");
  await poll(`${standby.name} WAL receiver stopped`, 10_000, async () => {
    const rows = await standby.query<{ n: string }>("SELECT count(*) AS n FROM pg_stat_wal_receiver");
    return rows[0]?.n === "0";
  });
  await poll(`${standby.name} replayed all received WAL`, 10_000, async () => {
    const rows = await standby.query<{ done: boolean }>(
      "SELECT coalesce(pg_last_wal_replay_lsn() >= pg_last_wal_receive_lsn(), true) AS done",
    );
    return rows[0]?.done === true;
  });
  await standby.query("SELECT pg_wal_replay_pause()");
  await poll(`${standby.name} replay paused`, 10_000, async () => {
    const rows = await standby.query<{ state: string }>("SELECT pg_get_wal_replay_pause_state() AS state");
    return rows[0]?.state === "paused";
  });
}

/** Resumes replay and re-attaches the stream (`conninfo` is the standby's usual one). */
export async function resumeReplay(standby: PostgresServer, conninfo: string): Promise<void> {
  await standby.query("SELECT pg_wal_replay_resume()");
  await standby.query(`ALTER SYSTEM SET primary_conninfo = '${conninfo.replaceAll("'", "''")}'`);
  await standby.query("SELECT pg_reload_conf()");
}

/** Promotes a standby and waits until it has left recovery. Returns how long it took. */
export async function promoteStandby(standby: PostgresServer): Promise<number> {
  const started = performance.now();
  const rows = await standby.query<{ promoted: boolean }>("SELECT pg_promote(true, 60) AS promoted");
  if (rows[0]?.promoted !== true) throw new Error(`${standby.name}: pg_promote did not complete within 60 s`);
  return performance.now() - started;
}
