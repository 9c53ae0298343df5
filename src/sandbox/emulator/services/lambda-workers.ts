import { type ChildProcess, fork } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";

/**
 * Warm worker processes that run functions, as Lambda's execution environments do: a pool per
 * function, an idle worker reused, another started when all are busy. Unlike Lambda, a pool
 * stops growing at `maxWorkers` (default: the machine's cores, at least 2) and then gives a
 * worker several invocations at once: on AWS each environment has its own CPU, on a laptop a
 * dozen Node processes starting together would fight for two cores and time the sandbox's
 * cold starts, not the runbook (the handlers are async and keep no per-invocation globals). A worker is retired when its function's code or configuration changes, when its
 * credentials have used half their lifetime, after `idleMs` without work, and after a timeout
 * (Lambda resets the environment of a timed-out invocation). The worker entry speaks IPC: the
 * parent sends `{ id, event, deadlineMs }`, the child answers `{ id, result }` with `result`
 * `{ payload }` or `{ error: { errorType, errorMessage } }`; it finds the code in
 * LAMBDA_TASK_ROOT and the handler in _HANDLER, as Lambda's own runtime does.
 */

export interface WorkerOptions {
  /** The worker's entry script (a .js file, or .ts run with tsx). */
  entry: string;
  execArgv?: string[];
  /** Default 5 minutes. */
  idleMs?: number;
  /** Workers per function before invocations share them (default: cores, at least 2). */
  maxWorkers?: number;
}

/** A .ts entry runs with tsx, resolved from here (the function's directory has no node_modules). */
function execArgvFor(entry: string): string[] {
  return entry.endsWith(".ts") ? ["--import", import.meta.resolve("tsx")] : [];
}

/** One function as a worker runs it. */
export interface FunctionRuntime {
  arn: string;
  /** Changes when the code or configuration does. */
  revision: string;
  codeDir: string;
  env: Record<string, string>;
  /** Workers started now are retired after this time (half the credentials' remaining life). */
  renewAt: number;
}

export type InvocationResult =
  | { payload: unknown; log: string }
  | { error: { errorType: string; errorMessage: string }; log: string };

interface Worker {
  child: ChildProcess;
  revision: string;
  renewAt: number;
  /** Invocations it is running now. */
  inFlight: number;
  retired: boolean;
  idle: NodeJS.Timeout | undefined;
  output: string[];
}

/** The part of a worker's output kept for `LogType: Tail` (Lambda returns the last 4 KB). */
const LOG_TAIL = 4096;

export class WorkerPools {
  private readonly pools = new Map<string, Worker[]>();

  constructor(private readonly options: WorkerOptions) {}

  async invoke(fn: FunctionRuntime, event: unknown, timeoutSeconds: number): Promise<InvocationResult> {
    if (!existsSync(this.options.entry))
      return {
        error: {
          errorType: "Runtime.InvalidEntrypoint",
          errorMessage: `The sandbox's Lambda worker ${this.options.entry} does not exist: build it (npm run build) or pass the emulator's lambdaWorker.entry`,
        },
        log: "",
      };
    const now = Date.now();
    const pool = this.pools.get(fn.arn) ?? [];
    this.pools.set(fn.arn, pool);
    for (const w of pool.filter((w) => w.inFlight === 0 && (w.revision !== fn.revision || now >= w.renewAt)))
      this.kill(fn.arn, w);
    const usable = pool.filter((w) => !w.retired && w.revision === fn.revision && now < w.renewAt);
    const max = this.options.maxWorkers ?? Math.max(2, availableParallelism());
    const worker =
      usable.find((w) => w.inFlight === 0) ??
      (usable.length >= max
        ? usable.reduce((a, b) => (b.inFlight < a.inFlight ? b : a))
        : this.spawn(fn, pool));
    worker.inFlight += 1;
    clearTimeout(worker.idle);
    if (worker.inFlight === 1) worker.output = [];
    const requestId = randomUUID();
    try {
      return await this.run(worker, requestId, event, timeoutSeconds);
    } finally {
      worker.inFlight -= 1;
      if (worker.inFlight > 0) {
        // others still run on it
      } else if (worker.retired || worker.child.exitCode !== null || worker.child.signalCode !== null)
        this.kill(fn.arn, worker);
      else {
        worker.idle = setTimeout(() => this.kill(fn.arn, worker), this.options.idleMs ?? 300_000);
        worker.idle.unref();
      }
    }
  }

  /** The function changed or went away: idle workers stop now, busy ones when their invocation ends. */
  retire(arn: string): void {
    for (const w of [...(this.pools.get(arn) ?? [])]) {
      w.retired = true;
      if (w.inFlight === 0) this.kill(arn, w);
    }
  }

  closeAll(): void {
    for (const [arn, pool] of this.pools) for (const w of [...pool]) this.kill(arn, w);
  }

  private spawn(fn: FunctionRuntime, pool: Worker[]): Worker {
    const entry = this.options.entry;
    const child = fork(entry, [], {
      cwd: fn.codeDir,
      // Only the function's environment: the host's (its own AWS keys) must not leak into it.
      env: fn.env,
      execArgv: this.options.execArgv ?? execArgvFor(entry),
      stdio: ["ignore", "pipe", "pipe", "ipc"],
      serialization: "json",
    });
    const w: Worker = {
      child,
      revision: fn.revision,
      renewAt: fn.renewAt,
      inFlight: 0,
      retired: false,
      idle: undefined,
      output: [],
    };
    const keep = (chunk: Buffer) => {
      w.output.push(chunk.toString("utf8"));
      if (w.output.length > 64) w.output.splice(0, w.output.length - 64);
    };
    child.stdout?.on("data", keep);
    child.stderr?.on("data", keep);
    child.on("error", () => {}); // reported as the invocation's exit below
    // An idle worker must not keep the emulator's process alive; a busy one is awaited anyway.
    child.unref();
    child.channel?.unref();
    pool.push(w);
    return w;
  }

  private run(
    w: Worker,
    requestId: string,
    event: unknown,
    timeoutSeconds: number,
  ): Promise<InvocationResult> {
    const log = () => w.output.join("").slice(-LOG_TAIL);
    return new Promise((resolve) => {
      const done = (r: { payload: unknown } | { error: { errorType: string; errorMessage: string } }) => {
        clearTimeout(timer);
        w.child.off("message", onMessage);
        w.child.off("exit", onExit);
        resolve({ ...r, log: log() });
      };
      const onMessage = (m: unknown) => {
        const msg = m as {
          id?: string;
          result?: { payload?: unknown; error?: { errorType?: string; errorMessage?: string } };
        };
        if (msg?.id !== requestId || !msg.result) return;
        if (msg.result.error)
          done({
            error: {
              errorType: msg.result.error.errorType ?? "Error",
              errorMessage: msg.result.error.errorMessage ?? "",
            },
          });
        else done({ payload: msg.result.payload ?? null });
      };
      const onExit = (code: number | null, signal: string | null) =>
        done({
          error: {
            errorType: "Runtime.ExitError",
            errorMessage: `RequestId: ${requestId} Error: Runtime exited ${signal ? `with signal: ${signal}` : `with error: exit status ${code}`}`,
          },
        });
      const timer = setTimeout(() => {
        // Lambda resets the environment of a timed-out invocation (once no other runs on it).
        w.retired = true;
        if (w.inFlight <= 1) w.child.kill("SIGKILL");
        done({
          error: {
            errorType: "Sandbox.Timedout",
            errorMessage: `RequestId: ${requestId} Error: Task timed out after ${timeoutSeconds.toFixed(2)} seconds`,
          },
        });
      }, timeoutSeconds * 1000);
      w.child.on("message", onMessage);
      w.child.on("exit", onExit);
      if (w.child.exitCode !== null || !w.child.connected) {
        onExit(w.child.exitCode, w.child.signalCode);
        return;
      }
      w.child.send({ id: requestId, event, deadlineMs: Date.now() + timeoutSeconds * 1000 }, (error) => {
        if (error) onExit(w.child.exitCode, w.child.signalCode);
      });
    });
  }

  private kill(arn: string, w: Worker): void {
    clearTimeout(w.idle);
    w.retired = true;
    if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill("SIGKILL");
    const pool = this.pools.get(arn);
    const i = pool?.indexOf(w) ?? -1;
    if (pool && i >= 0) pool.splice(i, 1);
  }
}
