import { isDeepStrictEqual } from "node:util";
import type { LambdaClient } from "@aws-sdk/client-lambda";
import type { SFNClient } from "@aws-sdk/client-sfn";
import { type StartRequest, startedEventData } from "../engine/engine.js";
import { acquireLock } from "../engine/lock.js";
import { UsageError } from "../errors.js";
import type { AnyJournalEvent, EventData, StepFunctionsEngine } from "../journal/events.js";
import { newExecutionId } from "../journal/paths.js";
import type { Runbook } from "../language/runbook.js";
import { type FollowOptions, type FollowOutcome, followExecution } from "./follow-execution.js";
import type { Manifest } from "./manifest.js";

/**
 * `runbook run --engine stepfunctions`: start the deployed state machine (named after the
 * execution id, so an SDK retry of StartExecution never starts a second one), then follow it.
 * The machine must be the one this runbook exports now: a stale deployment is refused, not run.
 */

export interface StepFunctionsTarget {
  stateMachineArn: string;
  region: string;
  definition: object;
  manifest: Manifest;
  approvalsFunctionArn: string;
  stepsFunctionArn: string;
  /** How many steps and abort probes can run at once: the steps function's containers to warm. */
  concurrency: number;
  sts: { endpoint: string; region: string };
}

export async function runOnStepFunctions(
  runbook: Runbook,
  req: StartRequest,
  o: {
    sfn: SFNClient;
    /** To warm the functions while the execution starts (absent: not warmed). */
    lambda?: LambdaClient;
    target: StepFunctionsTarget;
    home: string;
    workdir: string;
    operator: string;
    environment?: { name: string; file: string; vars: Record<string, unknown>; source?: string };
    redact: (data: EventData["execution.started"]) => EventData["execution.started"];
  } & Pick<FollowOptions, "onEvent" | "onGate" | "stop" | "pollMs" | "vars">,
): Promise<FollowOutcome> {
  await assertDeployed(o.sfn, o.target, runbook.name);
  const now = new Date();
  const executionId = newExecutionId(runbook.name, now);
  const executionArn = o.target.stateMachineArn
    .replace(":stateMachine:", ":execution:")
    .concat(`:${executionId}`);
  const engine: StepFunctionsEngine = {
    kind: "stepfunctions",
    region: o.target.region,
    stateMachineArn: o.target.stateMachineArn,
    executionArn,
    approvalsFunctionArn: o.target.approvalsFunctionArn,
    sts: o.target.sts,
  };
  const started = o.redact({
    ...startedEventData(runbook, executionId, req, o, now),
    engine,
  });
  const input = {
    run: {
      executionId,
      runbook: runbook.name,
      environment: started.environment,
      mode: started.mode,
      declaredAt: started.declaredAt,
      inputs: started.inputs,
    },
    started,
    manifest: o.target.manifest,
  };
  warmFunctions(o.lambda, o.target);
  // One execution of a runbook at a time on this machine, as with the local engine.
  const lock = acquireLock(o.home, runbook.name, executionId, now);
  try {
    const { StartExecutionCommand } = await import("@aws-sdk/client-sfn");
    await o.sfn.send(
      new StartExecutionCommand({
        stateMachineArn: o.target.stateMachineArn,
        name: executionId,
        input: JSON.stringify(input),
      }),
    );
  } finally {
    lock.release();
  }
  return followExecution({
    sfn: o.sfn,
    home: o.home,
    executionId,
    engine,
    started: started as AnyJournalEvent["data"],
    ...(o.onEvent ? { onEvent: o.onEvent } : {}),
    ...(o.onGate ? { onGate: o.onGate } : {}),
    ...(o.stop ? { stop: o.stop } : {}),
    ...(o.pollMs ? { pollMs: o.pollMs } : {}),
    ...(o.vars ? { vars: o.vars } : {}),
  });
}

/**
 * A cold container costs its first step the bundle's start (hundreds of ms on Lambda): the
 * functions are invoked once per container the run will need, asynchronously, as the execution
 * starts. Failures do not matter: the steps' own invocations start containers anyway.
 */
function warmFunctions(lambda: LambdaClient | undefined, target: StepFunctionsTarget): void {
  if (!lambda) return;
  const warm = async (functionArn: string) => {
    const { InvokeCommand } = await import("@aws-sdk/client-lambda");
    await lambda.send(
      new InvokeCommand({
        FunctionName: functionArn,
        InvocationType: "Event",
        Payload: new TextEncoder().encode(JSON.stringify({ action: "warm" })),
      }),
    );
  };
  const calls = [
    warm(target.approvalsFunctionArn),
    ...Array.from({ length: Math.min(10, Math.max(1, target.concurrency)) }, () =>
      warm(target.stepsFunctionArn),
    ),
  ];
  for (const c of calls) c.catch(() => undefined);
}

async function assertDeployed(sfn: SFNClient, target: StepFunctionsTarget, name: string): Promise<void> {
  const { DescribeStateMachineCommand } = await import("@aws-sdk/client-sfn");
  let deployed: string | undefined;
  try {
    deployed = (await sfn.send(new DescribeStateMachineCommand({ stateMachineArn: target.stateMachineArn })))
      .definition;
  } catch (err) {
    if ((err as { name?: string }).name !== "StateMachineDoesNotExist") throw err;
    throw new UsageError(
      `runbook ${name} is not deployed to Step Functions in ${target.region} (${target.stateMachineArn})`,
      `Deploy it first: runbook deploy ${name} --env <env>`,
    );
  }
  if (!deployed || !isDeepStrictEqual(JSON.parse(deployed), target.definition)) {
    throw new UsageError(
      `the state machine deployed in ${target.region} is not what runbook ${name} exports now (the runbook, its environment or runbook itself changed)`,
      `Deploy it again (it shows what changes): runbook deploy ${name} --env <env>`,
    );
  }
}
