import { type ChildProcess, fork } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { packageRoot, runningFromSources } from "../bundle/package-root.js";
import type { InvokeResult } from "./local-invoke.js";

/**
 * The parent's side of worker-main.ts: one warm "container" of a function for the sandbox, a
 * child process with the function's environment only (never the parent's own), answering
 * invocations over IPC. Built (`dist/stepfunctions/worker-main.js`) or, from sources, through tsx.
 */

export interface FunctionWorker {
  readonly pid: number | undefined;
  /** Resolves once the package is imported; rejects with its import error (as Lambda's init error). */
  readonly ready: Promise<void>;
  invoke(event: unknown, timeoutMs: number): Promise<InvokeResult>;
  /** Ends the process; invocations still running answer as failed. */
  close(): Promise<void>;
}

/** How to start worker-main: the script and the node flags it needs. */
export function workerCommand(): { script: string; execArgv: string[] } {
  if (!runningFromSources()) return { script: builtWorker(), execArgv: [] };
  const root = packageRoot();
  const tsx = createRequire(join(root, "package.json")).resolve("tsx");
  return {
    script: join(root, "src", "stepfunctions", "runner", "worker-main.ts"),
    execArgv: ["--import", pathToFileURL(tsx).href],
  };
}

/**
 * The built worker beside the built CLI: `dist/` is found from this module (in `dist/` or its
 * `chunks/`), so a copy of `dist/` without the package around it still finds its worker.
 */
function builtWorker(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)), up = 0; up < 3; dir = dirname(dir), up++) {
    const script = join(dir, "stepfunctions", "worker-main.js");
    if (existsSync(script)) return script;
  }
  return join(packageRoot(), "dist", "stepfunctions", "worker-main.js");
}

export function spawnFunctionWorker(o: {
  /** The unzipped package (index.mjs, config.json). */
  dir: string;
  /** The function's environment: its variables, AWS_REGION, its role's keys. */
  env: Record<string, string>;
  /** Each chunk the function writes to stdout or stderr (its logs). */
  onLog?: (chunk: string) => void;
}): FunctionWorker {
  const { script, execArgv } = workerCommand();
  const child: ChildProcess = fork(script, [o.dir], {
    cwd: o.dir,
    env: o.env,
    execArgv,
    stdio: ["ignore", "pipe", "pipe", "ipc"],
    serialization: "json",
  });
  for (const s of [child.stdout, child.stderr]) {
    s?.setEncoding("utf8");
    s?.on("data", (chunk: string) => o.onLog?.(chunk));
  }
  const pending = new Map<number, (r: InvokeResult) => void>();
  let next = 1;
  let exited: string | undefined;
  child.on("exit", (code, signal) => {
    exited = `exited with ${code ?? signal}`;
    for (const answer of pending.values())
      answer({ error: { errorType: "Runtime.ExitError", errorMessage: `the function's process ${exited}` } });
    pending.clear();
  });
  const ready = new Promise<void>((resolve, reject) => {
    child.on("message", (m: { ready?: boolean; error?: { errorType: string; errorMessage: string } }) => {
      if (m?.ready === true) resolve();
      else if (m?.ready === false)
        reject(
          Object.assign(new Error(m.error?.errorMessage ?? "init failed"), { name: m.error?.errorType }),
        );
    });
    child.on("exit", () => reject(new Error(`the function's worker ${exited}`)));
  });
  ready.catch(() => undefined);
  child.on("message", (m: { id?: number; result?: InvokeResult }) => {
    if (typeof m?.id !== "number" || !m.result) return;
    pending.get(m.id)?.(m.result);
    pending.delete(m.id);
  });
  return {
    pid: child.pid,
    ready,
    invoke(event, timeoutMs) {
      if (exited)
        return Promise.resolve({
          error: { errorType: "Runtime.ExitError", errorMessage: `the function's process ${exited}` },
        });
      const id = next++;
      return new Promise<InvokeResult>((resolve) => {
        pending.set(id, resolve);
        child.send({ id, event, deadlineMs: Date.now() + timeoutMs });
      });
    },
    close() {
      if (exited) return Promise.resolve();
      return new Promise<void>((resolve) => {
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      });
    },
  };
}
