import { linkSync, mkdirSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { dirname } from "node:path";
import { LockHeldError, type LockHolder, type RunbookError } from "../errors.js";
import { lockPath } from "../journal/paths.js";

/**
 * One execution per runbook at a time. The lock file names its holder; a holder that is
 * no longer alive on this host is stale and may be taken over (the caller journals it).
 * The holder's process start time guards against a recycled pid looking alive.
 */

export interface HeldLock {
  holder: LockHolder;
  /** The dead holder this lock replaced, if any. */
  tookOverFrom?: LockHolder;
  release(): void;
}

interface LockFile extends LockHolder {
  pidStartTime?: string;
}

export function acquireLock(home: string, runbook: string, executionId: string, now: Date): HeldLock {
  return acquireLockFile(
    lockPath(home, runbook),
    executionId,
    now,
    (holder) => new LockHeldError(runbook, holder),
  );
}

/**
 * The same guarantee for anything else that must run once per host (a drill scheduler):
 * `executionId` names what the holder runs; `held` is the error when a live holder has it.
 */
export function acquireLockFile(
  path: string,
  executionId: string,
  now: Date,
  held: (holder: LockHolder) => RunbookError,
): HeldLock {
  mkdirSync(dirname(path), { recursive: true });
  const mine: LockFile = {
    pid: process.pid,
    host: hostname(),
    executionId,
    since: now.toISOString(),
    ...(processStartTime(process.pid) ? { pidStartTime: processStartTime(process.pid) } : {}),
  };
  let tookOverFrom: LockHolder | undefined;
  for (let tries = 0; tries < 3; tries++) {
    // Written whole beside it, then linked into place (which fails if the lock exists): no
    // reader ever sees a lock half-written by a live process and takes it for a stale one.
    const draft = `${path}.${process.pid}.draft`;
    writeFileSync(draft, JSON.stringify(mine));
    try {
      linkSync(draft, path);
      return {
        holder: mine,
        ...(tookOverFrom ? { tookOverFrom } : {}),
        release: () => releaseIfMine(path, mine),
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    } finally {
      rmSync(draft, { force: true });
    }
    const current = readHolder(path);
    if (current && isAlive(current)) throw held(strip(current));
    // Stale: move it aside atomically so two takers cannot both win, then retry the create.
    const aside = `${path}.stale-${process.pid}`;
    try {
      renameSync(path, aside);
    } catch {
      continue; // Someone else moved it first; the next round sees their lock.
    }
    // Between the look and the move another taker may have put its own, live lock there:
    // judge what was actually moved, and put a live lock back.
    const moved = readHolder(aside);
    if (moved && isAlive(moved)) {
      try {
        linkSync(aside, path);
      } catch {
        // A third process got in meanwhile; the next round sees and judges its lock.
      }
      rmSync(aside, { force: true });
      continue;
    }
    rmSync(aside, { force: true });
    if (moved) tookOverFrom = strip(moved);
  }
  const current = readHolder(path);
  throw held(current ? strip(current) : { pid: 0, host: "?", executionId: "?", since: "?" });
}

export function readLock(home: string, runbook: string): (LockHolder & { alive: boolean }) | undefined {
  const current = readHolder(lockPath(home, runbook));
  return current ? { ...strip(current), alive: isAlive(current) } : undefined;
}

function strip(l: LockFile): LockHolder {
  return { pid: l.pid, host: l.host, executionId: l.executionId, since: l.since };
}

function readHolder(path: string): LockFile | undefined {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as LockFile;
  } catch {
    return undefined; // missing, or not JSON (edited by hand): treated as stale
  }
}

function releaseIfMine(path: string, mine: LockFile): void {
  const current = readHolder(path);
  if (current && current.pid === mine.pid && current.executionId === mine.executionId) {
    try {
      unlinkSync(path);
    } catch {
      // Already gone.
    }
  }
}

function isAlive(l: LockFile): boolean {
  // Another host's process cannot be checked from here; only a human can say it is dead.
  if (l.host !== hostname()) return true;
  try {
    process.kill(l.pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
  const started = processStartTime(l.pid);
  return !(l.pidStartTime && started && started !== l.pidStartTime);
}

/** Field 22 of /proc/<pid>/stat: start time in clock ticks since boot (Linux only). */
function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}
