import { existsSync } from "node:fs";
import type { LambdaClient } from "@aws-sdk/client-lambda";
import type { SFNClient } from "@aws-sdk/client-sfn";
import { type createClientFactory, environmentClientFactory } from "../aws/client-factory.js";
import { stsTarget } from "../aws/identity-proof.js";
import { type Environment, loadEnvironment } from "../environment/environment.js";
import { UsageError } from "../errors.js";
import type { StepFunctionsEngine } from "../journal/events.js";
import { foldEvents } from "../journal/fold.js";
import { readJournal } from "../journal/journal.js";
import { journalPath } from "../journal/paths.js";
import { chooseEnvironment } from "../project/project-config.js";
import { exportNames, functionArn, recoveryRegion, stateMachineArn } from "../stepfunctions/export-names.js";
import { followExecution } from "../stepfunctions/follow-execution.js";
import { approverCredentials } from "./approve.js";
import { homeOf } from "./executions.js";
import type { CommandIO } from "./io.js";
import { RunOutput } from "./live-view.js";
import { settleFollowed } from "./outcome.js";
import { gateAnswerer } from "./run-stepfunctions.js";

export interface FollowCommandOptions {
  env?: string;
  region?: string;
  approve?: boolean;
  json?: boolean;
}

/**
 * `runbook follow <execution-id>`: pick up a Step Functions execution from any machine with
 * credentials: its history is imported into this machine's journal from where the journal
 * ends (or from the start, when this machine has none), then followed until it ends.
 */
export async function followCommand(id: string, opts: FollowCommandOptions, io: CommandIO): Promise<number> {
  const home = homeOf(io);
  const path = journalPath(home, id);
  const journaled = existsSync(path) ? foldEvents(readJournal(path).events) : undefined;
  if (journaled && !journaled.engine)
    throw new UsageError(
      `execution ${id} ran on this machine's engine, not on Step Functions: there is nothing to follow`,
      `Continue it with: runbook resume ${id}`,
    );
  const choice =
    chooseEnvironment(opts.env, io) ??
    (journaled?.environmentFile ? { name: journaled.environmentFile, source: "the journal" } : undefined);
  if (!choice)
    throw new UsageError(
      `which environment is ${id} deployed in? This machine has no journal of it`,
      `Pass it: runbook follow ${id} --env <name>`,
    );
  const environment = loadEnvironment(choice.name, io.cwd, home, io.env);
  const factory = environmentClientFactory(environment);
  try {
    const engine = journaled?.engine ?? (await locate(id, environment, opts.region, factory));
    const sfn = (await factory.client("sfn", engine.region)) as unknown as SFNClient;
    const lambda = (await factory.client("lambda", engine.region)) as unknown as LambdaClient;
    const out = new RunOutput(io, Boolean(opts.json));
    const stop = io.trapInterrupts?.("Ctrl-C: no longer following; the execution goes on in Step Functions.");
    try {
      const outcome = await followExecution({
        sfn,
        home,
        executionId: id,
        engine,
        vars: environment.vars,
        onEvent: out.onEvent,
        ...(stop ? { stop } : {}),
        onGate: gateAnswerer(
          lambda,
          Boolean(opts.approve),
          io,
          () => id,
          environment.aws.credentials ?? approverCredentials(io.env),
        ),
      });
      out.stop();
      return settleFollowed(outcome, io, Boolean(opts.json));
    } finally {
      out.stop();
    }
  } finally {
    factory.destroy?.();
  }
}

/** Where an execution this machine never saw runs: its runbook's machine in the environment's recovery region. */
async function locate(
  id: string,
  environment: Environment,
  region: string | undefined,
  factory: ReturnType<typeof createClientFactory>,
): Promise<StepFunctionsEngine> {
  const runbook = /^(.+)-\d{8}T\d{6}Z-[0-9a-f]{4}$/.exec(id)?.[1];
  if (!runbook)
    throw new UsageError(
      `"${id}" is not an execution id (<runbook>-<yyyymmddThhmmssZ>-<hex>); runbook list --stepfunctions shows them`,
    );
  const where = recoveryRegion(environment, region);
  const { GetCallerIdentityCommand } = await import("@aws-sdk/client-sts");
  const sts = (await factory.client("sts", where)) as unknown as {
    send(c: unknown): Promise<{ Account?: string }>;
  };
  const account = (await sts.send(new GetCallerIdentityCommand({}))).Account ?? "";
  const names = exportNames(runbook);
  const machine = stateMachineArn(where, account, names.stateMachine);
  return {
    kind: "stepfunctions",
    region: where,
    stateMachineArn: machine,
    executionArn: `${machine.replace(":stateMachine:", ":execution:")}:${id}`,
    approvalsFunctionArn: functionArn(where, account, names.functions.approvals),
    sts: stsTarget({ region: where, endpoints: environment.aws.endpoints }),
  };
}
