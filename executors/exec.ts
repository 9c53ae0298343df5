import { spawn } from "node:child_process";
import { resolve } from "node:path";
import { z } from "zod";
import { defineExecutor, fatal, retryable } from "../src/executor.js";

const Command = z.union([z.array(z.string()).min(1), z.string().min(1)]);
const MAX_OUTPUT = 64 * 1024;

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
    if (!p.check) return undefined;
    const r = await runProcess(p.check.command, {
      cwd: resolve(ctx.cwd, p.check.cwd ?? p.cwd ?? "."),
      env: { ...ctx.env, ...p.env, ...p.check.env },
      signal: ctx.signal,
    });
    return {
      inPlace: r.exitCode === 0,
      detail: `check ${show(p.check.command)} exited ${r.exitCode}`,
      outputs: { stdout: r.stdout, exitCode: 0 },
    };
  },
  async run(p, ctx) {
    const r = await runProcess(p.command, {
      cwd: resolve(ctx.cwd, p.cwd ?? "."),
      env: { ...ctx.env, ...p.env },
      signal: ctx.signal,
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

function runProcess(
  command: string[] | string,
  opts: { cwd: string; env: Record<string, string | undefined>; signal: AbortSignal },
): Promise<ProcessResult> {
  const [file, ...args] = Array.isArray(command) ? command : ["/bin/sh", "-c", command];
  return new Promise((resolvePromise, reject) => {
    if (opts.signal.aborted) return reject(opts.signal.reason);
    // Own process group, so a timeout or abort stops the whole tree the command started.
    const child = spawn(file!, args, {
      cwd: opts.cwd,
      env: opts.env,
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      if (stdout.length < MAX_OUTPUT) stdout += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      if (stderr.length < MAX_OUTPUT) stderr += d.toString();
    });
    let killTimer: NodeJS.Timeout | undefined;
    const onAbort = () => {
      killGroup(child.pid, "SIGTERM");
      killTimer = setTimeout(() => killGroup(child.pid, "SIGKILL"), 5000);
    };
    opts.signal.addEventListener("abort", onAbort, { once: true });
    child.on("error", (err: NodeJS.ErrnoException) => {
      opts.signal.removeEventListener("abort", onAbort);
      if (err.code === "ENOENT")
        resolvePromise({ exitCode: 127, signal: null, stdout, stderr: `${file}: not found` });
      else reject(err);
    });
    child.on("close", (code, signal) => {
      opts.signal.removeEventListener("abort", onAbort);
      if (killTimer) clearTimeout(killTimer);
      if (opts.signal.aborted) return reject(opts.signal.reason);
      resolvePromise({
        exitCode: code ?? 128,
        signal,
        stdout: stdout.slice(0, MAX_OUTPUT).trimEnd(),
        stderr,
      });
    });
  });
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (!pid) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}
