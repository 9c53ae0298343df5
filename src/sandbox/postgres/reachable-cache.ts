import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmod, lstat, mkdir, rename, rm, stat } from "node:fs/promises";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { postgresUserCanEnter } from "./postgres-os-user.js";

/**
 * A cache folder the project owns that the `postgres` OS user can reach, for what it
 * cannot reach where it is: a checkout under a private folder (/root/…, mode 0700) holds
 * both the bundled binaries and the sandbox's data directories, and containers and cloud
 * shells run exactly like that, as root.
 */

const execFileAsync = promisify(execFile);

/** Where the cache may go, in order: the FHS place for it, else the temp dir (a read-only /var). */
function defaultCacheCandidates(): string[] {
  return ["/var/cache/runbook", join(tmpdir(), `runbook-cache-${userInfo().uid}`)];
}

let cacheRoot: Promise<string> | undefined;

/** The first candidate we can create, that only we can write to, and that the postgres user can enter. */
export function reachableCacheRoot(): Promise<string> {
  cacheRoot ??= (async () => {
    const refused: string[] = [];
    for (const dir of defaultCacheCandidates()) {
      const why = await unusableReason(dir);
      if (why === undefined) return dir;
      refused.push(`${dir}: ${why}`);
    }
    throw new Error(`no cache folder the postgres OS user can reach (${refused.join("; ")})`);
  })();
  cacheRoot.catch(() => {
    cacheRoot = undefined;
  });
  return cacheRoot;
}

async function unusableReason(dir: string): Promise<string | undefined> {
  try {
    await mkdir(dir, { recursive: true, mode: 0o755 });
    const info = await lstat(dir);
    // We run what is copied here as root's servers' user: a folder someone else planted
    // (a predictable name in /tmp) or can write to must not be trusted.
    if (!info.isDirectory()) return "not a directory";
    if (info.uid !== userInfo().uid) return `owned by uid ${info.uid}`;
    // Ours: writable by us alone, enterable by all (a umask of 077 would have made it 0700).
    await chmod(dir, 0o755);
  } catch (error) {
    return (error as Error).message;
  }
  return (await postgresUserCanEnter(dir)) ? undefined : "the postgres OS user cannot enter it";
}

/**
 * `source` (a directory) copied once to `<cache>/<group>/<key>` and made readable by
 * everyone: `cp -a` (symlinks, modes and times kept) to a temporary name, then renamed
 * into place, so a process racing us either wins or finds the whole copy, never half.
 * Returns the copy's path and whether this call made it.
 */
export async function reachableCopyOf(
  source: string,
  group: string,
  key: string,
  root?: string,
): Promise<{ path: string; copied: boolean }> {
  const parent = join(root ?? (await reachableCacheRoot()), group);
  const path = join(parent, key);
  if (await isDirectory(path)) return { path, copied: false };
  await mkdirEnterable(parent);
  const temporary = join(parent, `.${key}.${process.pid}.${randomBytes(4).toString("hex")}.partial`);
  try {
    await execFileAsync("cp", ["-a", source, temporary]);
    // A private checkout may come from a umask of 077: its files readable by root alone.
    // Symlinks met on the way are left alone (chmod -R does not follow them).
    await execFileAsync("chmod", ["-R", "go+rX,go-w", temporary]);
    await rename(temporary, path);
    return { path, copied: true };
  } catch (error) {
    await rm(temporary, { recursive: true, force: true });
    // Renaming onto a directory another process put there first fails: use theirs.
    if (await isDirectory(path)) return { path, copied: false };
    throw new Error(`could not copy ${source} to ${path}: ${(error as Error).message}`);
  }
}

/** `mkdir -p`, then 0755 whatever the umask: the postgres user must be able to enter it. */
export async function mkdirEnterable(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await chmod(dir, 0o755);
}

async function isDirectory(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isDirectory(),
    () => false,
  );
}
