import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import {
  closeSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { join, resolve } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { z } from "zod";
import { defineExecutor, type ExecutorContext, fatal, retryable } from "../src/executor.js";
import { type OutputSink, startOutputSink } from "./exec-sink.js";
import { sleep } from "./wait.js";

const Command = z.union([z.array(z.string()).min(1), z.string().min(1)]);
const MAX_OUTPUT = 64 * 1024;
/**
 * Before a command starts, a fresh token is written to this file in the step's scratch dir and
 * given to the command in its environment. A resumed engine waits while any process still
 * carries it. A pid would only be known after the start, and an engine killed in between
 * would leave a promotion running untracked, to be run a second time.
 */
const RUNNING_FILE = "running.token";
const TOKEN_VAR = "RUNBOOK_EXEC_TOKEN";
/** Also in the output sink's environment: a resume names the command it waits for, not its sink. */
const SINK_VAR = "RUNBOOK_EXEC_SINK";

const params = z.strictObject({
  command: Command.describe("argv array (no shell), or a string run by /bin/sh -c"),
  env: z.record(z.string(), z.string()).optional(),
  cwd: z.string().optional(),
  expectExit: z.union([z.number().int(), z.array(z.number().int()).min(1)]).optional(),
  /** Filled from the step's `check:`; a read-only command whose exit 0 means "already done". */
  check: z
    .strictObject({
      command: Command,
      env: z.record(z.string(), z.string()).optional(),
      cwd: z.string().optional(),
    })
    .optional(),
});

export const exec = defineExecutor({
  type: "exec",
  summary: "Run a command; optional check command tells whether its effect is already in place",
  params,
  describe: (p) => `run ${show(p.command)}${p.check ? ` (unless ${show(p.check.command)} exits 0)` : ""}`,
  async check(p, ctx) {
    // A command started before a crash may still be running: its effect is not settled yet.
    const orphan = await waitForOrphan(ctx, p.command);
    if (!p.check) return undefined;
    const r = await runProcess(p.check.command, {
      cwd: resolve(ctx.cwd, p.check.cwd ?? p.cwd ?? "."),
      env: { ...ctx.env, ...p.env, ...p.check.env },
      signal: ctx.signal,
    });
    const waited = orphan
      ? `, after waiting ${(orphan.waitedMs / 1000).toFixed(1)}s for pid ${orphan.pid}, started by the engine that was stopped, to finish`
      : "";
    return {
      inPlace: r.exitCode === 0,
      detail: `check ${show(p.check.command)} exited ${r.exitCode}${waited}`,
      outputs: { stdout: r.stdout, exitCode: 0 },
    };
  },
  async run(p, ctx) {
    await waitForOrphan(ctx, p.command);
    const r = await runProcess(p.command, {
      cwd: resolve(ctx.cwd, p.cwd ?? "."),
      env: { ...ctx.env, ...p.env },
      signal: ctx.signal,
      workDir: ctx.scratchDir,
      secrets: ctx.secrets?.() ?? [],
    });
    const expected = p.expectExit === undefined ? [0] : [p.expectExit].flat();
    if (!expected.includes(r.exitCode)) {
      const tail = (r.stderr || r.stdout).trim().split("\n").slice(-3).join(" | ");
      const message = `${show(p.command)} exited ${r.exitCode}${r.signal ? ` (${r.signal})` : ""}, expected ${expected.join(" or ")}${tail ? `: ${tail}` : ""}`;
      // A command that could not start will not start on a retry either.
      throw r.exitCode === 127 ? fatal(message) : retryable(message);
    }
    return { stdout: r.stdout, exitCode: r.exitCode };
  },
});

function show(command: string[] | string): string {
  return Array.isArray(command) ? command.join(" ") : `sh -c "${command}"`;
}

interface ProcessResult {
  exitCode: number;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * With `workDir`, output goes to files there and the command carries a token: it outlives a
 * crashed engine without dying of a broken pipe, and resume can wait for it to finish. When the
 * run has secrets, the files are written by a sink that masks them (`exec-sink.ts`), which
 * carries the same token.
 */
async function runProcess(
  command: string[] | string,
  opts: {
    cwd: string;
    env: Record<string, string | undefined>;
    signal: AbortSignal;
    workDir?: string;
    secrets?: readonly string[];
  },
): Promise<ProcessResult> {
  const [file, ...args] = Array.isArray(command) ? command : ["/bin/sh", "-c", command];
  if (opts.signal.aborted) throw opts.signal.reason;
  const token = randomUUID();
  let outFd: number | undefined;
  let errFd: number | undefined;
  let sink: OutputSink | undefined;
  if (opts.workDir) {
    mkdirSync(opts.workDir, { recursive: true });
    writeFileSync(join(opts.workDir, RUNNING_FILE), token);
    if (opts.secrets?.length) {
      try {
        sink = await startOutputSink(opts.workDir, opts.secrets, { [TOKEN_VAR]: token, [SINK_VAR]: "1" });
      } catch (e) {
        rmSync(join(opts.workDir, RUNNING_FILE), { force: true });
        throw fatal(`could not start what masks secrets in the command's output: ${(e as Error).message}`);
      }
      outFd = sink.stdout;
      errFd = sink.stderr;
      if (opts.signal.aborted) {
        closeSync(outFd);
        closeSync(errFd);
        rmSync(join(opts.workDir, RUNNING_FILE), { force: true });
        throw opts.signal.reason;
      }
    } else {
      outFd = openSync(join(opts.workDir, "stdout.log"), "w");
      errFd = openSync(join(opts.workDir, "stderr.log"), "w");
    }
  }
  return new Promise((resolvePromise, reject) => {
    // Own process group, so a timeout or abort stops the whole tree the command started.
    const child = spawn(file!, args, {
      cwd: opts.cwd,
      env: opts.workDir ? { ...opts.env, [TOKEN_VAR]: token } : opts.env,
      stdio: ["ignore", outFd ?? "pipe", errFd ?? "pipe"],
      detached: true,
    });
    if (outFd !== undefined) closeSync(outFd);
    if (errFd !== undefined) closeSync(errFd);
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (d: Buffer) => {
      if (stdout.length < MAX_OUTPUT) stdout += d.toString();
    });
    child.stderr?.on("data", (d: Buffer) => {
      if (stderr.length < MAX_OUTPUT) stderr += d.toString();
    });
    let killTimer: NodeJS.Timeout | undefined;
    const onAbort = () => {
      killGroup(child.pid, "SIGTERM");
      killTimer = setTimeout(() => killGroup(child.pid, "SIGKILL"), 5000);
    };
    opts.signal.addEventListener("abort", onAbort, { once: true });
    let notFound = false;
    child.on("error", (err: NodeJS.ErrnoException) => {
      if (err.code === "ENOENT") notFound = true;
      else {
        opts.signal.removeEventListener("abort", onAbort);
        reject(err);
      }
    });
    child.on("close", async (code, signal) => {
      opts.signal.removeEventListener("abort", onAbort);
      if (killTimer) clearTimeout(killTimer);
      const sinkCode = sink ? await outputWritten(sink, `${TOKEN_VAR}=${token}`, opts.workDir!) : 0;
      if (opts.workDir) {
        rmSync(join(opts.workDir, RUNNING_FILE), { force: true });
        stdout = readHead(join(opts.workDir, "stdout.log"));
        stderr = readHead(join(opts.workDir, "stderr.log"));
      }
      if (opts.signal.aborted) return reject(opts.signal.reason);
      if (notFound)
        return resolvePromise({ exitCode: 127, signal: null, stdout, stderr: `${file}: not found` });
      if (sinkCode !== undefined && sinkCode !== 0)
        stderr += "\n(the output sink failed: the output above may be incomplete)";
      resolvePromise({
        exitCode: code ?? 128,
        signal,
        stdout: stdout.slice(0, MAX_OUTPUT).trimEnd(),
        stderr,
      });
    });
  });
}

/**
 * Waits for the sink to write the last of the command's output, and returns its exit code. It
 * ends as soon as every writer of its pipes is gone, normally right after the command. A process
 * the command left running in the background (it carries the token) may hold them for long: as
 * when output went straight to files, the step ends with the command, once the sink is reading
 * and the files have stopped growing; what that process writes later still reaches them, masked.
 */
async function outputWritten(sink: OutputSink, entry: string, workDir: string): Promise<number | undefined> {
  let size = -1;
  for (;;) {
    // Not a timer that keeps the engine alive: the sink does, until it has finished or is released.
    const code = await Promise.race([sink.finished, delay(200, undefined, { ref: false })]);
    if (code !== undefined) return code;
    const now = outputSize(workDir);
    if (sink.reading() && now === size && processesCarrying(entry).some((p) => !p.sink)) {
      sink.release();
      return undefined;
    }
    size = now;
  }
}

function outputSize(workDir: string): number {
  return ["stdout.log", "stderr.log"].reduce(
    (n, f) => n + (statSync(join(workDir, f), { throwIfNoEntry: false })?.size ?? 0),
    0,
  );
}

function readHead(path: string): string {
  try {
    return readFileSync(path, "utf8").slice(0, MAX_OUTPUT);
  } catch {
    return "";
  }
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (!pid) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

/**
 * Waits while a command started by an earlier engine (one that crashed) is still running, and
 * says which process it waited for and how long: a resume that sits still for minutes must be
 * explainable in engine.log and in the step's check.
 */
async function waitForOrphan(
  ctx: ExecutorContext,
  command: string | string[],
): Promise<{ pid: number; waitedMs: number } | undefined> {
  const runningFile = join(ctx.scratchDir, RUNNING_FILE);
  let token: string;
  try {
    token = readFileSync(runningFile, "utf8").trim();
  } catch {
    return undefined;
  }
  const entry = `${TOKEN_VAR}=${token}`;
  const pid = processesCarrying(entry)[0]?.pid;
  const started = Date.now();
  if (pid !== undefined) {
    ctx.logger.warn(
      { pid, command: show(command) },
      "waiting for the command the stopped engine started, which is still running",
    );
    ctx.progress(`waiting for pid ${pid}, started by the engine that was stopped, to finish`);
    while (processesCarrying(entry).length > 0) await sleep(100, ctx.signal);
  }
  rmSync(runningFile, { force: true });
  return pid === undefined ? undefined : { pid, waitedMs: Date.now() - started };
}

/**
 * The live processes on this machine with `entry` in their environment, commands first, then
 * output sinks. Linux only (/proc); elsewhere nothing can be seen and resume goes straight to
 * the step's check.
 */
function processesCarrying(entry: string): { pid: number; sink: boolean }[] {
  let pids: string[];
  try {
    pids = readdirSync("/proc");
  } catch {
    return [];
  }
  const carrying: { pid: number; sink: boolean }[] = [];
  for (const pid of pids) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      // A zombie's environment reads empty: it has finished.
      const environ = readFileSync(`/proc/${pid}/environ`);
      if (environ.includes(entry))
        carrying.push({ pid: Number(pid), sink: environ.includes(`${SINK_VAR}=1`) });
    } catch {
      // Gone meanwhile, or not ours to read.
    }
  }
  return carrying.sort((a, b) => Number(a.sink) - Number(b.sink));
}
