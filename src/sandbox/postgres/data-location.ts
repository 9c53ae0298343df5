import { createHash } from "node:crypto";
import { readlinkSync, rmSync } from "node:fs";
import { chmod, mkdir, readlink, rm, symlink, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { postgresUserCanEnter } from "./postgres-os-user.js";
import { mkdirEnterable, reachableCacheRoot } from "./reachable-cache.js";

/**
 * Where a sandbox's PostgreSQL data directories and their logs live. Normally in the
 * sandbox's own folder (`<home>/sandbox/pg-a`, `pg-a.log`, …). When the `postgres` OS
 * user cannot enter that folder (a checkout under /root, mode 0700, run as root), they
 * go to `<cache>/sandboxes/<hash of the folder's absolute path>/` instead, so two
 * checkouts never collide, and the sandbox folder holds a symlink `postgres-data` to it:
 * every reader (`sandbox down`, cleanup, someone reading the logs) finds them from there.
 */

const POINTER = "postgres-data";

/**
 * The folder to put the data directories in, created and enterable by the postgres user;
 * relocated (and the pointer written) only when `baseDir` itself cannot be.
 */
export async function prepareDataRoot(baseDir: string): Promise<string> {
  await mkdir(baseDir, { recursive: true });
  // Test temp dirs (and a umask of 077) make it 0700: the servers' user must enter it.
  await chmod(baseDir, 0o755);
  if (await postgresUserCanEnter(baseDir)) {
    await removeRelocatedData(baseDir);
    return baseDir;
  }
  const root = join(await reachableCacheRoot(), "sandboxes", folderNameFor(baseDir));
  await mkdirEnterable(join(root, ".."));
  await mkdirEnterable(root);
  // For whoever finds the folder in /var/cache: whose it is.
  await writeFile(join(root, "sandbox-dir"), `${resolve(baseDir)}\n`);
  const pointer = join(baseDir, POINTER);
  if ((await relocatedDataRoot(baseDir)) !== root) {
    await rm(pointer, { force: true });
    await symlink(root, pointer);
  }
  return root;
}

function folderNameFor(baseDir: string): string {
  return createHash("sha256").update(resolve(baseDir)).digest("hex").slice(0, 16);
}

/**
 * The relocated folder named by `baseDir`'s pointer, if there is one. A pointer to
 * anything but this sandbox's own folder name is ignored: it gets removed recursively.
 */
export async function relocatedDataRoot(baseDir: string): Promise<string | undefined> {
  const target = await readlink(join(baseDir, POINTER)).catch(() => undefined);
  return target !== undefined && isRelocationOf(baseDir, target) ? target : undefined;
}

function isRelocationOf(baseDir: string, target: string): boolean {
  return target.endsWith(`/sandboxes/${folderNameFor(baseDir)}`);
}

/** Where the data directories are now: the relocated folder, or `baseDir` itself. */
export async function currentDataRoot(baseDir: string): Promise<string> {
  return (await relocatedDataRoot(baseDir)) ?? baseDir;
}

/**
 * Removes the relocated folder and its pointer (nothing when the data lives in `baseDir`:
 * there the next start wipes it, as it always has). Only once no server runs on it.
 */
export async function removeRelocatedData(baseDir: string): Promise<void> {
  const root = await relocatedDataRoot(baseDir);
  if (root === undefined) return;
  await rm(root, { recursive: true, force: true });
  await rm(join(baseDir, POINTER), { force: true });
}

/** The same from a process `exit` handler, after the servers were stopped synchronously. */
export function removeRelocatedDataSync(baseDir: string): void {
  const pointer = join(baseDir, POINTER);
  let root: string;
  try {
    root = readlinkSync(pointer);
  } catch {
    return;
  }
  if (!isRelocationOf(baseDir, root)) return;
  rmSync(root, { recursive: true, force: true });
  rmSync(pointer, { force: true });
}
