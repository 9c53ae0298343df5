import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { raceForStaleLock } from "../../bench/lock-race.js";
import { acquireLock, readLock } from "../../src/engine/lock.js";
import { LockHeldError } from "../../src/errors.js";
import { lockPath } from "../../src/journal/paths.js";

let home: string;
const children: ChildProcess[] = [];
/** Commands the holders started, which outlive them. */
const grandchildren: number[] = [];
const NOW = new Date("2026-11-27T07:00:00.000Z");
const lockModule = new URL("../../src/engine/lock.ts", import.meta.url).href;

beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), "runbook-lock-"));
});

afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  for (const pid of grandchildren.splice(0)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // Already gone.
    }
  }
  rmSync(home, { recursive: true, force: true });
});

function writeLockContent(runbook: string, content: string): void {
  const path = lockPath(home, runbook);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
}

const lockFile = (runbook: string) => readFileSync(lockPath(home, runbook), "utf8");

/**
 * Another process that takes the lock through the real module and says so; with `spawnChild`
 * it first starts a long-lived command of its own, as an engine running an exec step does.
 */
async function otherHolder(runbook: string, executionId: string, spawnChild = false): Promise<ChildProcess> {
  const script = `
    const { spawn } = await import("node:child_process");
    const { acquireLock } = await import(${JSON.stringify(lockModule)});
    acquireLock(${JSON.stringify(home)}, ${JSON.stringify(runbook)}, ${JSON.stringify(executionId)}, new Date("2026-11-27T06:00:00.000Z"));
    if (${spawnChild}) {
      const c = spawn("sleep", ["30"], { detached: true, stdio: "ignore" });
      console.log("child " + c.pid);
    }
    console.log("held");
    setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  children.push(child);
  await new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on("line", (line) => {
      if (line.startsWith("child ")) grandchildren.push(Number(line.slice(6)));
      if (line === "held") resolve();
    });
    child.once("exit", (code) => reject(new Error(`holder exited ${code}`)));
  });
  return child;
}

async function sigkill(child: ChildProcess): Promise<void> {
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGKILL");
  await exited;
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
  it("takes the lock and names this process and execution in it", () => {
    const lock = acquireLock(home, "db-failover", "exec-1", NOW);
    const me = {
      pid: process.pid,
      host: hostname(),
      executionId: "exec-1",
      since: "2026-11-27T07:00:00.000Z",
    };
    expect(lock.holder).toEqual(me);
    expect(lock.tookOverFrom).toBeUndefined();
    expect(lockPath(home, "db-failover")).toBe(join(home, "locks", "db-failover.lock"));
    expect(JSON.parse(lockFile("db-failover"))).toEqual(me);
    expect(readLock(home, "db-failover")).toEqual({ ...me, alive: true });
    lock.release();
  });

  it("locks are per runbook", () => {
    const a = acquireLock(home, "a", "exec-a", NOW);
    const b = acquireLock(home, "b", "exec-b", NOW);
    expect(b.holder.executionId).toBe("exec-b");
    a.release();
    b.release();
  });

  it("a second execution in the same process is refused, naming the holder, and the holder keeps it", () => {
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
    expect(JSON.parse(lockFile("db-failover")).executionId).toBe("exec-1");
    expect(readLock(home, "db-failover")?.alive).toBe(true);
    first.release();
  });

  it("a lock held by another live process is refused, and status sees it alive", async () => {
    const other = await otherHolder("db-failover", "other");
    const err = heldError(() => acquireLock(home, "db-failover", "exec-2", NOW));
    expect(err.holder).toMatchObject({ pid: other.pid, executionId: "other" });
    expect(err.message).toContain(`pid ${other.pid}`);
    expect(readLock(home, "db-failover")).toMatchObject({ pid: other.pid, alive: true });
  });

  it("the lock of a SIGKILLed holder is free at once, and the taker names whom it took over from", async () => {
    const other = await otherHolder("db-failover", "crashed");
    await sigkill(other);
    // The kernel released it; the file still names the dead holder.
    expect(readLock(home, "db-failover")).toMatchObject({ executionId: "crashed", alive: false });
    const lock = acquireLock(home, "db-failover", "exec-2", NOW);
    expect(lock.tookOverFrom).toEqual({
      pid: other.pid,
      host: hostname(),
      executionId: "crashed",
      since: "2026-11-27T06:00:00.000Z",
    });
    expect(JSON.parse(lockFile("db-failover"))).toMatchObject({ pid: process.pid, executionId: "exec-2" });
    expect(readdirSync(dirname(lockPath(home, "db-failover")))).toEqual(["db-failover.lock"]);
    lock.release();
  });

  it("a command the killed engine started does not keep its lock", async () => {
    const other = await otherHolder("db-failover", "crashed", true);
    await sigkill(other);
    // `sleep 30` is still running, started by the holder: it must not have inherited the lock.
    const lock = acquireLock(home, "db-failover", "exec-2", NOW);
    expect(lock.tookOverFrom?.executionId).toBe("crashed");
    lock.release();
  });

  it("a file naming a live process that holds no kernel lock (written by hand) is taken over", () => {
    const holder = { pid: process.pid, host: hostname(), executionId: "by-hand", since: "x" };
    writeLockContent("db-failover", JSON.stringify(holder));
    expect(readLock(home, "db-failover")).toEqual({ ...holder, alive: false });
    const lock = acquireLock(home, "db-failover", "exec-2", NOW);
    expect(lock.tookOverFrom).toEqual(holder);
    lock.release();
  });

  it("a half-written lock file names nobody and is taken", () => {
    writeLockContent("db-failover", '{"pid": 12');
    const lock = acquireLock(home, "db-failover", "exec-2", NOW);
    expect(lock.tookOverFrom).toBeUndefined();
    expect(JSON.parse(lockFile("db-failover")).executionId).toBe("exec-2");
    lock.release();
  });
});

describe("acquireLock under contention", () => {
  it("of 6 processes racing for a free lock at the same instant, exactly one wins", async () => {
    const releaseFile = join(home, "release-now");
    const startAt = Date.now() + 1500;
    const script = `
      const { existsSync } = await import("node:fs");
      const { acquireLock } = await import(${JSON.stringify(lockModule)});
      while (Date.now() < ${startAt}) {}
      try {
        const lock = acquireLock(${JSON.stringify(home)}, "db-failover", "racer-" + process.pid, new Date());
        console.log("won");
        const poll = setInterval(() => {
          if (existsSync(${JSON.stringify(releaseFile)})) { lock.release(); clearInterval(poll); }
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
    expect(readLock(home, "db-failover")).toBeUndefined();
  }, 20_000);

  it("5 processes racing for the lock of a SIGKILLed holder: one winner every round (30 rounds; 1,000 in npm run bench -- lock)", async () => {
    const r = await raceForStaleLock({ rounds: 30 });
    expect(r).toMatchObject({ rounds: 30, doubleWins: 0, noWins: 0, takeoverUnnamed: 0 });
  }, 60_000);
});

describe("release", () => {
  it("empties the lock, is safe to call twice, and the next taker took over from nobody", () => {
    const lock = acquireLock(home, "db-failover", "exec-1", NOW);
    lock.release();
    expect(lockFile("db-failover")).toBe("");
    expect(readLock(home, "db-failover")).toBeUndefined();
    lock.release();
    const again = acquireLock(home, "db-failover", "exec-2", NOW);
    expect(again.tookOverFrom).toBeUndefined();
    again.release();
  });
});
