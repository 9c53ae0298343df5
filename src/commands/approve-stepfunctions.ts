import type { LambdaClient } from "@aws-sdk/client-lambda";
import { createClientFactory } from "../aws/client-factory.js";
import { PROOF_METHOD } from "../aws/identity-proof.js";
import { loadEnvironment } from "../environment/environment.js";
import { UsageError } from "../errors.js";
import type { ExecutionState } from "../journal/fold.js";
import { decideGate } from "../stepfunctions/gate-decision.js";
import { approverCredentials } from "./approve.js";
import { homeOf } from "./executions.js";
import { type CommandIO, writeLine } from "./io.js";

/**
 * `runbook approve` for an execution Step Functions runs: the decision goes to the execution's
 * approval function, which checks the proof of identity and the approvers and answers the gate's
 * task token. The approver's own credentials sign the proof and invoke the function.
 */
export async function approveOnStepFunctions(
  s: ExecutionState,
  stepId: string,
  opts: { decline?: boolean; reason?: string },
  io: CommandIO,
): Promise<number> {
  const engine = s.engine!;
  const environment = s.environmentFile
    ? loadEnvironment(s.environmentFile, io.cwd, homeOf(io), io.env)
    : undefined;
  const mine = io.env.AWS_ACCESS_KEY_ID && io.env.AWS_SECRET_ACCESS_KEY;
  const credentials = mine
    ? approverCredentials(io.env)
    : (environment?.aws.credentials ?? approverCredentials(io.env));
  const factory = createClientFactory({
    ...(environment ? { endpoints: environment.aws.endpoints } : {}),
    ...(typeof credentials === "object" ? { credentials } : {}),
  });
  try {
    const lambda = (await factory.client("lambda", engine.region)) as unknown as LambdaClient;
    const decision = opts.decline ? "decline" : "approve";
    const answer = await decideGate({
      lambda,
      engine,
      executionId: s.executionId,
      stepId,
      decision,
      ...(opts.reason ? { reason: opts.reason } : {}),
      credentials,
    });
    if (!answer.accepted)
      throw new UsageError(
        `the approval function refused this ${decision} of gate ${stepId}: ${answer.reason ?? "refused"}`,
        `It runs in Step Functions (${engine.executionArn}); approvers are checked there.`,
      );
    writeLine(
      io.stdout,
      `${opts.decline ? "declined" : "approved"} gate ${stepId} of ${s.executionId} (proven by ${PROOF_METHOD}, checked by the approval function)`,
    );
    writeLine(
      io.stdout,
      answer.remaining > 0
        ? `The gate needs ${answer.remaining} more approval(s).`
        : "Step Functions goes on; a follower (runbook follow) records it in the journal.",
    );
    return 0;
  } finally {
    factory.destroy();
  }
}
