import { mkdirSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { environmentClientFactory } from "../aws/client-factory.js";
import { type Environment, loadEnvironment } from "../environment/environment.js";
import { UsageError } from "../errors.js";
import { closest } from "../language/issues.js";
import { loadRunbook } from "../language/load.js";
import type { Runbook } from "../language/runbook.js";
import { SourceMap } from "../language/source-map.js";
import { readSourceText } from "../language/source-text.js";
import { chooseEnvironment } from "../project/project-config.js";
import { allStates } from "../stepfunctions/asl.js";
import { exportStateMachine } from "../stepfunctions/export-definition.js";
import { recoveryRegion } from "../stepfunctions/export-names.js";
import { HISTORY_HARD_LIMIT } from "../stepfunctions/history-estimate.js";
import { stateMachinePolicies } from "../stepfunctions/state-machine-policy.js";
import { homeOf } from "./executions.js";
import { type CommandIO, writeLine } from "./io.js";

export interface ExportCommandOptions {
  env?: string;
  target?: string;
  output?: string;
  region?: string;
}

export const EXPORT_TARGETS = ["stepfunctions"] as const;

/**
 * `runbook export <runbook> --target stepfunctions`: the runbook as a Step Functions state
 * machine (`<name>.asl.json`), the manifest mapping its states to steps (`.manifest.json`) and
 * the policies of its three roles (`.policies.json`). Changes nothing in AWS; the only call it
 * may make is STS GetCallerIdentity, when neither environment nor runbook names the account.
 */
export async function exportCommand(arg: string, opts: ExportCommandOptions, io: CommandIO): Promise<number> {
  const target = opts.target;
  if (target !== "stepfunctions") {
    const near = target ? closest(target, EXPORT_TARGETS) : undefined;
    throw new UsageError(
      `${target ? `unknown target "${target}"${near ? ` (did you mean "${near}"?)` : ""}` : "export needs --target"}: use one of ${EXPORT_TARGETS.join(", ")}`,
      `Example: runbook export ${arg} --env <name> --target stepfunctions`,
    );
  }
  const runbook = loadRunbook(arg, io.cwd);
  const sourceMap = new SourceMap(runbook.file, readSourceText(runbook.file));
  const choice = chooseEnvironment(opts.env, io);
  if (!choice)
    throw new UsageError(
      "export needs an environment (its vars, accounts and recovery region are in the machine): pass --env <name>, set RUNBOOK_ENV, or set defaultEnvironment in runbook.config.yaml",
    );
  const environment = loadEnvironment(choice.name, io.cwd, homeOf(io), io.env);
  const region = recoveryRegion(environment, opts.region);
  const accountId = await accountOf(runbook, environment);
  const { definition, manifest } = exportStateMachine(runbook, environment, { region, accountId, sourceMap });
  const policies = stateMachinePolicies(runbook, environment, { region, accountId, definition });

  const dir = opts.output ? resolve(io.cwd, opts.output) : join(homeOf(io), "export", runbook.name);
  mkdirSync(dir, { recursive: true });
  const files = [
    [`${runbook.name}.asl.json`, definition],
    [`${runbook.name}.manifest.json`, manifest],
    [`${runbook.name}.policies.json`, policies],
  ] as const;
  for (const [name, value] of files) writeFileSync(join(dir, name), `${JSON.stringify(value, null, 2)}\n`);

  const states = allStates(definition);
  const tasks = states.filter(([, s]) => s.Type === "Task");
  const count = (kind: string, type = "Task") =>
    states.filter(([n, s]) => s.Type === type && manifest.states[n]?.kind === kind).length;
  const top = manifest.historyEstimate.loops[0];
  // Relative where that is shorter to read (under the working directory), else absolute.
  const shown = (p: string) => {
    const r = relative(io.cwd, p);
    return r && !r.startsWith("..") ? r : p;
  };
  writeLine(
    io.stdout,
    `Exported ${runbook.name} for ${environment.name} to Step Functions: state machine ${manifest.stateMachineName} in ${region}, account ${accountId}`,
  );
  writeLine(
    io.stdout,
    `  ${states.length} states: ${tasks.length} Tasks (${count("step")} steps, ${count("gate")} gates, ${count("probe")} abort probes), ${count("guard", "Parallel")} guards, ${count("milestone", "Pass")} milestones`,
  );
  writeLine(
    io.stdout,
    `  history: at most ${manifest.historyEstimate.worstCase.toLocaleString("en-US")} events of the ${HISTORY_HARD_LIMIT.toLocaleString("en-US")} an execution may write${top ? ` (costliest loop: ${top.state}, ${top.events.toLocaleString("en-US")})` : ""}`,
  );
  for (const [name] of files) writeLine(io.stdout, `  wrote ${shown(join(dir, name))}`);
  return 0;
}

/** The account the machine goes to: the environment's (first) account, the runbook's, else the caller's. */
async function accountOf(runbook: Runbook, env: Environment): Promise<string> {
  const named = env.accounts?.[0] ?? runbook.accounts?.[0];
  if (named) return named;
  const aws = environmentClientFactory(env);
  try {
    const { GetCallerIdentityCommand } = await import("@aws-sdk/client-sts");
    const sts = await aws.client("sts", env.aws.region);
    const { Account } = await sts.send(new GetCallerIdentityCommand({}));
    if (Account) return Account;
    throw new Error("STS named no account");
  } catch (err) {
    throw new UsageError(
      `export needs the AWS account the machine goes to, and environment ${env.name} names none (metadata.accounts); STS GetCallerIdentity did not answer: ${(err as Error).message}`,
      `Add metadata.accounts: ["<12-digit id>"] to ${env.file}, or run where AWS credentials are available`,
    );
  } finally {
    aws.destroy();
  }
}
