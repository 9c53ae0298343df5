import type { Logger } from "pino";
import type { AccountSessions } from "../aws/account-sessions.js";
import type { CallCounter } from "../aws/counted-calls.js";
import type { AwsClientFactory, ExecutorDefinition } from "../executor.js";
import type { AnyJournalEvent, EventData, EventType } from "../journal/events.js";
import { achievedRtoMs, applyEvent, type ExecutionState, observedRpoMs } from "../journal/fold.js";
import type { JournalWriter } from "../journal/journal.js";
import type { Scope } from "../language/expressions.js";
import type { ExecutorStepIR, ParallelStepIR, Runbook } from "../language/runbook.js";
import type { AbortWatcher } from "./abort-watcher.js";
import type { GateKeeper } from "./approvals.js";
import type { Redactor } from "./redact.js";
import { renderAccountRef } from "./step-accounts.js";

/**
 * What one engine process knows while it drives an execution. Execution state is not kept
 * here: `live` is the fold of the journal this process reads and appends, nothing more.
 */
export class Runtime {
  live: ExecutionState;
  readonly stepsById = new Map<string, ExecutorStepIR | ParallelStepIR>();
  readonly onAbortIds: Set<string>;
  /** Attempts made by this process, per step: the retry budget restarts on resume. */
  readonly attemptsThisRun = new Map<string, number>();
  /** Steps whose intent is journaled and whose outcome is not yet. */
  readonly openIntents = new Map<string, number>();
  /**
   * When each step's current attempt began its own work (`performance.now()`): its check, then
   * again at its intent, so a journaled duration is the attempt's, from the same instant as the
   * line a timeline shows it starting at, and never includes abort probes or earlier attempts.
   */
  readonly attemptStartedAt = new Map<string, number>();
  /** The delay chosen for a step's next retry, journaled with its failure. */
  readonly nextBackoffMs = new Map<string, number>();
  /** Steps the operator asked to run again although a crash left them in doubt. */
  readonly rerun: Set<string>;
  /** The AWS calls of each step's current attempt, journaled with its outcome. */
  readonly callCounters = new Map<string, CallCounter>();
  /** Why the run is failing, for the terminal event. */
  failure?: { stepId: string; message: string };

  constructor(
    readonly runbook: Runbook,
    readonly executionId: string,
    private readonly journal: JournalWriter,
    initial: ExecutionState,
    readonly deps: {
      registry: ReadonlyMap<string, ExecutorDefinition>;
      inputs: Record<string, string>;
      env: Record<string, string | undefined>;
      redactor: Redactor;
      logger: Logger;
      aws: AwsClientFactory;
      /** Clients per account, sessions named after this execution; without it every call uses `aws`. */
      sessions?: AccountSessions;
      clock: () => Date;
      random: () => number;
      workdir: string;
      vars: Record<string, unknown>;
      executionDir: string;
      onEvent?: (e: AnyJournalEvent) => void;
      /** An executor's passing state, already redacted (`ctx.progress`). */
      onProgress?: (stepId: string, message: string) => void;
      rerun?: string[];
      /** Stop at the next safe point: before the next step starts. */
      stop?: AbortSignal;
    },
    public gates?: GateKeeper,
    public watcher?: AbortWatcher,
  ) {
    this.live = initial;
    for (const s of runbook.steps) {
      this.stepsById.set(s.id, s);
      if (s.kind === "parallel") for (const c of s.children) this.stepsById.set(c.id, c);
    }
    for (const s of runbook.onAbort) this.stepsById.set(s.id, s);
    this.onAbortIds = new Set(runbook.onAbort.map((s) => s.id));
    this.rerun = new Set(deps.rerun ?? []);
  }

  /** Journal first (fsync), then fold it into the live view, then tell observers. */
  record<T extends EventType>(type: T, data: EventData[T], stepId?: string, durable = true): void {
    const event = this.journal.append(
      type,
      this.deps.redactor.value(data),
      stepId,
      durable,
    ) as AnyJournalEvent;
    this.live = applyEvent(this.live, event)!;
    this.deps.onEvent?.(event);
  }

  /** The account id a step (or probe) calls into; `undefined`: the base credentials'. */
  accountOf(s: { account?: string }): string | undefined {
    const ref = renderAccountRef(s.account, this.scope());
    return this.deps.sessions ? this.deps.sessions.accountId(ref) : ref;
  }

  /** The clients of an account's session. */
  awsFor(account: string | undefined): AwsClientFactory {
    return this.deps.sessions ? this.deps.sessions.factoryFor(account) : this.deps.aws;
  }

  /**
   * What the journal says about who makes a step's calls: its account when it names one,
   * and the principal's ARN. Unknown when STS cannot say; the step's own calls will tell.
   */
  async callerOf(account: string | undefined): Promise<{ account?: string; principal?: string }> {
    const principal = await this.deps.sessions?.principalFor(account).catch(() => undefined);
    return { ...(account ? { account } : {}), ...(principal ? { principal } : {}) };
  }

  /** The calls the step's attempt made, for its outcome event (once). */
  takeCalls(stepId: string): { calls?: Record<string, number> } {
    const counter = this.callCounters.get(stepId);
    this.callCounters.delete(stepId);
    const calls = counter?.calls();
    return calls && Object.keys(calls).length ? { calls } : {};
  }

  executorStep(stepId: string): ExecutorStepIR {
    const s = this.stepsById.get(stepId);
    if (s?.kind !== "executor") throw new Error(`internal: ${stepId} is not an executor step`);
    return s;
  }

  scope(): Scope {
    const steps: Scope["steps"] = {};
    for (const [id, st] of this.live.steps) if (st.outputs) steps[id] = { outputs: st.outputs };
    const run = {
      executionId: this.executionId,
      runbook: this.runbook.name,
      environment: this.live.environment,
      mode: this.live.mode,
      rtoMs: achievedRtoMs(this.live),
      rpoMs: observedRpoMs(this.live),
    };
    return { inputs: this.deps.inputs, steps, env: this.deps.env, vars: this.deps.vars, run };
  }

  /** The journal attempt number of the attempt now starting. */
  attemptNumber(stepId: string): number {
    return (this.live.steps.get(stepId)?.attempts ?? 0) + 1;
  }

  /** Milliseconds since the step's current attempt began (see `attemptStartedAt`); 0 when none has. */
  attemptElapsedMs(stepId: string): number {
    const started = this.attemptStartedAt.get(stepId);
    return started === undefined ? 0 : Math.round(performance.now() - started);
  }

  pointOfNoReturnPassed(): boolean {
    return [...this.stepsById.values()].some(
      (s) => s.kind === "executor" && s.pointOfNoReturn && (this.live.steps.get(s.id)?.attempts ?? 0) > 0,
    );
  }

  now(): Date {
    return this.deps.clock();
  }
}
