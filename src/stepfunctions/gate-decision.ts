import type { LambdaClient } from "@aws-sdk/client-lambda";
import {
  type Credentials,
  type Decision,
  newNonce,
  type StsTarget,
  signIdentityProof,
} from "../aws/identity-proof.js";
import type { StepFunctionsEngine } from "../journal/events.js";

/**
 * Answering a gate of an execution that Step Functions runs: the approver signs a proof of
 * identity bound to this decision, and the execution's approval function (never the approver)
 * checks it, checks the approvers, and sends the task token. The history does not say who
 * called SendTaskSuccess; the approval function's output does, and that is what is journaled.
 */

export interface GateAnswer {
  accepted: boolean;
  reason?: string;
  /** Approvals the gate still needs after this one. */
  remaining: number;
}

export async function decideGate(o: {
  lambda: LambdaClient;
  engine: StepFunctionsEngine;
  executionId: string;
  stepId: string;
  decision: Decision;
  reason?: string;
  credentials: Credentials | (() => Promise<Credentials>);
  signal?: AbortSignal;
}): Promise<GateAnswer> {
  const target: StsTarget = o.engine.sts;
  const proof = await signIdentityProof({
    target,
    binding: { executionId: o.executionId, stepId: o.stepId, decision: o.decision, nonce: newNonce() },
    credentials: o.credentials,
  });
  const { InvokeCommand } = await import("@aws-sdk/client-lambda");
  const payload = {
    action: "gate.decide",
    executionArn: o.engine.executionArn,
    stepId: o.stepId,
    decision: o.decision,
    ...(o.reason ? { reason: o.reason } : {}),
    proof,
  };
  const out = await o.lambda.send(
    new InvokeCommand({
      FunctionName: o.engine.approvalsFunctionArn,
      InvocationType: "RequestResponse",
      Payload: new TextEncoder().encode(JSON.stringify(payload)),
    }),
    o.signal ? { abortSignal: o.signal } : {},
  );
  const text = out.Payload ? new TextDecoder().decode(out.Payload) : "null";
  if (out.FunctionError) {
    let message = text;
    try {
      message = String((JSON.parse(text) as { errorMessage?: unknown }).errorMessage ?? text);
    } catch {
      // not JSON: the raw text is the message
    }
    return { accepted: false, reason: `the approval function failed: ${message}`, remaining: -1 };
  }
  const answer = JSON.parse(text) as Partial<GateAnswer> | null;
  return {
    accepted: answer?.accepted === true,
    ...(answer?.reason ? { reason: String(answer.reason) } : {}),
    remaining: typeof answer?.remaining === "number" ? answer.remaining : -1,
  };
}
