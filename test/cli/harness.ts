import { type ChildProcess, spawn } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Real processes of the built CLI (npm test builds dist/ first), each in a workdir of its own. */

export const ROOT = new URL("../..", import.meta.url).pathname;
export const CLI = join(ROOT, "dist", "cli.js");

export function makeWorkdir(): string {
  if (!existsSync(CLI)) throw new Error("dist/cli.js is missing: run `npm run build` (npm test does it)");
  const dir = mkdtempSync(join(tmpdir(), "runbook-cli-"));
  cpSync(join(ROOT, "runbooks"), join(dir, "runbooks"), { recursive: true });
  cpSync(join(ROOT, "scripts", "demo"), join(dir, "scripts", "demo"), { recursive: true });
  return dir;
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function startCli(args: string[], cwd: string, env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, [CLI, ...args], {
    cwd,
    env: { ...process.env, NO_COLOR: "1", RUNBOOK_OPERATOR: "alice", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
}

export function finish(child: ChildProcess): Promise<CliResult> {
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (d) => {
    stdout += d;
  });
  child.stderr?.on("data", (d) => {
    stderr += d;
  });
  return new Promise((resolve) =>
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
}

export function runCli(args: string[], cwd: string, env: Record<string, string> = {}): Promise<CliResult> {
  return finish(startCli(args, cwd, env));
}

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export function journalLines(cwd: string, id: string): { type: string; stepId?: string }[] {
  const path = join(cwd, ".runbook", "executions", id, "journal.jsonl");
  if (!existsSync(path)) return [];
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((l) => l.startsWith("{") && l.endsWith("}"))
    .map((l) => JSON.parse(l));
}

export function onlyExecutionId(cwd: string): string {
  const ids = readdirIds(cwd);
  if (ids.length !== 1) throw new Error(`expected one execution, found ${ids.length}`);
  return ids[0]!;
}

function readdirIds(cwd: string): string[] {
  const dir = join(cwd, ".runbook", "executions");
  return existsSync(dir) ? readdirSync(dir) : [];
}

/** Poll until `predicate` holds (a journal event appeared, a file exists); fail after `ms`. */
export async function until(predicate: () => boolean, ms = 20_000, what = "condition"): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export function effects(cwd: string): string[] {
  const path = join(cwd, ".runbook", "demo", "toy", "effects.log");
  return existsSync(path) ? readFileSync(path, "utf8").trim().split("\n").filter(Boolean) : [];
}
