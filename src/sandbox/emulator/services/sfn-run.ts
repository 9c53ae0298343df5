import { randomUUID } from "node:crypto";
import type { RoleCredentials } from "./service-role-sessions.js";
import { type DefinitionFacts, type Interpreter, scaledOverrides } from "./sfn-definition.js";
import { EventMapper, happensInside, type LibraryEvent } from "./sfn-events.js";
import type { ExecutionHistory } from "./sfn-history.js";
import type { ExecutionStatus, TaskHandler } from "./sfn-model.js";
import type { TaskTokens } from "./sfn-task-tokens.js";
import { type TaskHost, taskHandler } from "./sfn-tasks.js";

/**
 * One execution on aws-local-stepfunctions: every Task state gets a local handler
 * (sfn-tasks.ts), the interpreter's event log becomes the history (sfn-events.ts), and the
 * run ends with the execution's closing event. The log reaches us asynchronously, and a
 * Parallel's branch events a moment after the Parallel's own: a Parallel's closing event is
 * held until its branches' events are in, and a Task writes nothing before its
 * TaskStateEntered (or retry) is in the history.
 */

export interface RunDeps {
  interpreter: Interpreter;
  facts: DefinitionFacts;
  history: ExecutionHistory;
  execution: { arn: string; name: string; region: string; roleArn: string; startDate: Date; input: unknown };
  machine: { arn: string; name: string };
  waitScale: number;
  tokens: TaskTokens;
  handlers: ReadonlyMap<string, TaskHandler>;
  credentials(): Promise<RoleCredentials>;
  endpoint(): string;
}

export interface RunOutcome {
  status: Exclude<ExecutionStatus, "RUNNING">;
  output?: string;
  error?: string;
  cause?: string;
  stopDate: Date;
}

/** How long a Parallel's closing event waits for its branches' events at most (they come within microtasks). */
const HOLD_MS = 100;

export class ExecutionRun implements TaskHost {
  readonly region: string;
  readonly executionArn: string;
  readonly tokenPlaceholder = `$$.Task.Token#${randomUUID()}`;
  private readonly mapper: EventMapper;
  private readonly starts = new Map<string, number>();
  private readonly attempts = new Map<string, number>();
  private readonly waiters = new Map<string, { attempt: number; resolve: () => void }[]>();
  private readonly running = new Map<string, Set<() => void>>();
  private abortRun: (() => void) | undefined;
  private consumed: Promise<void> = Promise.resolve();
  private outcome: RunOutcome | undefined;
  private stopRequest: { error?: string; cause?: string } | undefined;

  constructor(private readonly deps: RunDeps) {
    this.region = deps.execution.region;
    this.executionArn = deps.execution.arn;
    this.mapper = new EventMapper(deps.history, deps.facts, {
      started: (state) => {
        const n = (this.starts.get(state) ?? 0) + 1;
        this.starts.set(state, n);
        const waiting = this.waiters.get(state) ?? [];
        for (const w of waiting.filter((w) => w.attempt <= n)) w.resolve();
        this.waiters.set(
          state,
          waiting.filter((w) => w.attempt > n),
        );
      },
      // An entry whose handler never ran (its Parameters failed) must not hold back the next one.
      settled: (state) =>
        this.attempts.set(state, Math.max(this.attempts.get(state) ?? 0, this.starts.get(state) ?? 0)),
      aborted: (state) => {
        for (const cancel of [...(this.running.get(state) ?? [])]) cancel();
      },
    });
  }

  get tokens(): TaskTokens {
    return this.deps.tokens;
  }

  get handlers(): ReadonlyMap<string, TaskHandler> {
    return this.deps.handlers;
  }

  credentials(): Promise<RoleCredentials> {
    return this.deps.credentials();
  }

  endpoint(): string {
    return this.deps.endpoint();
  }

  nextAttempt(state: string): number {
    const n = (this.attempts.get(state) ?? 0) + 1;
    this.attempts.set(state, n);
    return n;
  }

  started(state: string, attempt: number): Promise<void> {
    if ((this.starts.get(state) ?? 0) >= attempt) return Promise.resolve();
    return new Promise((resolve) => {
      this.waiters.set(state, [...(this.waiters.get(state) ?? []), { attempt, resolve }]);
    });
  }

  record(state: string, type: string, details: Record<string, unknown>): void {
    this.mapper.append(state, type, details);
  }

  track(state: string, cancel: () => void): () => void {
    const set = this.running.get(state) ?? new Set();
    set.add(cancel);
    this.running.set(state, set);
    return () => set.delete(cancel);
  }

  /** Runs the execution to its end; resolves with how it ended, its closing event written. */
  async run(): Promise<RunOutcome> {
    const { deps } = this;
    const { execution, machine } = deps;
    const handlers = Object.fromEntries(
      [...deps.facts.tasks].map(([name, def]) => [name, taskHandler(name, def, this)]),
    );
    const run = deps.interpreter.run(execution.input as never, {
      overrides: {
        taskResourceLocalHandlers: handlers as never,
        ...scaledOverrides(deps.facts, deps.waitScale),
      },
      context: {
        Execution: {
          Id: execution.arn,
          Name: execution.name,
          RoleArn: execution.roleArn,
          StartTime: execution.startDate.toISOString(),
        },
        StateMachine: { Id: machine.arn, Name: machine.name },
        Task: { Token: this.tokenPlaceholder },
      },
    });
    this.abortRun = run.abort;
    // Handled at once: a failure may come while the log is still being read.
    const result = run.result.then(
      (output) => ({ output }),
      (error: unknown) => ({ error }),
    );
    this.consumed = this.consume(run.eventLogs as AsyncGenerator<LibraryEvent>);
    await this.consumed;
    const settled = await result;
    if (this.outcome) return this.outcome;
    if (this.stopRequest) return this.aborted();
    return this.finish(
      "output" in settled
        ? { status: "SUCCEEDED", output: JSON.stringify(settled.output ?? null) }
        : failure(settled.error),
    );
  }

  /** StopExecution (or the emulator closing): running states aborted, then ExecutionAborted. */
  async stop(error?: string, cause?: string): Promise<RunOutcome> {
    if (this.outcome) return this.outcome;
    this.stopRequest = { ...(error ? { error } : {}), ...(cause ? { cause } : {}) };
    this.abortRun?.();
    // What the interpreter logged before it stopped goes in first (it closes its log when aborted).
    let grace: NodeJS.Timeout | undefined;
    await Promise.race([this.consumed, new Promise((r) => (grace = setTimeout(r, 200)))]);
    clearTimeout(grace);
    return this.outcome ?? this.aborted();
  }

  private aborted(): RunOutcome {
    this.mapper.abortRunning();
    return this.finish({ status: "ABORTED", ...this.stopRequest });
  }

  private finish(o: Omit<RunOutcome, "stopDate">): RunOutcome {
    const outcome: RunOutcome = { ...o, stopDate: new Date() };
    this.outcome = outcome;
    if (o.status === "TIMED_OUT") this.mapper.abortRunning();
    const details = {
      ...(o.error !== undefined ? { error: o.error } : {}),
      ...(o.cause !== undefined ? { cause: o.cause } : {}),
    };
    if (o.status === "SUCCEEDED")
      this.mapper.append(undefined, "ExecutionSucceeded", {
        output: o.output,
        outputDetails: { truncated: false },
      });
    else if (o.status === "FAILED") this.mapper.append(undefined, "ExecutionFailed", details);
    else if (o.status === "TIMED_OUT") this.mapper.append(undefined, "ExecutionTimedOut", details);
    else this.mapper.append(undefined, "ExecutionAborted", details);
    this.deps.history.close();
    this.deps.tokens.endAll(this.executionArn);
    for (const set of this.running.values()) for (const cancel of [...set]) cancel();
    for (const list of this.waiters.values()) for (const w of list) w.resolve();
    this.waiters.clear();
    return outcome;
  }

  /** Reads the log into the history, holding a Parallel's closing event until its branches' events are in. */
  private async consume(log: AsyncGenerator<LibraryEvent>): Promise<void> {
    const buffer: { e: LibraryEvent; seen: number }[] = [];
    let ended = false;
    let wake: (() => void) | undefined;
    void (async () => {
      for await (const e of log) {
        buffer.push({ e, seen: Date.now() });
        wake?.();
      }
      ended = true;
      wake?.();
    })();
    for (;;) {
      const i = this.nextReady(buffer, ended);
      if (i >= 0) {
        const [item] = buffer.splice(i, 1);
        if (item && !this.outcome) this.mapper.apply(item.e);
        continue;
      }
      if (ended && buffer.length === 0) return;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, HOLD_MS);
        wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
  }

  private nextReady(buffer: { e: LibraryEvent; seen: number }[], ended: boolean): number {
    const held: string[] = [];
    for (let i = 0; i < buffer.length; i++) {
      const { e, seen } = buffer[i] as { e: LibraryEvent; seen: number };
      if (!held.every((p) => happensInside(this.deps.facts, e, p))) continue;
      const name = e.state?.name;
      const closing = (e.type === "StateExited" || e.type === "StateFailed") && e.state?.type === "Parallel";
      if (closing && name && !ended && !this.mapper.closable(name) && Date.now() - seen < HOLD_MS) {
        held.push(name);
        continue;
      }
      return i;
    }
    return -1;
  }
}

/** How the interpreter's failure reads in DescribeExecution and ExecutionFailed. */
function failure(error: unknown): Omit<RunOutcome, "stopDate"> {
  const e = error as { name?: string; message?: string; cause?: unknown };
  if (e?.name === "ExecutionTimeoutError")
    return {
      status: "TIMED_OUT",
      error: "States.Timeout",
      cause: "The execution ran longer than its TimeoutSeconds",
    };
  if (e?.name === "ExecutionAbortedError") return { status: "ABORTED" };
  const inner = (e?.name === "ExecutionError" ? e.cause : e) as
    | { name?: string; message?: string }
    | undefined;
  // A Fail state without Error / Cause: the interpreter's placeholders, which Step Functions does not have.
  const name = inner?.name === "FailStateError" ? undefined : inner?.name;
  const message = inner?.message === "Execution failed because of a Fail state" ? undefined : inner?.message;
  return {
    status: "FAILED",
    ...(name ? { error: name } : {}),
    ...(message !== undefined ? { cause: message } : {}),
  };
}
