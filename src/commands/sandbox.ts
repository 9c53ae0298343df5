import { spawn } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import { ExitCode, RunbookError, UsageError } from "../errors.js";
import {
  endpointsPath,
  readSandboxEndpoints,
  type SandboxEndpoints,
  sandboxDir,
  supervisorLogPath,
  supervisorPidPath,
} from "../sandbox/endpoints.js";
import { FAULTS, faultHelp, isFaultName } from "../sandbox/supervisor/fault-catalog.js";
import { renderEndpoints, renderStatus } from "../sandbox/supervisor/render.js";
import type { SandboxStatus } from "../sandbox/supervisor/status.js";
import {
  isProcessAlive,
  leftoverPostmasters,
  readSupervisorPid,
  stopLeftoverPostmasters,
  waitForExit,
} from "../sandbox/supervisor/supervisor-process.js";
import { homeOf } from "./executions.js";
import { type CommandIO, writeLine } from "./io.js";
import { control, parseDurationOption, requireSandbox } from "./sandbox-access.js";

/**
 * `runbook sandbox up | down | status | fault | traffic | reset`.
 *
 * `up` starts the supervisor (src/sandbox/supervisor/) as a detached process running
 * `runbook sandbox up --foreground`, and waits for its endpoints.json; the other commands
 * find it through that file and talk to its control API. Everything heavy (postgres,
 * the emulator, the SDK) is imported only by the commands that need it.
 */

/** The sandbox itself failed (it did not start, did not stop): exit 1, with where to look. */
export class SandboxError extends RunbookError {
  readonly exitCode = ExitCode.failed;
}

const START_TIMEOUT_MS = 90_000;
const STOP_TIMEOUT_MS = 30_000;

function parsePort(text: string | undefined): number {
  if (text === undefined) return 0;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new UsageError(`--port must be a TCP port number (got ${text})`);
  return port;
}

// ---------------------------------------------------------------- up

export interface UpOptions {
  foreground?: boolean;
  port?: string;
  ttl?: string;
}

export async function sandboxUp(opts: UpOptions, io: CommandIO): Promise<number> {
  const home = homeOf(io);
  const port = parsePort(opts.port);
  const ttlMs = parseDurationOption(opts.ttl ?? "1s", "--ttl");
  const existing = await readSupervisorPid(home);
  if (existing !== undefined && isProcessAlive(existing)) {
    const endpoints = await readSandboxEndpoints(home);
    if (opts.foreground || !endpoints)
      throw new UsageError(
        `a sandbox is already ${endpoints ? "running" : "starting"} in ${sandboxDir(home)} (pid ${existing})`,
        "Stop it with: runbook sandbox down",
      );
    writeLine(io.stdout, `the sandbox is already running (pid ${existing}):`);
    await printEndpoints(endpoints, home, io);
    return 0;
  }
  // A supervisor killed without a chance to clean up leaves its files (and maybe servers).
  await stopLeftoverPostmasters(home);
  await rm(endpointsPath(home), { force: true });
  await rm(supervisorPidPath(home), { force: true });

  if (opts.foreground) return runForeground(home, port, ttlMs, io);

  await mkdir(sandboxDir(home), { recursive: true });
  const logPath = supervisorLogPath(home);
  const logFd = openSync(logPath, "w");
  const script = process.argv[1];
  if (!script)
    throw new SandboxError("cannot tell which script is the runbook CLI (process.argv[1] is empty)");
  const child = spawn(
    process.execPath,
    [
      // A debugger flag would make the child fight the parent for the inspector port.
      ...process.execArgv.filter((a) => !a.startsWith("--inspect")),
      script,
      "sandbox",
      "up",
      "--foreground",
      "--port",
      String(port),
      "--ttl",
      `${ttlMs}ms`,
    ],
    { cwd: io.cwd, env: { ...io.env, RUNBOOK_HOME: home }, detached: true, stdio: ["ignore", logFd, logFd] },
  );
  closeSync(logFd);
  let exited: string | undefined;
  child.on("exit", (code, signal) => {
    exited = `exited with ${code ?? signal}`;
  });
  child.unref();

  const started = Date.now();
  const progress = (final = false) => {
    const elapsed = ((Date.now() - started) / 1000).toFixed(1);
    const last = lastLine(logPath);
    if (io.isTTY)
      io.stdout.write(
        `\r\x1b[2Kstarting the sandbox… ${elapsed} s${last ? `  ${last}` : ""}${final ? "\n" : ""}`,
      );
  };
  if (!io.isTTY) writeLine(io.stdout, `starting the sandbox (supervisor pid ${child.pid}, log ${logPath})…`);
  const timer = setInterval(() => progress(), 200);
  try {
    for (;;) {
      const endpoints = await readSandboxEndpoints(home);
      if (endpoints && endpoints.pid === child.pid) {
        progress(true);
        writeLine(
          io.stdout,
          `sandbox up in ${((Date.now() - started) / 1000).toFixed(1)} s (supervisor pid ${child.pid})`,
        );
        await printEndpoints(endpoints, home, io);
        return 0;
      }
      if (exited !== undefined) {
        progress(true);
        throw new SandboxError(
          `the sandbox did not start: its supervisor ${exited}`,
          `Last lines of ${logPath}:\n${tail(logPath, 15)}`,
        );
      }
      if (Date.now() - started > START_TIMEOUT_MS) {
        child.kill("SIGTERM");
        throw new SandboxError(
          `the sandbox was not ready after ${START_TIMEOUT_MS / 1000} s; stopping it`,
          `Last lines of ${logPath}:\n${tail(logPath, 15)}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    clearInterval(timer);
  }
}

async function runForeground(home: string, port: number, ttlMs: number, io: CommandIO): Promise<number> {
  const { runSupervisor } = await import("../sandbox/supervisor/run.js");
  const log = (line: string) => writeLine(io.stdout, `${new Date().toISOString()} ${line}`);
  log(`starting the sandbox in ${sandboxDir(home)} (pid ${process.pid})`);
  const started = Date.now();
  let running: Awaited<ReturnType<typeof runSupervisor>>;
  try {
    running = await runSupervisor({ home, port, edgeTtlMs: ttlMs, log, handleSignals: true });
  } catch (error) {
    throw new SandboxError(`the sandbox did not start: ${(error as Error).message}`);
  }
  const endpoints = await readSandboxEndpoints(home);
  if (endpoints) {
    log(`sandbox up in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    await printEndpoints(endpoints, home, io);
    writeLine(io.stdout, "Ctrl-C (or runbook sandbox down) stops it.");
  }
  await running.stopped;
  return 0;
}

async function printEndpoints(endpoints: SandboxEndpoints, home: string, io: CommandIO): Promise<void> {
  for (const line of renderEndpoints(endpoints)) writeLine(io.stdout, line);
  writeLine(io.stdout, `endpoints: ${endpointsPath(home)}`);
}

function lastLine(path: string): string {
  try {
    const lines = readFileSync(path, "utf8").trim().split("\n");
    return (lines.at(-1) ?? "").replace(/^\S+Z /, "").slice(0, 80);
  } catch {
    return "";
  }
}

function tail(path: string, count: number): string {
  try {
    return readFileSync(path, "utf8").trim().split("\n").slice(-count).join("\n");
  } catch {
    return "(no log)";
  }
}

// ---------------------------------------------------------------- down

export async function sandboxDown(io: CommandIO): Promise<number> {
  const home = homeOf(io);
  const pid = await readSupervisorPid(home);
  const alive = pid !== undefined && isProcessAlive(pid);
  if (alive) {
    writeLine(io.stdout, `stopping the sandbox (supervisor pid ${pid})…`);
    process.kill(pid, "SIGTERM");
    if (!(await waitForExit(pid, STOP_TIMEOUT_MS))) {
      writeLine(io.stderr, `the supervisor did not stop within ${STOP_TIMEOUT_MS / 1000} s: killing it`);
      process.kill(pid, "SIGKILL");
      await waitForExit(pid, 5_000);
    }
  }
  const leftovers = await stopLeftoverPostmasters(home);
  await rm(endpointsPath(home), { force: true });
  await rm(supervisorPidPath(home), { force: true });
  const still = await leftoverPostmasters(home);
  if (still.length > 0)
    throw new SandboxError(`postgres still running after stopping the sandbox: pid ${still.join(", ")}`);
  if (!alive) {
    writeLine(
      io.stdout,
      leftovers > 0
        ? `the sandbox was not running; stopped ${leftovers} postgres server(s) a crashed supervisor had left`
        : "the sandbox was not running: nothing to stop",
    );
    return 0;
  }
  writeLine(io.stdout, "sandbox stopped: databases, emulator, case-apis, edge and control API are gone");
  return 0;
}

// ---------------------------------------------------------------- status

export async function sandboxStatus(opts: { json?: boolean }, io: CommandIO): Promise<number> {
  const endpoints = await requireSandbox(io);
  const { status, json } = await control<SandboxStatus>(endpoints, "GET", "/status");
  if (status !== 200) throw new SandboxError(`the sandbox could not report its status: ${json.error}`);
  if (opts.json) {
    writeLine(io.stdout, JSON.stringify(json, null, 2));
    return 0;
  }
  for (const line of renderStatus(json)) writeLine(io.stdout, line);
  return 0;
}

// ---------------------------------------------------------------- fault

export const FAULT_HELP = `
Faults (each lifted with the same name and --clear, optionally with its region/secret/alarm/service):
${faultHelp()}

Examples:
  runbook sandbox fault replication-pause
  runbook sandbox fault region-down us-east-1
  runbook sandbox fault arc-endpoints 3 blackhole
  runbook sandbox fault deny rds:FailoverGlobalCluster operator
  runbook sandbox fault region-down --clear`;

export async function sandboxFault(
  name: string | undefined,
  args: string[],
  opts: { clear?: boolean; help?: boolean; usage?: string },
  io: CommandIO,
): Promise<number> {
  if (opts.help || name === undefined) {
    const text = `${opts.usage ?? "Usage: runbook sandbox fault [options] [name] [args...]\n"}${FAULT_HELP}\n`;
    (name === undefined && !opts.help ? io.stderr : io.stdout).write(text);
    return name === undefined && !opts.help ? ExitCode.invalid : 0;
  }
  if (!isFaultName(name)) {
    throw new UsageError(
      `unknown fault ${name}`,
      `Faults: ${FAULTS.map((f) => f.name).join(", ")}\nSee: runbook sandbox fault --help`,
    );
  }
  const endpoints = await requireSandbox(io);
  const { status, json } = await control<{ message?: string }>(endpoints, "POST", "/fault", {
    name,
    args,
    clear: Boolean(opts.clear),
  });
  if (status === 400) {
    const usage = FAULTS.find((f) => f.name === name)?.usage;
    throw new UsageError(
      json.error ?? "bad fault arguments",
      `usage: runbook sandbox fault ${usage} [--clear]`,
    );
  }
  if (status !== 200)
    throw new SandboxError(`the fault could not be ${opts.clear ? "cleared" : "applied"}: ${json.error}`);
  writeLine(io.stdout, json.message ?? "ok");
  return 0;
}

// ---------------------------------------------------------------- reset

export async function sandboxReset(io: CommandIO): Promise<number> {
  const endpoints = await requireSandbox(io);
  const started = Date.now();
  writeLine(io.stdout, "resetting the sandbox to its initial topology…");
  const { status, json } = await control<object>(endpoints, "POST", "/reset");
  if (status !== 200) throw new SandboxError(`the reset failed: ${json.error}`);
  writeLine(
    io.stdout,
    `sandbox reset in ${((Date.now() - started) / 1000).toFixed(1)} s: faults lifted, ${endpoints.regions[0]} writer and routed, ${endpoints.regions[1]} streaming standby, IAM defaults (enforcement off)`,
  );
  return 0;
}
