import {
  type Credentials,
  IdentityProofRefused,
  newNonce,
  PROOF_METHOD,
  type ProvenIdentity,
  type StsTarget,
  signIdentityProof,
  verifyIdentityProof,
} from "../aws/identity-proof.js";
import { dropInInbox } from "../engine/approvals.js";
import { identitiesRequired, identityModeFor, mayApprove } from "../engine/approvers.js";
import { approvalIdentityFor } from "../engine/gates.js";
import { resolveIdentity } from "../engine/identity.js";
import { readLock } from "../engine/lock.js";
import { environmentKind, loadEnvironment } from "../environment/environment.js";
import { UsageError } from "../errors.js";
import type { ExecutionState } from "../journal/fold.js";
import { approvalsInbox } from "../journal/paths.js";
import { executorSteps, type Runbook } from "../language/runbook.js";
import { homeOf, loadExecution } from "./executions.js";
import { type CommandIO, writeLine } from "./io.js";

/**
 * Approve from another shell (two-person rule). The approval goes to the execution's inbox;
 * the engine that runs it journals it within a second, or `resume` does later.
 *
 * Where the gate needs identities, the approver proves who they are with their own AWS
 * credentials: a presigned GetCallerIdentity bound to this decision (aws/identity-proof.ts).
 * Only its signature goes to the inbox. It is checked here first, at the same STS the engine
 * will use, so a wrong principal or a bad credential is told now, not later.
 */
export async function approveCommand(
  id: string,
  opts: { step?: string; decline?: boolean; reason?: string },
  io: CommandIO,
): Promise<number> {
  const ex = await loadExecution(io, id);
  const s = ex.state;
  if (s.status === "completed" || s.status === "aborted" || s.status === "failed") {
    throw new UsageError(`execution ${id} is ${s.status}; there is no gate to approve`);
  }
  const waiting = [...s.steps.values()].filter((st) => st.status === "awaiting-approval").map((st) => st.id);
  const stepId = opts.step ?? s.pausedAt?.stepId ?? waiting[0];
  if (s.engine && stepId) {
    const { approveOnStepFunctions } = await import("./approve-stepfunctions.js");
    return approveOnStepFunctions(s, stepId, opts, io);
  }
  if (!stepId)
    throw new UsageError(
      `execution ${id} is not waiting at a gate`,
      "Pass --step <id> to approve a gate ahead of time.",
    );
  if (!s.steps.has(stepId)) throw new UsageError(`execution ${id} has no step "${stepId}"`);
  const decision = opts.decline ? "decline" : "approve";
  const gate = s.steps.get(stepId)?.gateRequested;
  const approvers = gate ? gate.approvers : plannedApprovers(s.runbookIr as Runbook, stepId);
  const proven = gate
    ? gate.identities === "aws" || identitiesRequired("names", gate.approvers)
    : identitiesRequired(
        identityModeFor(
          s.runbookIr as Runbook,
          s.environmentFile ? environmentKind(s.environmentFile, io.cwd).kind : undefined,
        ),
        approvers,
      );
  const { me, proof, validUntil } = proven
    ? await proveMe(s, stepId, decision, gate?.sts, io)
    : { me: await resolveIdentity(io.env), proof: undefined, validUntil: undefined };
  if (approvers && !mayApprove(approvers, me, proven)) {
    throw new UsageError(`${me} is not an approver of gate ${stepId}`, `Approvers: ${approvers.join(", ")}`);
  }
  if (!opts.decline && s.steps.get(stepId)?.approvals.some((a) => a.by === me)) {
    throw new UsageError(`${me} already approved gate ${stepId}; another person must give the next approval`);
  }
  dropInInbox(approvalsInbox(homeOf(io), id), {
    stepId,
    by: me,
    decision,
    at: new Date().toISOString(),
    ...(opts.reason ? { reason: opts.reason } : {}),
    ...(proof ? { proof } : {}),
  });
  const lock = readLock(homeOf(io), s.runbook.name);
  const running = lock?.executionId === id && lock.alive;
  const how = proof ? ` (proven by ${PROOF_METHOD})` : "";
  writeLine(io.stdout, `${opts.decline ? "declined" : "approved"} gate ${stepId} of ${id} as ${me}${how}`);
  writeLine(
    io.stdout,
    running
      ? "The running engine records it within a second."
      : `No engine is running it now; continue with: runbook resume ${id}${validUntil ? ` (this proof is good until ${validUntil})` : ""}`,
  );
  return 0;
}

/** Sign a proof bound to this decision and check it at the execution's STS: who STS says we are. */
async function proveMe(
  s: ExecutionState,
  stepId: string,
  decision: "approve" | "decline",
  journaled: StsTarget | undefined,
  io: CommandIO,
): Promise<{ me: string; proof: Awaited<ReturnType<typeof signIdentityProof>>; validUntil: string }> {
  const sts = journaled ?? executionSts(s, io);
  const binding = { executionId: s.executionId, stepId, decision, nonce: newNonce() };
  const now = new Date();
  let proof: Awaited<ReturnType<typeof signIdentityProof>>;
  try {
    proof = await signIdentityProof({ target: sts, binding, credentials: approverCredentials(io.env) });
  } catch (err) {
    throw new UsageError(
      `gate ${stepId} needs approvers proven by their AWS identity, and no AWS credentials were found to sign with (${(err as Error).message})`,
      "Use your own: AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (in the sandbox, a principal's keys from .runbook/sandbox/endpoints.json).",
    );
  }
  let me: ProvenIdentity;
  try {
    me = await verifyIdentityProof(proof, binding, { target: sts, now });
  } catch (err) {
    throw new UsageError(
      err instanceof IdentityProofRefused
        ? `your proof of identity was refused: ${err.message}`
        : `STS at ${sts.endpoint} could not be asked who you are (${(err as Error).message})`,
      `The engine checks approvals at the same endpoint (${sts.endpoint}, region ${sts.region}).`,
    );
  }
  const validUntil = new Date(now.getTime() + Number(proof.expires) * 1000).toISOString();
  return { me: me.arn, proof, validUntil };
}

/**
 * Where the engine will check proofs, before its gate has said so: the execution's own
 * environment (its STS, in its region), as the engine computed it.
 */
function executionSts(s: ExecutionState, io: CommandIO): StsTarget {
  const environment = s.environmentFile
    ? loadEnvironment(s.environmentFile, io.cwd, homeOf(io), io.env)
    : undefined;
  const region = environment?.aws.region ?? io.env.AWS_REGION ?? io.env.AWS_DEFAULT_REGION ?? "us-east-1";
  return approvalIdentityFor(s.runbookIr as Runbook, environment, region).sts;
}

/** The approver's own credentials: this shell's keys, else the SDK's default chain (profile, SSO, …). */
export function approverCredentials(
  env: Record<string, string | undefined>,
): Credentials | (() => Promise<Credentials>) {
  if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) {
    return {
      accessKeyId: env.AWS_ACCESS_KEY_ID,
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
      ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
    };
  }
  return async () => (await import("@aws-sdk/credential-providers")).fromNodeProviderChain()();
}

/** The approvers a gate will ask for, before it has asked (approving ahead of time). */
function plannedApprovers(runbook: Runbook, stepId: string): string[] | undefined {
  const gateOf = [...runbook.steps, ...executorSteps(runbook.steps), ...runbook.onAbort].find(
    (st) => st.id === stepId,
  );
  if (!gateOf) return undefined;
  if (gateOf.approval) return gateOf.approval.approvers;
  if (gateOf.kind === "executor" && gateOf.type === "approval") {
    const listed = gateOf.with.approvers;
    return Array.isArray(listed) ? listed.map(String) : undefined;
  }
  return undefined;
}
