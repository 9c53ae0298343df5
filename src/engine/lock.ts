import {
  closeSync,
  constants,
  fdatasyncSync,
  fstatSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readSync,
  statSync,
  writeSync,
} from "node:fs";
import { createRequire } from "node:module";
import { hostname } from "node:os";
import { dirname } from "node:path";
import { InstallationError, LockHeldError, type LockHolder, type RunbookError } from "../errors.js";
import { lockPath } from "../journal/paths.js";

/**
 * One execution per runbook at a time, held by the kernel: an exclusive flock(2) on the lock
 * file, kept for the life of the engine. The OS drops it the moment the holder exits or is
 * SIGKILLed, so nothing judges staleness and there is no takeover race to lose: two engines
 * cannot both hold it. The file's content only names the holder (for `status` and the "held
 * by" error). A clean release empties it; content found by the next taker is a holder that
 * died holding the lock, which the engine journals as taken over.
 *
 * The file is never deleted: unlinking a flock'd file lets a late opener lock the old inode
 * while a newcomer locks a new one. Node opens files close-on-exec, so the commands an
 * engine starts do not inherit the lock and a killed engine's lock is free at once.
 */

export interface HeldLock {
  holder: LockHolder;
  /** The holder that died with the lock held, if any. */
  tookOverFrom?: LockHolder;
  release(): void;
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
 * A probe by `readLock` holds a shared lock for microseconds; a taker that meets one tries
 * again for this long before calling the lock held.
 */
const CONTENDED_RETRY_MS = 100;

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
  const mine: LockHolder = { pid: process.pid, host: hostname(), executionId, since: now.toISOString() };
  const deadline = Date.now() + CONTENDED_RETRY_MS;
  for (;;) {
    const fd = openSync(path, constants.O_RDWR | constants.O_CREAT, 0o644);
    if (!tryFlock(fd, "exnb")) {
      closeSync(fd);
      if (Date.now() < deadline) {
        sleepSync(5);
        continue;
      }
      throw held(readHolder(path) ?? UNNAMED);
    }
    // Locked an inode someone deleted meanwhile (by hand): the lock others see is the new file.
    if (!sameFile(fd, path)) {
      closeSync(fd);
      continue;
    }
    const previous = parseHolder(readAll(fd));
    ftruncateSync(fd, 0);
    writeSync(fd, JSON.stringify(mine), 0);
    fdatasyncSync(fd);
    let released = false;
    return {
      holder: mine,
      ...(previous ? { tookOverFrom: previous } : {}),
      release: () => {
        if (released) return;
        released = true;
        ftruncateSync(fd, 0);
        flock(fd, "un");
        closeSync(fd);
      },
    };
  }
}

/** Who holds a runbook's lock, and whether the kernel says it is held right now. */
export function readLock(home: string, runbook: string): (LockHolder & { alive: boolean }) | undefined {
  return readLockFile(lockPath(home, runbook));
}

export function readLockFile(path: string): (LockHolder & { alive: boolean }) | undefined {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY);
  } catch {
    return undefined;
  }
  try {
    const holder = parseHolder(readAll(fd));
    // A shared lock is granted only while nobody holds the exclusive one.
    const free = tryFlock(fd, "shnb");
    if (free) flock(fd, "un");
    if (!holder) return free ? undefined : { ...UNNAMED, alive: true };
    return { ...holder, alive: !free };
  } finally {
    closeSync(fd);
  }
}

const UNNAMED: LockHolder = { pid: 0, host: "?", executionId: "(not yet named)", since: "?" };

function readHolder(path: string): LockHolder | undefined {
  const found = readLockFile(path);
  if (!found) return undefined;
  const { alive: _, ...holder } = found;
  return holder;
}

function parseHolder(text: string): LockHolder | undefined {
  if (!text.trim()) return undefined;
  try {
    const l = JSON.parse(text) as Partial<LockHolder>;
    if (typeof l.pid !== "number" || typeof l.executionId !== "string") return undefined;
    return {
      pid: l.pid,
      host: String(l.host ?? "?"),
      executionId: l.executionId,
      since: String(l.since ?? "?"),
    };
  } catch {
    return undefined; // not JSON (edited by hand): nobody to name
  }
}

function readAll(fd: number): string {
  const buf = Buffer.alloc(4096);
  const n = readSync(fd, buf, 0, buf.length, 0);
  return buf.subarray(0, n).toString("utf8");
}

function sameFile(fd: number, path: string): boolean {
  try {
    const open = fstatSync(fd);
    const named = statSync(path);
    return open.ino === named.ino && open.dev === named.dev;
  } catch {
    return false;
  }
}

type FlockMode = "exnb" | "shnb" | "un";

interface FsExt {
  flockSync(fd: number, flags: FlockMode): void;
}
let fsExt: FsExt | undefined;

function flock(fd: number, mode: FlockMode): void {
  fsExt ??= loadFsExt();
  fsExt.flockSync(fd, mode);
}

/** false when another open file holds a conflicting lock. */
function tryFlock(fd: number, mode: "exnb" | "shnb"): boolean {
  try {
    flock(fd, mode);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "EAGAIN" || code === "EWOULDBLOCK") return false;
    throw err;
  }
}

function loadFsExt(): FsExt {
  try {
    // A native addon (flock(2) itself); loaded on first use so `--version` never pays for it.
    return createRequire(import.meta.url)("fs-ext") as FsExt;
  } catch (err) {
    throw new InstallationError(
      `the execution lock needs the native module fs-ext, which did not load: ${(err as Error).message.split("\n")[0]}`,
      `It is built for one Node.js version at install time; after changing Node.js run: npm rebuild fs-ext (node ${process.version})`,
    );
  }
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
