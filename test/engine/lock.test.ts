import { type ChildProcess, spawn } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { hostname, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { acquireLock, readLock } from "../../src/engine/lock.js";
import { LockHeldError, type LockHolder } from "../../src/errors.js";
import { lockPath } from "../../src/journal/paths.js";

let home: string;
const children: ChildProcess[] = [];
const NOW = new Date("2026-11-27T07:00:00.000Z");

beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), "runbook-lock-"));
});

afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  rmSync(home, { recursive: true, force: true });
});

function writeLock(runbook: string, holder: Record<string, unknown>): void {
  const path = lockPath(home, runbook);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(holder));
}

const lockFile = (runbook: string) => JSON.parse(readFileSync(lockPath(home, runbook), "utf8"));

/** A pid that certainly belonged to a process that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
  const pid = child.pid!;
  await new Promise<void>((resolve) => child.on("exit", () => resolve()));
  return pid;
}

function liveChild(): ChildProcess {
  const child = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
  children.push(child);
  return child;
}

function heldError(fn: () => unknown): LockHeldError {
  try {
    fn();
  } catch (err) {
    if (err instanceof LockHeldError) return err;
    throw err;
  }
  throw new Error("expected a LockHeldError");
}

describe("acquireLock", () => {
  it("creates the lock file naming this process and execution", () => {
    const lock = acquireLock(home, "db-failover", "exec-1", NOW);
    expect(lock.holder).toMatchObject({
      pid: process.pid,
      host: hostname(),
      executionId: "exec-1",
      since: "2026-11-27T07:00:00.000Z",
    });
    expect(lock.tookOverFrom).toBeUndefined();
    expect(lockPath(home, "db-failover")).toBe(join(home, "locks", "db-failover.lock"));
    expect(lockFile("db-failover")).toMatchObject({
      pid: process.pid,
      host: hostname(),
      executionId: "exec-1",
    });
    expect(readLock(home, "db-failover")).toEqual({
      pid: process.pid,
      host: hostname(),
      executionId: "exec-1",
      since: "2026-11-27T07:00:00.000Z",
      alive: true,
    });
    lock.release();
  });

  it("locks are per runbook", () => {
    const a = acquireLock(home, "a", "exec-a", NOW);
    const b = acquireLock(home, "b", "exec-b", NOW);
    expect(b.holder.executionId).toBe("exec-b");
    a.release();
    b.release();
  });

  it("a lock held by this live process refuses a second execution, naming the holder", () => {
    const first = acquireLock(home, "db-failover", "exec-1", NOW);
    const err = heldError(() => acquireLock(home, "db-failover", "exec-2", NOW));
    expect(err.holder).toEqual({
      pid: process.pid,
      host: hostname(),
      executionId: "exec-1",
      since: "2026-11-27T07:00:00.000Z",
    });
    expect(err.runbook).toBe("db-failover");
    expect(err.exitCode).toBe(4);
    expect(err.message).toContain(`execution exec-1, pid ${process.pid} on ${hostname()}`);
    expect(err.hint).toBe("Watch it with: runbook status exec-1");
    // The refused attempt did not disturb the holder's lock.
    expect(lockFile("db-failover").executionId).toBe("exec-1");
    first.release();
  });

  it("a lock held by another live process is refused", () => {
    const child = liveChild();
    writeLock("db-failover", {
      pid: child.pid,
      host: hostname(),
      executionId: "other",
      since: "2026-11-27T06:00:00Z",
    });
    const err = heldError(() => acquireLock(home, "db-failover", "exec-2", NOW));
    expect(err.holder.pid).toBe(child.pid);
    expect(err.message).toContain(`pid ${child.pid}`);
    expect(err.message).toContain("execution other");
    expect(readLock(home, "db-failover")?.alive).toBe(true);
  });

  it("a lock left by a dead process is taken over, and says from whom", async () => {
    const pid = await deadPid();
    const previous: LockHolder = {
      pid,
      host: hostname(),
      executionId: "crashed",
      since: "2026-11-27T06:00:00.000Z",
    };
    writeLock("db-failover", { ...previous, pidStartTime: "12345" });
    expect(readLock(home, "db-failover")?.alive).toBe(false);

    const lock = acquireLock(home, "db-failover", "exec-2", NOW);
    expect(lock.tookOverFrom).toEqual(previous);
    expect(lock.holder.executionId).toBe("exec-2");
    expect(lockFile("db-failover")).toMatchObject({ pid: process.pid, executionId: "exec-2" });
    // Nothing left behind from the takeover.
    expect(readdirSync(dirname(lockPath(home, "db-failover"))).sort()).toEqual(["db-failover.lock"]);
    lock.release();
  });

  it("a live pid that started at another time (a recycled pid) is stale", () => {
    writeLock("db-failover", {
      pid: process.pid,
      host: hostname(),
      executionId: "long-ago",
      since: "2026-11-26T00:00:00.000Z",
      pidStartTime: "1",
    });
    const lock = acquireLock(home, "db-failover", "exec-2", NOW);
    expect(lock.tookOverFrom?.executionId).toBe("long-ago");
    lock.release();
  });

  it("a lock from another host is never assumed dead", async () => {
    const pid = await deadPid();
    writeLock("db-failover", { pid, host: `not-${hostname()}`, executionId: "remote", since: "x" });
    const err = heldError(() => acquireLock(home, "db-failover", "exec-2", NOW));
    expect(err.holder).toEqual({ pid, host: `not-${hostname()}`, executionId: "remote", since: "x" });
  });

  it("a half-written lock file is taken over", () => {
    const path = lockPath(home, "db-failover");
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, '{"pid": 12');
    const lock = acquireLock(home, "db-failover", "exec-2", NOW);
    expect(lock.tookOverFrom).toBeUndefined();
    expect(lockFile("db-failover").executionId).toBe("exec-2");
    lock.release();
  });
});

describe("acquireLock under contention", () => {
  it.each([
    ["no lock", false],
    ["a stale lock", true],
  ])(
    "of processes racing for one lock (%s) at the same instant, exactly one wins",
    async (_, stale) => {
      if (stale) {
        const pid = await deadPid();
        writeLock("db-failover", {
          pid,
          host: hostname(),
          executionId: "crashed",
          since: "2026-11-27T06:00:00Z",
        });
      }
      const lockModule = new URL("../../src/engine/lock.ts", import.meta.url).href;
      const releaseFile = join(home, "release-now");
      const startAt = Date.now() + 1500;
      // Each racer spins until the same instant, then tries; the winner holds the lock until the
      // test has heard from every racer, so a late starter cannot win after an early release.
      const script = `
      const { existsSync } = await import("node:fs");
      const { acquireLock } = await import(${JSON.stringify(lockModule)});
      while (Date.now() < ${startAt}) {}
      try {
        const lock = acquireLock(${JSON.stringify(home)}, "db-failover", "racer-" + process.pid, new Date());
        console.log("won");
        const poll = setInterval(() => {
          if (existsSync(${JSON.stringify(releaseFile)})) {
            lock.release();
            clearInterval(poll);
          }
        }, 20);
      } catch (err) {
        console.log(err.constructor.name);
      }`;
      const outputs: string[] = [];
      const exits = Array.from({ length: 6 }, () => {
        const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
          stdio: ["ignore", "pipe", "inherit"],
        });
        children.push(child);
        child.stdout!.on("data", (d) => outputs.push(String(d).trim()));
        return new Promise<void>((resolve) => child.on("exit", () => resolve()));
      });
      await vi.waitFor(() => expect(outputs).toHaveLength(6), { timeout: 15_000, interval: 50 });
      writeFileSync(releaseFile, "");
      await Promise.all(exits);
      expect(outputs.filter((r) => r === "won")).toHaveLength(1);
      expect(outputs.filter((r) => r === "LockHeldError")).toHaveLength(5);
      expect(existsSync(lockPath(home, "db-failover"))).toBe(false);
      expect(readdirSync(dirname(lockPath(home, "db-failover")))).toEqual([]);
    },
    20_000,
  );
});

describe("release", () => {
  it("removes its own lock, and is safe to call twice", () => {
    const lock = acquireLock(home, "db-failover", "exec-1", NOW);
    lock.release();
    expect(existsSync(lockPath(home, "db-failover"))).toBe(false);
    expect(readLock(home, "db-failover")).toBeUndefined();
    lock.release();
    const again = acquireLock(home, "db-failover", "exec-2", NOW);
    expect(again.tookOverFrom).toBeUndefined();
    again.release();
  });

  it("never removes a lock that now belongs to someone else", () => {
    const mine = acquireLock(home, "db-failover", "exec-1", NOW);
    // Another execution took the lock over in the meantime (e.g. after we were presumed dead).
    const theirs = { pid: process.pid, host: hostname(), executionId: "exec-2", since: NOW.toISOString() };
    writeLock("db-failover", theirs);
    mine.release();
    expect(lockFile("db-failover")).toEqual(theirs);

    const child = liveChild();
    writeLock("db-failover", { ...theirs, pid: child.pid, executionId: "exec-1" });
    mine.release();
    expect(lockFile("db-failover").pid).toBe(child.pid);
  });
});
