import { dirname } from "node:path";
import { executors } from "../../executors/index.js";
import { type AccountSessions, createAccountSessions } from "../aws/account-sessions.js";
import { type ClientFactoryOptions, createClientFactory } from "../aws/client-factory.js";
import { guardAccounts } from "../engine/account-guard.js";
import { type ApprovalIdentity, approvalIdentityFor } from "../engine/gates.js";
import { resolveIdentity } from "../engine/identity.js";
import { type Environment, loadEnvironment } from "../environment/environment.js";
import { UsageError } from "../errors.js";
import type { AwsClientFactory } from "../executor.js";
import { collectRefs, findTemplates, parseTemplate } from "../language/expressions.js";
import { executorSteps, type Runbook } from "../language/runbook.js";
import { type EnvironmentChoice, projectWorkdir } from "../project/project-config.js";
import { homeOf } from "./executions.js";
import { type CommandIO, writeLine } from "./io.js";
import type { RunOutput } from "./live-view.js";

/**
 * Everything a run needs before its first step, checked before anything is touched: the
 * environment, every `vars.*` the runbook reads, the AWS account, and who is acting.
 */
export interface Prepared {
  environment?: Environment;
  /** What chose the environment (`--env`, `$RUNBOOK_ENV`, the project config): journaled. */
  environmentSource?: string;
  /** The base credentials' clients; `destroy()` closes the sessions' too. */
  aws: AwsClientFactory & { destroy(): void };
  /** Clients per account (assumed roles of the environment), checked by the account guard. */
  sessions: AccountSessions;
  operator: string;
  /** How approvers prove who they are, and at which STS (engine/gates.ts). */
  approvals: ApprovalIdentity;
}

export async function prepare(
  runbook: Runbook,
  choice: EnvironmentChoice | undefined,
  io: Pick<CommandIO, "cwd" | "env">,
): Promise<Prepared> {
  const environment = choice ? loadEnvironment(choice.name, io.cwd, homeOf(io), io.env) : undefined;
  const missing = [...usedVars(runbook)].filter((v) => !Object.hasOwn(environment?.vars ?? {}, v));
  if (missing.length) {
    throw new UsageError(
      `runbook ${runbook.name} reads vars ${missing.join(", ")}, which ${environment ? `environment ${environment.name} does not define` : "come from an environment: pass --env <name>, set RUNBOOK_ENV, or set defaultEnvironment in runbook.config.yaml"}`,
      environment
        ? `Add them under vars: in ${environment.file}`
        : "Environments live in environments/<name>.yaml",
    );
  }
  const client: ClientFactoryOptions = {
    // An SDK client package installed beside the runbook is found first, as validation found it.
    projectDir: dirname(runbook.file),
    ...(environment ? { endpoints: environment.aws.endpoints } : {}),
    ...(environment?.aws.credentials ? { credentials: environment.aws.credentials } : {}),
  };
  const base = createClientFactory(client);
  let sessions: AccountSessions | undefined;
  try {
    const region = environment?.aws.region ?? io.env.AWS_REGION ?? io.env.AWS_DEFAULT_REGION ?? "us-east-1";
    // Who acts comes first: it names the role sessions the guard opens.
    const operator = await resolveIdentity(
      io.env,
      environment?.aws.credentials ? { aws: base, region } : undefined,
    );
    sessions = createAccountSessions({
      client,
      base,
      region,
      operator,
      ...(environment
        ? { accounts: environment.aws.accounts, roles: environment.aws.roles, environment: environment.name }
        : {}),
    });
    await guardAccounts(
      runbook,
      executors,
      {
        ...(runbook.accounts ? { runbook: runbook.accounts } : {}),
        ...(environment?.accounts ? { environment: environment.accounts } : {}),
      },
      sessions,
      { inputs: {}, steps: {}, env: io.env, vars: environment?.vars ?? {} },
    );
    const owned = sessions;
    const aws = {
      client: base.client,
      call: base.call,
      destroy() {
        owned.destroy();
        base.destroy();
      },
    };
    return {
      ...(environment ? { environment, ...(choice ? { environmentSource: choice.source } : {}) } : {}),
      aws,
      sessions,
      operator,
      approvals: approvalIdentityFor(runbook, environment, region),
    };
  } catch (err) {
    sessions?.destroy();
    base.destroy();
    throw err;
  }
}

/** Names of `vars.*` read anywhere in the runbook. */
function usedVars(runbook: Runbook): Set<string> {
  const values = [
    ...[...executorSteps(runbook.steps), ...runbook.onAbort].flatMap((s) => [s.with, s.when]),
    ...runbook.steps.map((s) => s.when),
    ...runbook.abort.map((a) => a.probe.with),
  ];
  const names = new Set<string>();
  for (const t of values.flatMap((v) => findTemplates(v))) {
    for (const part of parseTemplate(t.text)) {
      if ("expr" in part)
        for (const ref of collectRefs(part.expr)) if (ref[0] === "vars" && ref[1]) names.add(ref[1]);
    }
  }
  return names;
}

/** The engine options preparation decides: where it runs, as whom, with which AWS clients and values. */
export function engineBase(p: Prepared, ctx: Pick<CommandIO, "cwd" | "env">) {
  return {
    home: homeOf(ctx),
    // In a project (runbook.config.yaml), commands' relative paths mean the same wherever the
    // operator stands in the checkout: they resolve against the project's root.
    workdir: projectWorkdir(ctx.cwd),
    env: ctx.env,
    aws: p.aws,
    sessions: p.sessions,
    operator: p.operator,
    approvals: p.approvals,
    ...(p.environment
      ? {
          environment: {
            name: p.environment.name,
            file: p.environment.file,
            vars: p.environment.vars,
            ...(p.environmentSource ? { source: p.environmentSource } : {}),
          },
        }
      : {}),
  };
}

/**
 * What `run` and `resume` add for an operator at the keyboard: Ctrl-C stops before the next
 * step, events go to their view, gates prompt on a terminal and say who else can approve.
 */
export function attendedEngineOptions(p: Prepared, io: CommandIO, out: RunOutput, approve: boolean) {
  const stop = io.trapInterrupts?.(
    "Ctrl-C: stopping before the next step (the current one finishes). Ctrl-C again stops at once; runbook resume continues either way.",
  );
  return {
    ...engineBase(p, io),
    ...(stop ? { stop } : {}),
    autoApprove: approve,
    onEvent: out.onEvent,
    onProgress: out.onProgress,
    ...(out.live ? { prompt: out.prompt } : {}),
    onWaiting: (stepId: string, have: string[], needed: number) =>
      writeLine(
        io.stderr,
        `waiting at gate ${stepId}: ${have.length}/${needed} approvals (${have.join(", ") || "none"}); another approver runs: runbook approve ${out.executionId} --step ${stepId}`,
      ),
  };
}
