import type { Logger } from "pino";
import type { AccountSessions } from "../../aws/account-sessions.js";
import { countCalls } from "../../aws/counted-calls.js";
import { Redactor } from "../../engine/redact.js";
import { renderAccountRef } from "../../engine/step-accounts.js";
import { UsageError } from "../../errors.js";
import { type ExecutorDefinition, fatal } from "../../executor.js";
import { renderDeep, type Scope } from "../../language/expressions.js";
import { type ExecutorStepIR, executorSteps } from "../../language/runbook.js";
import type { FunctionConfig } from "./function-config.js";
import { checkState, scopeFromState } from "./run-scope.js";
import type { ProbeEvent, ProbeResult, StepEvent, StepResult } from "./runner-contract.js";
import { fatalPayload, RunnerError, stepFailure } from "./runner-error.js";
import { type Collected, classify, deadlineSignal, makeContext } from "./step-context.js";

/**
 * The `steps` function: one step of the runbook, run by our own executor code inside Step
 * Functions, in the order the local engine keeps (src/engine/step-runner.ts): render the
 * params, check them, ask `check` whether the effect is already there, and only then `run`.
 * Step Functions retries a failed Task; asking `check` first makes every retry safe.
 */

export interface RunnerDeps {
  config: FunctionConfig;
  registry: ReadonlyMap<string, ExecutorDefinition>;
  /** Clients per account, in role sessions named after the execution (`runbook+<executionId>`). */
  sessionsFor(executionId: string): AccountSessions;
  logger: Logger;
  /** Lambda's `context.getRemainingTimeInMillis`; absent, only the step's own timeout bounds it. */
  remainingMs?: () => number;
  now?: () => Date;
  /** Masks what the function knows to be secret (its own keys) in results, errors and logs. */
  redactor?: Redactor;
  /** Where steps get their scratch folders (default: the OS's temporary folder). */
  scratchRoot?: string;
}

export async function handleStep(event: StepEvent, deps: RunnerDeps): Promise<StepResult> {
  const state = checkState(event?.state);
  const step = findStep(deps.config, event.stepId);
  const executor = deps.registry.get(step.type);
  if (!executor) throw fatalPayload(`step "${step.id}": this function has no executor ${step.type}`);
  const redactor = deps.redactor ?? new Redactor();
  const now = deps.now ?? (() => new Date());
  const executionId = state.run.executionId;
  const logger = deps.logger.child({ executionId, step: step.id });
  const deadline = deadlineSignal(deps.remainingMs, step.timeoutMs);
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  let counter: ReturnType<typeof countCalls> | undefined;
  try {
    const scope = scopeFromState(state, deps.config);
    const params = renderParams(step.type, step.with, executor, scope);
    const sessions = deps.sessionsFor(executionId);
    const account = accountOf(sessions, step.account, scope, step.id);
    counter = countCalls(sessions.factoryFor(account));
    // Asked while the check runs: the result says who made the calls.
    const principal = executor.aws
      ? sessions.principalFor(account).catch(() => undefined)
      : Promise.resolve(undefined);
    const collected: Collected = { measures: {}, milestones: [] };
    const ctx = makeContext({
      executionId,
      id: step.id,
      signal: deadline.signal,
      logger,
      now,
      redactor,
      aws: counter.aws,
      scratchRoot: deps.scratchRoot,
      collected,
    });
    logger.info({ type: step.type }, "step started");
    const check = executor.check ? await executor.check(params, ctx) : undefined;
    let outputs: Record<string, unknown>;
    if (check?.inPlace) {
      outputs = check.outputs ?? {};
    } else {
      outputs = await executor.run(params, ctx);
      // A result that arrives after the deadline is not this attempt's result any more.
      if (deadline.signal.aborted) throw deadline.signal.reason;
    }
    const calls = counter.calls();
    const who = await principal;
    const result: StepResult = {
      outputs: redactor.value(outputs),
      finishedAt: now().toISOString(),
      durationMs: elapsed(),
      ...(check?.inPlace ? { alreadyInPlace: true as const } : {}),
      ...(check?.inPlace && check.detail ? { detail: redactor.string(check.detail) } : {}),
      ...(Object.keys(calls).length ? { calls } : {}),
      ...(account ? { account } : {}),
      ...(who ? { principal: who } : {}),
      measures: collected.measures,
      milestones: collected.milestones,
    };
    logger.info({ inPlace: Boolean(check?.inPlace), durationMs: result.durationMs }, "step succeeded");
    return result;
  } catch (err) {
    if (err instanceof RunnerError) throw err;
    const failure = classify(err, deadline);
    const message = redactor.string(failure.message);
    logger.warn({ class: failure.class, error: (err as Error)?.name }, message);
    throw stepFailure(failure.class, message, {
      durationMs: elapsed(),
      ...(counter ? { calls: counter.calls() } : {}),
    });
  } finally {
    deadline.clear();
  }
}

/**
 * One probe of an abort criterion, as the local watcher does it (src/engine/engine.ts): its
 * executor's `run` passing is a pass, anything thrown (bad params included) a failure; the
 * criterion trips at `failures` consecutive failures.
 */
export async function handleProbe(event: ProbeEvent, deps: RunnerDeps): Promise<ProbeResult> {
  const state = checkState(event?.state);
  const criterion = deps.config.runbookIr.abort.find((c) => c.id === event.criterion);
  if (!criterion) throw fatalPayload(`the runbook has no abort criterion "${event.criterion}"`);
  const executor = deps.registry.get(criterion.probe.type);
  if (!executor)
    throw fatalPayload(
      `abort criterion "${criterion.id}": this function has no executor ${criterion.probe.type}`,
    );
  const redactor = deps.redactor ?? new Redactor();
  const now = deps.now ?? (() => new Date());
  const executionId = state.run.executionId;
  const logger = deps.logger.child({ executionId, probe: criterion.id });
  // The watcher's bound on one probe, and the function's own.
  const deadline = deadlineSignal(deps.remainingMs, Math.max(1000, Math.min(criterion.everyMs, 30_000)));
  const previous = Number.isInteger(event.failures) && event.failures > 0 ? event.failures : 0;
  try {
    const scope = scopeFromState(state, deps.config);
    const params = executor.params.parse(renderDeep(criterion.probe.with, scope));
    const sessions = deps.sessionsFor(executionId);
    const account = accountOf(sessions, criterion.probe.account, scope, `abort:${criterion.id}`);
    await executor.run(
      params,
      makeContext({
        executionId,
        id: `abort:${criterion.id}`,
        signal: deadline.signal,
        logger,
        now,
        redactor,
        aws: sessions.factoryFor(account),
        scratchRoot: deps.scratchRoot,
        collected: { measures: {}, milestones: [] },
      }),
    );
    return { failures: 0, tripped: false };
  } catch (err) {
    const failures = previous + 1;
    const reason = redactor.string(
      deadline.signal.aborted ? classify(err, deadline).message : (err as Error).message,
    );
    const tripped = failures >= criterion.failures;
    logger.info({ failures, tripped }, reason);
    return { failures, tripped, reason };
  } finally {
    deadline.clear();
  }
}

function findStep(config: FunctionConfig, stepId: unknown): ExecutorStepIR {
  if (typeof stepId !== "string") throw fatalPayload("the payload has no stepId");
  const ir = config.runbookIr;
  const step = [...executorSteps(ir.steps), ...ir.onAbort].find((s) => s.id === stepId);
  if (!step) throw fatalPayload(`runbook ${ir.name} has no executor step "${stepId}"`);
  return step;
}

function renderParams(
  type: string,
  written: Record<string, unknown>,
  executor: ExecutorDefinition,
  scope: Scope,
): unknown {
  const parsed = executor.params.safeParse(renderDeep(written, scope));
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw fatal(`${type} params after substitution: ${issue.path.join(".") || "with"}: ${issue.message}`);
  }
  return parsed.data;
}

/** The account id a step names (alias, id or `${{ vars.x }}`); `undefined`: the function's own. */
function accountOf(
  sessions: AccountSessions,
  written: string | undefined,
  scope: Scope,
  id: string,
): string | undefined {
  try {
    return sessions.accountId(renderAccountRef(written, scope));
  } catch (err) {
    if (err instanceof UsageError) throw fatal(`step "${id}": ${err.message}`);
    throw err;
  }
}
