import type { LambdaClient } from "@aws-sdk/client-lambda";
import type { SFNClient } from "@aws-sdk/client-sfn";
import type { Credentials } from "../aws/identity-proof.js";
import type { StartRequest } from "../engine/engine.js";
import { Redactor } from "../engine/redact.js";
import { UsageError } from "../errors.js";
import type { EventData } from "../journal/events.js";
import type { ExecutionState } from "../journal/fold.js";
import type { Runbook } from "../language/runbook.js";
import { buildStepFunctions, peakConcurrency } from "../stepfunctions/deploy-target.js";
import type { FollowOutcome } from "../stepfunctions/follow-execution.js";
import { decideGate } from "../stepfunctions/gate-decision.js";
import { runOnStepFunctions } from "../stepfunctions/run-on-stepfunctions.js";
import { approverCredentials } from "./approve.js";
import { homeOf } from "./executions.js";
import { type CommandIO, writeLine } from "./io.js";
import type { RunOutput } from "./live-view.js";
import { engineBase, type Prepared } from "./prepare.js";

/**
 * `runbook run --engine stepfunctions`: the deployed state machine runs the steps in the
 * recovery region; this process only starts it and follows its history into the journal.
 * Ctrl-C stops the following, never the execution.
 */
export async function runWithStepFunctions(
  runbook: Runbook,
  req: StartRequest,
  prepared: Prepared,
  out: RunOutput,
  opts: { approve: boolean; region?: string },
  io: CommandIO,
): Promise<FollowOutcome> {
  const environment = prepared.environment;
  if (!environment)
    throw new UsageError(
      "--engine stepfunctions needs an environment (where the machine is deployed): pass --env",
    );
  const me = await prepared.sessions.identityFor(undefined);
  const build = buildStepFunctions(runbook, environment, {
    accountId: me.account,
    validate: false,
    ...(opts.region ? { region: opts.region } : {}),
  });
  const sfn = (await prepared.aws.client("sfn", build.region)) as unknown as SFNClient;
  const lambda = (await prepared.aws.client("lambda", build.region)) as unknown as LambdaClient;
  const stop = io.trapInterrupts?.(
    "Ctrl-C: no longer following. The execution goes on in Step Functions; pick it up from any machine with: runbook follow <execution-id>",
  );
  const redactor = new Redactor();
  redactor.addSensitiveEnv(io.env);
  const base = engineBase(prepared, io);
  return runOnStepFunctions(runbook, req, {
    sfn,
    target: {
      stateMachineArn: build.stateMachineArn,
      region: build.region,
      definition: build.machine.definition,
      manifest: build.machine.manifest,
      approvalsFunctionArn: build.approvalsFunctionArn,
      stepsFunctionArn: build.stepsFunctionArn,
      concurrency: peakConcurrency(runbook),
      sts: build.sts,
    },
    lambda,
    home: homeOf(io),
    workdir: base.workdir,
    operator: prepared.operator,
    ...(base.environment ? { environment: base.environment } : {}),
    redact: (d) => redactor.value(d) as EventData["execution.started"],
    vars: environment.vars,
    onEvent: out.onEvent,
    ...(stop ? { stop } : {}),
    // The operator approves as who they are: the sandbox's keys, else this shell's AWS identity.
    onGate: gateAnswerer(
      lambda,
      opts.approve,
      io,
      (id) => out.executionId ?? id,
      environment.aws.credentials ?? approverCredentials(io.env),
    ),
  });
}

/**
 * What a gate does for the follower: with `--approve`, the operator's own approval, proven by
 * their AWS identity and checked by the approval function; without, how others approve.
 */
export function gateAnswerer(
  lambda: LambdaClient,
  approve: boolean,
  io: CommandIO,
  idOf: (id: string) => string,
  credentials: Credentials | (() => Promise<Credentials>) = approverCredentials(io.env),
) {
  return async (stepId: string, state: ExecutionState) => {
    const engine = state.engine;
    const id = idOf(state.executionId);
    if (!approve || !engine) {
      writeLine(
        io.stderr,
        `waiting at gate ${stepId} (in Step Functions); an approver runs: runbook approve ${id} --step ${stepId}`,
      );
      return;
    }
    const answer = await decideGate({
      lambda,
      engine,
      executionId: state.executionId,
      stepId,
      decision: "approve",
      credentials,
    });
    if (!answer.accepted)
      writeLine(
        io.stderr,
        `your approval of gate ${stepId} was not accepted: ${answer.reason ?? "refused"}; another approver runs: runbook approve ${id} --step ${stepId}`,
      );
    else if (answer.remaining > 0)
      writeLine(
        io.stderr,
        `gate ${stepId} needs ${answer.remaining} more approval(s): runbook approve ${id} --step ${stepId}`,
      );
  };
}
