import { type StsTarget, stsTarget, verifyIdentityProof } from "../aws/identity-proof.js";
import type { AwsClientFactory } from "../executor.js";
import type { ExecutionState } from "../journal/fold.js";
import { approvalsInbox } from "../journal/paths.js";
import { GateKeeper, type GateKeeperOptions } from "./approvals.js";
import { type IdentityMode, identityModeFor } from "./approvers.js";
import { proveCaller } from "./identity.js";
import type { Runtime } from "./runtime.js";

/** How an execution's approvers prove who they are: decided with its environment (commands/prepare.ts). */
export interface ApprovalIdentity {
  mode: IdentityMode;
  /** The environment's STS: proofs are checked there, and the operator's own identity asked there. */
  sts: StsTarget;
}

export interface GateOptions {
  home: string;
  operator: string;
  autoApprove: boolean;
  prompt?: GateKeeperOptions["prompt"];
  onWaiting?: GateKeeperOptions["onWaiting"];
  approvalPollMs?: number;
  approvals?: ApprovalIdentity;
}

/** The engine's gate keeper: gate events go to the journal through `rt`; what the journal holds seeds it on resume. */
export function createGateKeeper(
  rt: Runtime,
  initial: ExecutionState,
  o: GateOptions,
  aws: AwsClientFactory,
): GateKeeper {
  const a = o.approvals;
  const gates = new GateKeeper({
    operator: o.operator,
    autoApprove: o.autoApprove,
    inbox: approvalsInbox(o.home, rt.executionId),
    ...(o.prompt ? { prompt: o.prompt } : {}),
    ...(o.onWaiting ? { onWaiting: o.onWaiting } : {}),
    ...(o.approvalPollMs ? { pollMs: o.approvalPollMs } : {}),
    ...(a
      ? {
          identity: {
            mode: a.mode,
            endpoint: a.sts.endpoint,
            region: a.sts.region,
            verify: (proof, expected, signal) =>
              verifyIdentityProof(
                proof,
                { executionId: rt.executionId, ...expected },
                { target: a.sts, now: rt.deps.clock(), signal },
              ),
            self: (signal) => proveCaller(aws, a.sts.region, signal),
          },
        }
      : {}),
    journal: {
      requested: (stepId, d) => rt.record("gate.requested", d, stepId),
      approved: (stepId, d) => rt.record("gate.approved", d, stepId),
      declined: (stepId, d) => rt.record("gate.declined", d, stepId),
      refused: (stepId, d) => rt.record("gate.refused", d, stepId),
    },
  });
  const nonces: string[] = [];
  for (const [id, st] of initial.steps) {
    gates.seed(
      id,
      st.approvals.map((ap) => ({ by: ap.by, proven: ap.proof !== undefined })),
      st.gateRequested !== undefined,
    );
    for (const ap of st.approvals) if (ap.proof?.nonce) nonces.push(ap.proof.nonce);
    if (st.declined?.proof?.nonce) nonces.push(st.declined.proof.nonce);
    for (const r of st.refusals ?? []) if (r.nonce) nonces.push(r.nonce);
  }
  gates.seedNonces(nonces);
  return gates;
}

/** Identities needed or names allowed (approvers.ts), and the environment's STS to prove them at. */
export function approvalIdentityFor(
  runbook: Parameters<typeof identityModeFor>[0],
  environment: { kind: string; aws: { region: string; endpoints: Record<string, string> } } | undefined,
  region: string,
): ApprovalIdentity {
  return {
    mode: identityModeFor(runbook, environment?.kind),
    sts: stsTarget({ region, ...(environment ? { endpoints: environment.aws.endpoints } : {}) }),
  };
}
