import { existsSync, readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { sandboxDir, supervisorPidPath } from "../endpoints.js";
import { currentDataRoot, removeRelocatedData } from "../postgres/data-location.js";
import { postgresBinaries, stopServerSync } from "../postgres/postgres-binaries.js";
import { postmastersFor } from "../postgres/postgres-processes.js";

/**
 * The supervisor seen from another process (`runbook sandbox down`, `status`, …): its
 * pid file, whether it is alive, and the last-resort cleanup of PostgreSQL servers a
 * killed supervisor could not stop itself.
 */

/** The pid in `<home>/sandbox/supervisor.pid`, if the file exists and holds one. */
export async function readSupervisorPid(home: string): Promise<number | undefined> {
  let text: string;
  try {
    text = await readFile(supervisorPidPath(home), "utf8");
  } catch {
    return undefined;
  }
  const pid = Number.parseInt(text.trim(), 10);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** Alive, and (where /proc tells) still a node process: a recycled pid is not our supervisor. */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
  const cmdline = `/proc/${pid}/cmdline`;
  if (!existsSync(cmdline)) return true;
  try {
    const args = readFileSync(cmdline, "utf8");
    return args.includes("node") || args.includes("runbook");
  } catch {
    return true;
  }
}

export async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isProcessAlive(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return true;
}

/** The data directories the supervisor's PostgresPair uses (relocated ones included: data-location.ts). */
export async function sandboxDataDirs(home: string): Promise<string[]> {
  const root = await currentDataRoot(sandboxDir(home));
  return [join(root, "pg-a"), join(root, "pg-b")];
}

/** Postmasters still running on this sandbox's data directories. */
export async function leftoverPostmasters(home: string): Promise<number[]> {
  const found = await Promise.all((await sandboxDataDirs(home)).map((dir) => postmastersFor(dir)));
  return found.flat().map((p) => p.pid);
}

/**
 * Stops PostgreSQL servers left on this sandbox's directories (a supervisor killed with
 * SIGKILL cannot stop them: pg_ctl daemonised them), then removes data it had relocated
 * to the cache. Returns how many servers there were.
 */
export async function stopLeftoverPostmasters(home: string): Promise<number> {
  const before = await leftoverPostmasters(home);
  if (before.length > 0) {
    await postgresBinaries(); // resolves the OS user too: stopServerSync needs both
    for (const dir of await sandboxDataDirs(home)) stopServerSync(dir);
    for (const pid of await leftoverPostmasters(home)) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
  }
  if ((await leftoverPostmasters(home)).length === 0) await removeRelocatedData(sandboxDir(home));
  return before.length;
}
