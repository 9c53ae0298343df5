import { rm } from "node:fs/promises";
import { join } from "node:path";
import { makeStandbyFrom } from "./base-backup.js";
import { prepareDataRoot } from "./data-location.js";
import { sameOrFreeLoopbackPort } from "./free-port.js";
import { HEARTBEAT_SCHEMA_SQL } from "./heartbeat-writer.js";
import { postgresBinaries } from "./postgres-binaries.js";
import { type DbCredentials, PostgresServer } from "./postgres-server.js";
import { waitForStreaming } from "./replication-queries.js";

/** How long bringing up a fresh pair took, by phase (ms). The whole `sandbox up` budget is 20 s. */
export interface PairStartTimings {
  initialiseMs: number;
  primaryStartMs: number;
  baseBackupMs: number;
  standbyStartMs: number;
  streamingMs: number;
  totalMs: number;
  /** Copying the binaries to a cache the postgres OS user can reach, if this process did (postgres-binaries.ts). */
  binariesCopyMs?: number;
}

/**
 * From nothing to a streaming pair: initdb the primary, start it, create the heartbeat
 * table and the application's role, base-backup it into the standby's directory, start the standby, and wait until
 * the primary reports it streaming. Any previous data directories are wiped: a sandbox
 * always starts from a known state.
 */
export async function bootstrapPair(
  primary: PostgresServer,
  standby: PostgresServer,
  app: DbCredentials,
): Promise<PairStartTimings> {
  const t0 = performance.now();
  const { copyMs } = await postgresBinaries();
  await Promise.all([
    rm(primary.dataDir, { recursive: true, force: true }),
    rm(standby.dataDir, { recursive: true, force: true }),
  ]);

  await primary.initialise();
  const t1 = performance.now();
  await primary.start();
  await primary.query(HEARTBEAT_SCHEMA_SQL);
  await createAppRole(primary, app);
  const t2 = performance.now();
  await makeStandbyFrom(primary, standby);
  const t3 = performance.now();
  await standby.start();
  const t4 = performance.now();
  await waitForStreaming(primary, standby.name);
  const t5 = performance.now();
  return {
    initialiseMs: Math.round(t1 - t0),
    primaryStartMs: Math.round(t2 - t1),
    baseBackupMs: Math.round(t3 - t2),
    standbyStartMs: Math.round(t4 - t3),
    streamingMs: Math.round(t5 - t4),
    totalMs: Math.round(t5 - t0),
    ...(copyMs === undefined ? {} : { binariesCopyMs: copyMs }),
  };
}

/**
 * Region A's and region B's servers, each on a free port (`previous` ones again when they are
 * free): `pg-a/` and `pg-b/` and their logs under `baseDir`, or where data-location.ts
 * relocates them when the postgres OS user cannot enter `baseDir`.
 */
export async function newServerPair(
  baseDir: string,
  credentials: DbCredentials,
  previous?: readonly [number, number],
): Promise<[PostgresServer, PostgresServer]> {
  const dataRoot = await prepareDataRoot(baseDir);
  const portA = await sameOrFreeLoopbackPort(previous?.[0]);
  let portB = await sameOrFreeLoopbackPort(previous?.[1]);
  while (portB === portA) portB = await sameOrFreeLoopbackPort(undefined);
  const server = (name: string, port: number) =>
    new PostgresServer({
      name,
      dataDir: join(dataRoot, name),
      logFile: join(dataRoot, `${name}.log`),
      port,
      credentials,
    });
  return [server("pg-a", portA), server("pg-b", portB)];
}

/** The application's login role, allowed to create its tables in `public`. */
async function createAppRole(primary: PostgresServer, app: DbCredentials): Promise<void> {
  const rows = await primary.query<{ sql: string }>(
    "SELECT format('CREATE ROLE %I LOGIN PASSWORD %L', $1::text, $2::text) AS sql",
    [app.user, app.password],
  );
  const sql = rows[0]?.sql;
  if (!sql) throw new Error("could not build CREATE ROLE");
  await primary.query(sql);
  const grant = await primary.query<{ sql: string }>(
    "SELECT format('GRANT USAGE, CREATE ON SCHEMA public TO %I', $1::text) AS sql",
    [app.user],
  );
  await primary.query(grant[0]?.sql ?? "");
  // Runbooks measure RPO from the heartbeats with the application's login: reading is enough.
  const read = await primary.query<{ sql: string }>(
    "SELECT format('GRANT SELECT ON heartbeat TO %I', $1::text) AS sql",
    [app.user],
  );
  await primary.query(read[0]?.sql ?? "");
}
