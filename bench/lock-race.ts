import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

/**
 * Rounds of the race the execution lock must never lose: a holder takes the lock and is
 * SIGKILLed, then `racers` processes try to take it over at the same instant. Each winner
 * holds it until every racer has answered, so two winners in one round are two holders at
 * once. Used by the lock test (a few rounds) and by `npm run bench -- lock` (1,000).
 *
 * The lock module is bundled once to a plain .mjs so each killed holder is a bare `node`
 * start (~50 ms) rather than a TypeScript loader's.
 */

export interface RaceResult {
  rounds: number;
  /** Rounds in which more than one racer held the lock. */
  doubleWins: number;
  /** Rounds in which nobody won (a takeover that failed). */
  noWins: number;
  /** Rounds whose winner did not name the killed holder as the one it took over from. */
  takeoverUnnamed: number;
  msPerRound: number;
}

const repo = join(dirname(fileURLToPath(import.meta.url)), "..");

const RACER = `
import { createInterface } from "node:readline";
const { acquireLockFile } = await import(process.argv[2]);
const path = process.argv[3];
let held;
const say = (s) => process.stdout.write(s + "\\n");
createInterface({ input: process.stdin }).on("line", (line) => {
  const [cmd, round, at] = line.split(" ");
  if (cmd === "go") {
    while (Date.now() < Number(at)) {}
    try {
      held = acquireLockFile(path, "racer-" + process.pid, new Date(), (h) => Object.assign(new Error("held"), { h }));
      say("won " + round + " " + (held.tookOverFrom?.executionId ?? "-"));
    } catch (err) {
      say((err.message === "held" ? "held " : "error ") + round + " " + String(err.message).replace(/\\s+/g, "_"));
    }
  } else if (cmd === "release") {
    held?.release();
    held = undefined;
    say("released " + round);
  }
});`;

const HOLDER = `
const { acquireLockFile } = await import(process.argv[2]);
acquireLockFile(process.argv[3], process.argv[4], new Date(), () => new Error("held"));
process.stdout.write("held\\n");
setInterval(() => {}, 60_000);`;

export async function raceForStaleLock(opts: { rounds: number; racers?: number }): Promise<RaceResult> {
  const racers = opts.racers ?? 5;
  // Inside the repository, so the bundle's require("fs-ext") finds node_modules.
  const cacheDir = join(repo, "node_modules", ".cache");
  mkdirSync(cacheDir, { recursive: true });
  const dir = mkdtempSync(join(cacheDir, "lock-race-"));
  const children: ChildProcess[] = [];
  try {
    const lockModule = join(dir, "lock.mjs");
    await build({
      entryPoints: [join(repo, "src", "engine", "lock.ts")],
      outfile: lockModule,
      bundle: true,
      format: "esm",
      platform: "node",
      packages: "external",
      logLevel: "warning",
    });
    writeFileSync(join(dir, "racer.mjs"), RACER);
    writeFileSync(join(dir, "holder.mjs"), HOLDER);
    const lockFile = join(dir, "locks", "race.lock");
    const replies: string[] = [];
    let onReply = () => {};
    const pool = Array.from({ length: racers }, () => {
      const child = spawn(process.execPath, [join(dir, "racer.mjs"), lockModule, lockFile], {
        stdio: ["pipe", "pipe", "inherit"],
      });
      children.push(child);
      createInterface({ input: child.stdout! }).on("line", (line) => {
        replies.push(line);
        onReply();
      });
      return child;
    });
    const awaitReplies = (n: number) =>
      new Promise<void>((resolve) => {
        onReply = () => {
          if (replies.length >= n) resolve();
        };
        onReply();
      });
    const result: RaceResult = {
      rounds: opts.rounds,
      doubleWins: 0,
      noWins: 0,
      takeoverUnnamed: 0,
      msPerRound: 0,
    };
    const started = performance.now();
    for (let round = 0; round < opts.rounds; round++) {
      const victim = `killed-${round}`;
      await killedHolder(dir, lockModule, lockFile, victim);
      replies.length = 0;
      const at = Date.now() + 40;
      for (const racer of pool) racer.stdin!.write(`go ${round} ${at}\n`);
      await awaitReplies(racers);
      const won = replies.filter((r) => r.startsWith("won "));
      const errors = replies.filter((r) => r.startsWith("error "));
      if (errors.length) throw new Error(`racers failed: ${errors.join("; ")}`);
      if (won.length > 1) result.doubleWins++;
      if (won.length === 0) result.noWins++;
      if (won.length === 1 && won[0]!.split(" ")[2] !== victim) result.takeoverUnnamed++;
      replies.length = 0;
      for (const racer of pool) racer.stdin!.write(`release ${round}\n`);
      await awaitReplies(racers);
    }
    result.msPerRound = (performance.now() - started) / opts.rounds;
    return result;
  } finally {
    for (const c of children) c.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A process that takes the lock, then dies holding it, as a SIGKILLed engine would. */
async function killedHolder(dir: string, lockModule: string, lockFile: string, executionId: string) {
  const child = spawn(process.execPath, [join(dir, "holder.mjs"), lockModule, lockFile, executionId], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once("data", () => resolve());
    child.once("exit", (code) => reject(new Error(`the holder exited (${code}) before taking the lock`)));
  });
  child.kill("SIGKILL");
  await exited;
}
