import type { Logger } from "pino";
import {
  IdentityProofRefused,
  PROOF_METHOD,
  type ProvenIdentity,
  type StsTarget,
  verifyIdentityProof,
} from "../../aws/identity-proof.js";
import { identitiesRequired, identityModeFor, mayApprove } from "../../engine/approvers.js";
import type { SdkClient } from "../../executor.js";
import type { FunctionConfig } from "./function-config.js";
import { approvedBy, gateHistory, openGate, readHistory } from "./gate-history.js";
import { gateSpec } from "./gate-spec.js";
import { checkState } from "./run-scope.js";
import type { GateAnswer, GateApproval, GateDecideEvent, GateOpenEvent } from "./runner-contract.js";
import { fatalPayload } from "./runner-error.js";

/**
 * The `approvals` function. A gate is a `.waitForTaskToken` Task: `gate.open` only says what
 * it asks; `gate.decide` (what `runbook approve` invokes) finds the step's waiting gate Task in
 * the execution's history, proves who decides at the function's own STS, checks them against
 * the step's `approvers` as the local gate keeper does (src/engine/approvals.ts), and answers
 * the token. Its output is the record of who approved: the history keeps no caller of
 * SendTaskSuccess.
 */

export interface ApprovalDeps {
  config: FunctionConfig;
  /** Step Functions in the function's region, as the function's own role. */
  sfn: SdkClient;
  /** Where proofs are checked: the function's own STS (stsTarget of its region and endpoints). */
  sts: StsTarget;
  logger: Logger;
  now?: () => Date;
}

/** What the gate asks, rendered; Step Functions waits for the token whatever this returns. */
export async function handleGateOpen(
  event: GateOpenEvent,
  deps: ApprovalDeps,
): Promise<{ stepId: string; approval: number; prompt: string; minApprovals: number; approvers?: string[] }> {
  const state = checkState(event?.state);
  const spec = gateSpec(deps.config, event.stepId, state);
  if (!spec)
    throw fatalPayload(`runbook ${deps.config.runbookIr.name} has no gate at step "${event.stepId}"`);
  deps.logger.info(
    { executionId: state.run.executionId, step: event.stepId, approval: event.approval },
    "gate opened",
  );
  return {
    stepId: event.stepId,
    approval: event.approval,
    prompt: spec.prompt,
    minApprovals: spec.minApprovals,
    ...(spec.approvers ? { approvers: spec.approvers } : {}),
  };
}

export async function handleGateDecide(event: GateDecideEvent, deps: ApprovalDeps): Promise<GateAnswer> {
  const { stepId, decision } = event ?? {};
  if (typeof stepId !== "string") throw fatalPayload("the payload has no stepId");
  if (decision !== "approve" && decision !== "decline")
    throw fatalPayload(`decision must be approve or decline, not ${JSON.stringify(decision)}`);
  const executionId = executionIdOf(event.executionArn, deps.config);
  const logger = deps.logger.child({ executionId, step: stepId });
  const history = gateHistory(await readHistory(deps.sfn, event.executionArn), stepId);
  const gate = openGate(history);
  const before = approvedBy(history);
  const refuse = (reason: string, remaining: number): GateAnswer => {
    logger.info({ decision }, `refused: ${reason}`);
    return { accepted: false, reason, remaining };
  };
  const spec = gateSpec(deps.config, stepId, (gate ?? history.tasks.at(-1))?.state);
  if (!spec) return refuse(`step "${stepId}" of runbook ${deps.config.runbookIr.name} has no gate`, 0);
  const needed = Math.max(0, spec.minApprovals - new Set(before).size);
  if (!gate)
    return history.closed
      ? refuse(`execution ${executionId} has ended: its gates take no decisions`, 0)
      : refuse(`no gate of step "${stepId}" is waiting (not reached yet, or answered already)`, needed);
  const proven = identitiesRequired(
    identityModeFor(deps.config.runbookIr, deps.config.environment.kind),
    spec.approvers,
  );

  const named = typeof event.by === "string" && !proven ? event.by.slice(0, 256) : undefined;
  if (event.proof === undefined && !named)
    return refuse(
      proven
        ? `no proof of identity: gate ${stepId} needs approvers proven by their AWS identity (runbook approve signs one with their own credentials)`
        : `neither a proof of identity nor a name: say who decides gate ${stepId}`,
      needed,
    );
  let identity: ProvenIdentity | undefined;
  if (event.proof !== undefined) {
    try {
      identity = await verifyIdentityProof(
        event.proof,
        { executionId, stepId, decision },
        { target: deps.sts, now: (deps.now ?? (() => new Date()))() },
      );
    } catch (err) {
      return refuse(
        err instanceof IdentityProofRefused
          ? err.message
          : `the proof could not be checked at ${deps.sts.endpoint} (${(err as Error).message}); approve again`,
        needed,
      );
    }
  }
  // Where names count (the sandbox), a name is taken as given, as the local engine takes it.
  const who = named ?? identity!.arn;
  if (identity && history.nonces.has(identity.nonce))
    return refuse(`this proof was already used (a replay of nonce ${identity.nonce})`, needed);
  if (!mayApprove(spec.approvers, who, proven))
    return refuse(
      `${who} is not an approver of gate ${stepId} (approvers: ${spec.approvers?.join(", ")})`,
      needed,
    );
  if (decision === "approve" && before.includes(who))
    return refuse(
      `${who} already approved gate ${stepId}; another person must give the next approval`,
      needed,
    );

  const proof = identity
    ? { method: PROOF_METHOD, requestId: identity.requestId, nonce: identity.nonce }
    : undefined;
  const answered = await answer(deps.sfn, gate.token, decision, who, identity, proof, event.reason);
  if (answered) return refuse(answered, needed);
  logger.info({ decision, by: who }, decision === "approve" ? "gate approved" : "gate declined");
  return { accepted: true, remaining: decision === "approve" ? Math.max(0, needed - 1) : 0 };
}

/** SendTaskSuccess or SendTaskFailure; a token answered meanwhile (by someone else) is a refusal, in words. */
async function answer(
  sfn: SdkClient,
  token: string,
  decision: "approve" | "decline",
  who: string,
  identity: ProvenIdentity | undefined,
  proof: GateApproval["proof"],
  reason: string | undefined,
): Promise<string | undefined> {
  const { SendTaskFailureCommand, SendTaskSuccessCommand } = await import("@aws-sdk/client-sfn");
  try {
    if (decision === "approve") {
      const output: GateApproval = {
        approvedBy: who,
        ...(identity ? { principalArn: identity.arn } : {}),
        ...(proof ? { proof } : {}),
      };
      await sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify(output) }));
    } else {
      const cause = {
        by: who,
        ...(reason ? { reason: reason.slice(0, 1000) } : {}),
        ...(proof ? { proof } : {}),
      };
      await sfn.send(
        new SendTaskFailureCommand({
          taskToken: token,
          error: "Runbook.Declined",
          cause: JSON.stringify(cause),
        }),
      );
    }
    return undefined;
  } catch (err) {
    const name = (err as { name?: string }).name ?? "";
    if (["TaskTimedOut", "InvalidToken", "TaskDoesNotExist"].includes(name))
      return `the gate was answered or closed meanwhile (${name}); look at the execution and decide again`;
    throw err;
  }
}

/** `arn:aws:states:<region>:<account>:execution:<state machine>:<execution id>`, of this runbook's machine only. */
function executionIdOf(arn: unknown, config: FunctionConfig): string {
  const m =
    typeof arn === "string" ? /^arn:[^:]+:states:[^:]*:\d{12}:execution:([^:]+):([^:]+)$/.exec(arn) : null;
  if (!m) throw fatalPayload(`executionArn ${JSON.stringify(arn)} is not a Step Functions execution ARN`);
  const machine = config.manifest.stateMachineName ?? `runbook-${config.runbookIr.name}`;
  // Answering another machine's token would make this function anyone's approver.
  if (m[1] !== machine)
    throw fatalPayload(
      `execution ${arn} is not of state machine ${machine}: this function decides only its gates`,
    );
  return m[2]!;
}
