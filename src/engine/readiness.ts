import type { Logger } from "pino";
import type { AccountSessions } from "../aws/account-sessions.js";
import {
  type AwsClientFactory,
  classifyError,
  type ExecutorContext,
  type ExecutorDefinition,
} from "../executor.js";
import {
  collectRefs,
  findTemplates,
  parseTemplate,
  renderDeep,
  type Scope,
} from "../language/expressions.js";
import { type ExecutorStepIR, executorSteps, type Runbook } from "../language/runbook.js";
import { renderAccountRef } from "./step-accounts.js";

/**
 * Would a failover work right now? Read-only probes run for real; steps with side effects
 * only answer their read-only `check` (is the end state already there?); nothing is ever
 * changed. Abort criteria are probed once: one that would fire now means not ready.
 */

export type Readiness = "ready" | "not-ready" | "warning" | "skipped";

export interface ReadinessRow {
  id: string;
  kind: "probe" | "check" | "abort-criterion" | "skipped";
  type: string;
  status: Readiness;
  detail: string;
}

export interface ReadinessReport {
  runbook: string;
  ready: boolean;
  rows: ReadinessRow[];
  checkedAt: string;
}

export interface ReadinessOptions {
  registry: ReadonlyMap<string, ExecutorDefinition>;
  scope: Scope;
  aws: AwsClientFactory;
  /** Clients per account: a step that names its `account:` is checked through that account's role. */
  sessions?: Pick<AccountSessions, "factoryFor">;
  logger: Logger;
  workdir: string;
  scratchDir: string;
  now?: () => Date;
  timeoutMs?: number;
}

export async function checkReadiness(runbook: Runbook, o: ReadinessOptions): Promise<ReadinessReport> {
  const steps = executorSteps(runbook.steps);
  // Probes before the first step that changes something are pre-checks; later ones validate
  // the failover's result and cannot pass before it has happened.
  const quiet = new Set(["approval", "note", "wait"]);
  const firstEffect = steps.findIndex((s) => !quiet.has(s.type) && !o.registry.get(s.type)?.readOnly);
  const rows = await Promise.all([
    ...steps.map((s, i) =>
      firstEffect >= 0 && i > firstEffect && o.registry.get(s.type)?.readOnly
        ? Promise.resolve<ReadinessRow>({
            id: s.id,
            kind: "skipped",
            type: s.type,
            status: "skipped",
            detail: `validates the result after ${steps[firstEffect]!.id}; not a pre-check`,
          })
        : checkStep(s, o),
    ),
    ...runbook.abort.map(async (a): Promise<ReadinessRow> => {
      const executor = o.registry.get(a.probe.type)!;
      const base = { id: a.id, kind: "abort-criterion" as const, type: a.probe.type };
      try {
        await executor.run(
          executor.params.parse(renderDeep(a.probe.with, o.scope)),
          context(o, a.id, a.probe.account),
        );
        return { ...base, status: "ready", detail: "would not fire now" };
      } catch (err) {
        return { ...base, status: "not-ready", detail: `would fire now: ${classifyError(err).message}` };
      }
    }),
  ]);
  return {
    runbook: runbook.name,
    ready: rows.every((r) => r.status !== "not-ready"),
    rows,
    checkedAt: (o.now?.() ?? new Date()).toISOString(),
  };
}

async function checkStep(step: ExecutorStepIR, o: ReadinessOptions): Promise<ReadinessRow> {
  const executor = o.registry.get(step.type)!;
  const base = { id: step.id, type: step.type };
  const dependsOn = stepRefs(step.with);
  if (dependsOn.length)
    return {
      ...base,
      kind: "skipped",
      status: "skipped",
      detail: `needs outputs of ${dependsOn.join(", ")}`,
    };
  if (!executor.readOnly && !executor.check)
    return { ...base, kind: "skipped", status: "skipped", detail: "nothing to check before it runs" };
  const parsed = executor.params.safeParse(renderDeep(step.with, o.scope));
  if (!parsed.success) {
    return {
      ...base,
      kind: "check",
      status: "not-ready",
      detail: `params: ${parsed.error.issues[0]?.message ?? "invalid"}`,
    };
  }
  const ctx = context(o, step.id, step.account);
  if (executor.readOnly) {
    try {
      await executor.run(parsed.data, ctx);
      return { ...base, kind: "probe", status: "ready", detail: "passes now" };
    } catch (err) {
      return { ...base, kind: "probe", status: "not-ready", detail: classifyError(err).message };
    }
  }
  try {
    const r = await executor.check!(parsed.data, ctx);
    if (r === undefined) return { ...base, kind: "skipped", status: "skipped", detail: "no check available" };
    return r.inPlace
      ? {
          ...base,
          kind: "check",
          status: "warning",
          detail: `already in place: ${r.detail ?? ""} (has this failover already run?)`,
        }
      : { ...base, kind: "check", status: "ready", detail: `reachable, will act: ${r.detail ?? ""}` };
  } catch (err) {
    return {
      ...base,
      kind: "check",
      status: "not-ready",
      detail: `cannot check: ${classifyError(err).message}`,
    };
  }
}

function stepRefs(value: unknown): string[] {
  const ids = new Set<string>();
  for (const t of findTemplates(value)) {
    for (const part of parseTemplate(t.text)) {
      if ("expr" in part) for (const r of collectRefs(part.expr)) if (r[0] === "steps" && r[1]) ids.add(r[1]);
    }
  }
  return [...ids];
}

function context(o: ReadinessOptions, id: string, account: string | undefined): ExecutorContext {
  return {
    executionId: "readiness-check",
    stepId: id,
    attempt: 1,
    signal: AbortSignal.timeout(o.timeoutMs ?? 15_000),
    logger: o.logger.child({ check: id }),
    now: o.now ?? (() => new Date()),
    cwd: o.workdir,
    scratchDir: o.scratchDir,
    env: o.scope.env,
    aws: o.sessions ? o.sessions.factoryFor(renderAccountRef(account, o.scope)) : o.aws,
    milestone: () => undefined,
    measure: () => undefined,
    progress: () => undefined,
    requestApproval: () => Promise.reject(new Error("a readiness check never asks for approval")),
  };
}
