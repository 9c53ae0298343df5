import { executors } from "../../executors/index.js";
import { UsageError } from "../errors.js";
import { resolveRunbookPath } from "../language/load.js";
import { SourceMap } from "../language/source-map.js";
import { readSourceText } from "../language/source-text.js";
import { validateRunbook } from "../language/validate.js";
import { chooseEnvironment } from "../project/project-config.js";
import { buildFunctionZip } from "../stepfunctions/bundle/function-zip.js";
import { buildStepFunctions, desiredDeployment, secretVars } from "../stepfunctions/deploy-target.js";
import { type PlannedChange, planDeployment } from "../stepfunctions/deployment.js";
import { type CommandIO, writeLine } from "./io.js";
import { prepare } from "./prepare.js";

export interface DeployOptions {
  env?: string;
  region?: string;
  /** Show what would change and stop. */
  plan?: boolean;
}

const MARK: Record<PlannedChange["kind"], string> = { create: "+", update: "~", unchanged: "=" };

/**
 * `runbook deploy`: the runbook's state machine, its three roles and its two functions in the
 * recovery region, created or updated to match what the runbook exports now. The plan comes
 * first; a second deploy of the same runbook changes nothing.
 */
export async function deployCommand(arg: string, opts: DeployOptions, io: CommandIO): Promise<number> {
  const file = resolveRunbookPath(arg, io.cwd);
  const text = readSourceText(file);
  const runbook = validateRunbook(text, file, executors);
  // Export refusals (an untranslatable `when`, an exec step) point at file:line:col.
  const sourceMap = new SourceMap(file, text);
  const choice = chooseEnvironment(opts.env, io);
  if (!choice)
    throw new UsageError(
      "deploy needs an environment: pass --env <name>, set RUNBOOK_ENV, or set defaultEnvironment in runbook.config.yaml",
    );
  const prepared = await prepare(runbook, choice, io);
  try {
    const environment = prepared.environment!;
    const me = await prepared.sessions.identityFor(undefined);
    const build = buildStepFunctions(runbook, environment, {
      accountId: me.account,
      ...(opts.region ? { region: opts.region } : {}),
      sourceMap,
    });
    const secrets = secretVars(build, io.env);
    if (secrets.length && environment.kind !== "sandbox")
      throw new UsageError(
        `vars ${secrets.join(", ")} of environment ${environment.name} hold secret values (a credential-like variable's value, or a password in a URL); the functions' package would carry them, readable by anyone allowed lambda:GetFunction`,
        "Keep secrets out of vars for Step Functions: give the steps' database a role-based login (IAM database authentication), or run this runbook with the local engine. Nothing was deployed.",
      );
    const started = performance.now();
    writeLine(io.stderr, "bundling the executors into the functions' package (esbuild)…");
    const pkg = await buildFunctionZip(build.functionConfig);
    const desired = desiredDeployment(build, pkg);
    const clients = {
      iam: await prepared.aws.client("iam" as never, build.region),
      lambda: await prepared.aws.client("lambda", build.region),
      sfn: await prepared.aws.client("sfn", build.region),
    } as unknown as Parameters<typeof planDeployment>[1];
    const changes = await planDeployment(desired, clients);
    writeLine(
      io.stdout,
      `${opts.plan ? "Would deploy" : "Deploying"} ${runbook.name} to Step Functions in ${build.region}, account ${build.accountId} (environment ${environment.name}):`,
    );
    const width = Math.max(...changes.map((c) => `${c.resource} ${c.name}`.length));
    for (const c of changes) {
      const what = `${c.resource} ${c.name}`.padEnd(width);
      writeLine(io.stdout, `  ${MARK[c.kind]} ${what}  ${c.kind}${c.detail ? `: ${c.detail}` : ""}`);
    }
    const todo = changes.filter((c) => c.kind !== "unchanged");
    if (todo.length === 0) {
      writeLine(io.stdout, "Nothing to change: the deployed machine is this runbook's.");
      return 0;
    }
    if (opts.plan) {
      writeLine(
        io.stdout,
        `${todo.length} change(s). Apply them with: runbook deploy ${runbook.name} --env ${environment.name}`,
      );
      return 0;
    }
    for (const c of todo) {
      writeLine(io.stderr, `${c.kind === "create" ? "creating" : "updating"} ${c.resource} ${c.name}…`);
      await c.apply();
    }
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    writeLine(
      io.stdout,
      `Deployed ${todo.length} change(s) in ${seconds} s. State machine: ${build.stateMachineArn}`,
    );
    writeLine(
      io.stdout,
      `Run it: runbook run ${runbook.name} --env ${environment.name} --engine stepfunctions`,
    );
    return 0;
  } finally {
    prepared.aws.destroy();
  }
}
