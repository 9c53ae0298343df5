import { existsSync, mkdirSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import type { Logger } from "pino";
import { createActor } from "xstate";
import { executors as defaultRegistry } from "../../executors/index.js";
import type { AccountSessions } from "../aws/account-sessions.js";
import { createClientFactory } from "../aws/client-factory.js";
import { UsageError } from "../errors.js";
import type { AwsClientFactory, ExecutorDefinition } from "../executor.js";
import type { AnyJournalEvent, EventData, ExecutionMode } from "../journal/events.js";
import { applyEvent, type ExecutionState, foldEvents } from "../journal/fold.js";
import { JournalWriter, readJournal } from "../journal/journal.js";
import { engineLogPath, executionDir, journalPath, newExecutionId } from "../journal/paths.js";
import { renderDeep } from "../language/expressions.js";
import type { Runbook } from "../language/runbook.js";
import { AbortWatcher } from "./abort-watcher.js";
import type { GateKeeperOptions } from "./approvals.js";
import { createEngineLogger } from "./engine-logger.js";
import { type ApprovalIdentity, createGateKeeper } from "./gates.js";
import { acquireLock } from "./lock.js";
import { createRunbookMachine, interruptOpenIntents } from "./machine.js";
import { missedMilestones } from "./missed-milestones.js";
import { describePlan } from "./plan.js";
import { Redactor } from "./redact.js";
import { Runtime } from "./runtime.js";

declare const __RUNBOOK_VERSION__: string;
const ENGINE_VERSION = typeof __RUNBOOK_VERSION__ === "string" ? __RUNBOOK_VERSION__ : "dev";

export interface EngineOptions {
  home: string;
  /** Where relative paths in steps resolve (recorded at start; resume reuses it). */
  workdir: string;
  /** The `--env` environment: its values (`vars`), its file (recorded for resume) and what chose it. */
  environment?: { name: string; file: string; vars: Record<string, unknown>; source?: string };
  env: Record<string, string | undefined>;
  operator: string;
  autoApprove: boolean;
  prompt?: GateKeeperOptions["prompt"];
  onWaiting?: GateKeeperOptions["onWaiting"];
  onEvent?: (e: AnyJournalEvent) => void;
  /** What a running step waits for right now (`ctx.progress`): for live views, never journaled. */
  onProgress?: (stepId: string, message: string) => void;
  registry?: ReadonlyMap<string, ExecutorDefinition>;
  aws?: AwsClientFactory;
  /** Clients per account (the environment's roles); each execution names its own role sessions. */
  sessions?: AccountSessions;
  clock?: () => Date;
  random?: () => number;
  approvalPollMs?: number;
  /** How approvers prove who they are (gates.ts); absent: names, and a gate naming an ARN never opens. */
  approvals?: ApprovalIdentity;
  /** Stop at the next safe point (between steps), leaving a resumable execution. */
  stop?: AbortSignal;
}

export interface ExecutionOutcome {
  executionId: string;
  status: "completed" | "failed" | "aborted" | "paused";
  state: ExecutionState;
}

export interface StartRequest {
  inputs: Record<string, string>;
  declaredAt?: Date;
  mode?: ExecutionMode;
}

/** Start a new execution of a validated runbook with resolved inputs. */
export async function startExecution(
  runbook: Runbook,
  req: StartRequest,
  o: EngineOptions,
): Promise<ExecutionOutcome> {
  const clock = o.clock ?? (() => new Date());
  const now = clock();
  const executionId = newExecutionId(runbook.name, now);
  const lock = acquireLock(o.home, runbook.name, executionId, now);
  try {
    mkdirSync(executionDir(o.home, executionId), { recursive: true });
    const journal = JournalWriter.create(journalPath(o.home, executionId), clock);
    const redactor = redactorFor(runbook, req.inputs, o.env);
    const started = journal.append(
      "execution.started",
      redactor.value(startedEventData(runbook, executionId, req, o, now)),
    );
    o.onEvent?.(started);
    const events: AnyJournalEvent[] = [started];
    if (lock.tookOverFrom) {
      const e = journal.append("lock.takenOver", { previous: lock.tookOverFrom });
      o.onEvent?.(e);
      events.push(e);
    }
    // Secret inputs are masked in the journal, so resume needs them again from the caller.
    return await drive(runbook, executionId, journal, foldEvents(events)!, req.inputs, o, redactor);
  } finally {
    lock.release();
  }
}

/** What `execution.started` records, whichever engine runs the steps (redact it before journaling). */
export function startedEventData(
  runbook: Runbook,
  executionId: string,
  req: StartRequest,
  o: Pick<EngineOptions, "environment" | "operator" | "workdir" | "registry">,
  now: Date,
): EventData["execution.started"] {
  return {
    executionId,
    runbook: {
      name: runbook.name,
      file: runbook.file,
      sourceSha256: runbook.sourceSha256,
      ...(runbook.description ? { description: runbook.description } : {}),
    },
    environment: o.environment?.name ?? runbook.environment,
    ...(o.environment ? { environmentFile: o.environment.file } : {}),
    ...(o.environment?.source ? { environmentSource: o.environment.source } : {}),
    mode: req.mode ?? "run",
    objectives: runbook.objectives,
    inputs: maskSecretInputs(runbook, req.inputs),
    steps: describePlan(runbook, o.registry ?? defaultRegistry),
    abortCriteria: runbook.abort.map((a) => ({
      id: a.id,
      type: a.probe.type,
      everyMs: a.everyMs,
      ...(a.during ? { during: a.during } : {}),
    })),
    operator: o.operator,
    host: hostname(),
    pid: process.pid,
    declaredAt: (req.declaredAt ?? now).toISOString(),
    workdir: o.workdir,
    engineVersion: ENGINE_VERSION,
    runbookIr: runbook,
  };
}

export interface ResumeRequest {
  /** Steps left in doubt that the operator wants run again. */
  rerun?: string[];
  /** Steps left in doubt that the operator states are done. */
  assumeDone?: string[];
  /** Values for secret inputs, which the journal does not keep. */
  secretInputs?: Record<string, string>;
}

/** Continue an execution from its journal: finished steps are not repeated, doubtful ones are checked. */
export async function resumeExecution(
  executionId: string,
  req: ResumeRequest,
  o: EngineOptions,
): Promise<ExecutionOutcome> {
  const path = journalPath(o.home, executionId);
  if (!existsSync(path))
    throw new UsageError(`no execution "${executionId}"`, "List executions with: runbook list");
  const prior = foldEvents(readJournal(path).events);
  if (!prior) throw new UsageError(`execution "${executionId}" has no start event; its journal is unusable`);
  if (prior.status === "completed" || prior.status === "aborted") {
    return { executionId, status: prior.status, state: prior };
  }
  const clock = o.clock ?? (() => new Date());
  const runbook = prior.runbookIr as Runbook;
  const lock = acquireLock(o.home, runbook.name, executionId, clock());
  try {
    const { writer, events } = JournalWriter.reopen(path, clock);
    const append = (e: AnyJournalEvent) => {
      events.push(e);
      o.onEvent?.(e);
    };
    if (lock.tookOverFrom) append(writer.append("lock.takenOver", { previous: lock.tookOverFrom }));
    append(writer.append("execution.resumed", { operator: o.operator, host: hostname(), pid: process.pid }));
    for (const stepId of req.assumeDone ?? []) {
      const st = prior.steps.get(stepId);
      if (!st?.inDoubt) {
        throw new UsageError(
          `step "${stepId}" is not in doubt; --assume-done is only for steps a crash interrupted`,
        );
      }
      const data = {
        attempt: st.attempts,
        outputs: {},
        durationMs: 0,
        alreadyInPlace: true,
        assumedBy: o.operator,
      };
      append(writer.append("step.succeeded", data, stepId));
    }
    let state = foldEvents(events)!;
    for (const m of missedMilestones(runbook, state)) {
      const e = writer.append("milestone", m.data, m.stepId) as AnyJournalEvent;
      append(e);
      state = applyEvent(state, e)!;
    }
    const inputs = { ...prior.inputs, ...req.secretInputs };
    const redactor = redactorFor(runbook, inputs, o.env);
    return await drive(
      runbook,
      executionId,
      writer,
      state,
      inputs,
      { ...o, workdir: prior.workdir, rerun: req.rerun ?? [] },
      redactor,
    );
  } finally {
    lock.release();
  }
}

async function drive(
  runbook: Runbook,
  executionId: string,
  journal: JournalWriter,
  initial: ExecutionState,
  inputs: Record<string, string>,
  o: EngineOptions & { rerun?: string[] },
  redactor: Redactor,
): Promise<ExecutionOutcome> {
  const logger = createEngineLogger(engineLogPath(o.home, executionId), executionId, redactor);
  const aws = o.aws ?? createClientFactory();
  // Role sessions named operator + execution id, so CloudTrail ties each call to this run.
  const sessions = o.sessions?.forExecution(executionId);
  const rt = new Runtime(runbook, executionId, journal, initial, {
    registry: o.registry ?? defaultRegistry,
    inputs,
    env: o.env,
    redactor,
    logger,
    aws,
    ...(sessions ? { sessions } : {}),
    clock: o.clock ?? (() => new Date()),
    random: o.random ?? Math.random,
    workdir: o.workdir,
    vars: o.environment?.vars ?? {},
    executionDir: executionDir(o.home, executionId),
    ...(o.onEvent ? { onEvent: o.onEvent } : {}),
    ...(o.onProgress ? { onProgress: o.onProgress } : {}),
    ...(o.rerun ? { rerun: o.rerun } : {}),
    ...(o.stop ? { stop: o.stop } : {}),
  });
  rt.gates = createGateKeeper(rt, initial, o, aws);

  const machine = createRunbookMachine(rt);
  const actor = createActor(machine);
  const activeSteps = (): Set<string> => collectActive(actor.getSnapshot().value, rt);
  const watcher = new AbortWatcher({
    criteria: runbook.abort,
    isActive: (c) => {
      const snap = actor.getSnapshot();
      if (snap.status !== "active" || !snap.matches("main")) return false;
      if (!c.during) return true;
      const active = activeSteps();
      return c.during.some((id) => active.has(id));
    },
    probe: async (c, signal) => {
      const executor = rt.deps.registry.get(c.probe.type)!;
      const params = executor.params.parse(renderDeep(c.probe.with, rt.scope()));
      try {
        await executor.run(params, {
          executionId,
          stepId: `abort:${c.id}`,
          attempt: 1,
          signal,
          logger: logger.child({ probe: c.id }),
          now: rt.deps.clock,
          cwd: o.workdir,
          scratchDir: join(executionDir(o.home, executionId), "probes", c.id),
          env: o.env,
          secrets: () => redactor.list(),
          aws: rt.awsFor(rt.accountOf(c.probe)),
          milestone: () => undefined,
          measure: () => undefined,
          progress: () => undefined,
          requestApproval: () => Promise.reject(new Error("abort probes cannot ask for approval")),
        });
        return { ok: true };
      } catch (err) {
        return { ok: false, reason: (err as Error).message };
      }
    },
    fire: (c, reason, stepId) =>
      actor.send({ type: "ABORT", criterion: c.id, reason, ...(stepId ? { stepId } : {}) }),
  });
  rt.watcher = watcher;

  try {
    const final = await new Promise<string>((resolve, reject) => {
      actor.subscribe({
        next: (snap) => {
          if (snap.status === "done") resolve(String(snap.value));
        },
        error: reject,
      });
      actor.start();
      watcher.start();
    });
    watcher.stop();
    const status = final as ExecutionOutcome["status"];
    if (status === "completed") rt.record("execution.completed", {});
    else if (status === "failed") {
      interruptOpenIntents(rt, `cancelled: step "${rt.failure?.stepId}" failed`);
      rt.record("execution.failed", {
        ...(rt.failure ? { stepId: rt.failure.stepId } : {}),
        message: rt.failure?.message ?? "failed",
      });
    } else if (status === "aborted") {
      interruptOpenIntents(rt, "cancelled: execution aborted");
      rt.record("execution.aborted", {
        reason: rt.live.abort?.reason ?? "aborted",
        ...(rt.live.abort?.criterion ? { criterion: rt.live.abort.criterion } : {}),
      });
    }
    return { executionId, status, state: rt.live };
  } finally {
    watcher.stop();
    actor.stop();
    journal.close();
    sessions?.destroy();
    if (!o.aws) (aws as { destroy?: () => void }).destroy?.();
    logger.flush();
  }
}

/** Executor steps whose state is active and not yet finished, from the machine's state value. */
function collectActive(value: unknown, rt: Runtime, out = new Set<string>()): Set<string> {
  if (value && typeof value === "object") {
    for (const [key, sub] of Object.entries(value)) {
      if (rt.stepsById.has(key) && sub !== "$ok") out.add(key);
      collectActive(sub, rt, out);
    }
  }
  return out;
}

function redactorFor(
  runbook: Runbook,
  inputs: Record<string, string>,
  env: Record<string, string | undefined>,
): Redactor {
  const r = new Redactor();
  r.addSensitiveEnv(env);
  for (const [name, spec] of Object.entries(runbook.inputs)) if (spec.secret) r.addSecret(inputs[name]);
  return r;
}

function maskSecretInputs(runbook: Runbook, inputs: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(inputs).map(([k, v]) => [k, runbook.inputs[k]?.secret ? "***" : v]),
  );
}

export type { Logger };
