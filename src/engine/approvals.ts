import { sleep } from "../../executors/wait.js";
import { IdentityProofRefused, PROOF_METHOD, type ProvenIdentity } from "../aws/identity-proof.js";
import { ApprovalNeededError } from "../errors.js";
import type { ApprovalRequest } from "../executor.js";
import type { ApprovalProof, EventData } from "../journal/events.js";
import { type IdentityMode, identitiesRequired, mayApprove } from "./approvers.js";
import { type InboxMessage, readInbox } from "./inbox.js";

/**
 * Gates. Approvals come from three places: `--approve` (the operator), a TTY prompt, and
 * `runbook approve` in another shell, which drops a file in the execution's inbox. Only
 * the engine turns them into journal events, so the journal keeps a single writer.
 *
 * Where a gate needs identities (approvers.ts), nothing a client says about who it is counts:
 * an inbox message counts only through its proof, checked at the engine's own STS, and the
 * operator's approval only as the engine's own GetCallerIdentity.
 */

export { dropInInbox, type InboxMessage } from "./inbox.js";

export class GateDeclinedError extends Error {
  constructor(
    readonly stepId: string,
    readonly by: string,
  ) {
    super(`gate "${stepId}" declined by ${by}`);
    this.name = "GateDeclinedError";
  }
}

export type PromptAnswer = "approve" | "decline";

export interface GateJournal {
  requested(stepId: string, data: EventData["gate.requested"]): void;
  approved(stepId: string, data: EventData["gate.approved"]): void;
  declined(stepId: string, data: EventData["gate.declined"]): void;
  refused(stepId: string, data: EventData["gate.refused"]): void;
}

/** How the engine proves identities; absent, approvals are names, as given. */
export interface IdentityChecks {
  /** The execution's default (identityModeFor); a gate naming an ARN needs identities anyway. */
  mode: IdentityMode;
  /** Where proofs are checked: journaled with the gate, so `runbook approve` signs for it. */
  endpoint: string;
  region: string;
  /** Checks an inbox proof at the engine's own STS: IdentityProofRefused, or another error when STS could not be asked. */
  verify(
    proof: unknown,
    expected: { stepId: string; decision: PromptAnswer },
    signal: AbortSignal,
  ): Promise<ProvenIdentity>;
  /** The engine's own caller (the operator), by GetCallerIdentity with the engine's credentials. */
  self(signal: AbortSignal): Promise<{ arn: string; requestId: string }>;
}

export interface GateKeeperOptions {
  operator: string;
  autoApprove: boolean;
  inbox: string;
  journal: GateJournal;
  identity?: IdentityChecks;
  /** Ask the operator on a terminal; absent when there is none. */
  prompt?: (
    question: { stepId: string; prompt: string; have: string[]; needed: number },
    signal: AbortSignal,
  ) => Promise<PromptAnswer>;
  /** Told once per gate when the engine has to wait for other approvers. */
  onWaiting?: (stepId: string, have: string[], needed: number) => void;
  pollMs?: number;
}

interface Approver {
  by: string;
  proof?: ApprovalProof;
}

/** One gate being awaited: what counts, and who has approved. */
interface Gate {
  stepId: string;
  request: ApprovalRequest;
  proven: boolean;
  have: Set<string>;
  signal: AbortSignal;
}

export class GateKeeper {
  /** Approvals already journaled, per step: approver → whether proven (seeded from the journal on resume). */
  private readonly approvals = new Map<string, Map<string, boolean>>();
  private readonly requested = new Set<string>();
  /** Nonces of proofs already seen: a replayed proof never counts twice. */
  private readonly nonces = new Set<string>();
  private operatorProof?: Promise<Approver | undefined>;

  constructor(private readonly opts: GateKeeperOptions) {}

  seed(stepId: string, approvedBy: { by: string; proven: boolean }[], requested: boolean): void {
    this.approvals.set(stepId, new Map(approvedBy.map((a) => [a.by, a.proven])));
    if (requested) this.requested.add(stepId);
  }

  seedNonces(nonces: Iterable<string>): void {
    for (const n of nonces) this.nonces.add(n);
  }

  async await(
    stepId: string,
    request: ApprovalRequest,
    signal: AbortSignal,
  ): Promise<{ approvedBy: string[] }> {
    const o = this.opts;
    // Without identity checks the engine can prove nobody: a gate naming an ARN then never opens.
    const proven = identitiesRequired(o.identity?.mode ?? "names", request.approvers);
    const journaled = this.approvals.get(stepId) ?? new Map<string, boolean>();
    this.approvals.set(stepId, journaled);
    // A name journaled before never counts where identities are needed.
    const have = new Set([...journaled].filter(([, p]) => p || !proven).map(([by]) => by));
    const gate: Gate = { stepId, request, proven, have, signal };
    const eligible = (who: string) => mayApprove(request.approvers, who, proven);
    const counted = () => [...have].filter(eligible);
    const satisfied = () => counted().length >= request.minApprovals;
    const approve = (who: Approver, via: "flag" | "tty" | "approve-command") => {
      if (have.has(who.by) || !eligible(who.by)) return;
      have.add(who.by);
      journaled.set(who.by, proven);
      o.journal.approved(stepId, { by: who.by, via, ...(who.proof ? { proof: who.proof } : {}) });
    };
    if (satisfied()) return { approvedBy: counted() };
    if (!this.requested.has(stepId)) {
      o.journal.requested(stepId, {
        prompt: request.prompt,
        minApprovals: request.minApprovals,
        ...(request.approvers ? { approvers: request.approvers } : {}),
        ...(proven ? { identities: "aws" as const } : {}),
        ...(proven && o.identity
          ? { sts: { endpoint: o.identity.endpoint, region: o.identity.region } }
          : {}),
      });
      this.requested.add(stepId);
    }
    // Approvals already given from other shells count first; the operator's flag after them.
    await this.drainInbox(gate, approve);
    // Asked only where the operator can take part: a flag or a terminal.
    const operator = o.autoApprove || o.prompt ? await this.operatorFor(gate) : undefined;
    if (o.autoApprove && !satisfied() && operator) approve(operator, "flag");
    let prompted = false;
    let promptAnswer: PromptAnswer | undefined;
    const promptAbort = new AbortController();
    let waitingTold = false;
    try {
      for (;;) {
        await this.drainInbox(gate, approve);
        if (satisfied()) return { approvedBy: counted() };
        if (promptAnswer === "decline" && operator) {
          o.journal.declined(stepId, {
            by: operator.by,
            via: "tty",
            ...(operator.proof ? { proof: operator.proof } : {}),
          });
          throw new GateDeclinedError(stepId, operator.by);
        }
        if (promptAnswer === "approve" && operator) {
          approve(operator, "tty");
          promptAnswer = undefined;
          continue;
        }
        const operatorCanStillHelp =
          operator !== undefined && eligible(operator.by) && !have.has(operator.by);
        if (o.prompt && operatorCanStillHelp && !prompted) {
          prompted = true;
          o.prompt(
            { stepId, prompt: request.prompt, have: [...have], needed: request.minApprovals },
            promptAbort.signal,
          ).then(
            (a) => {
              promptAnswer = a;
            },
            () => undefined,
          );
        } else if (!o.prompt && !o.autoApprove) {
          const needed = request.minApprovals - counted().length;
          throw new ApprovalNeededError(
            "",
            stepId,
            `gate "${stepId}" needs ${needed} more approval${needed === 1 ? "" : "s"}: "${request.prompt}" (no --approve and no terminal to ask on)`,
          );
        } else if (!waitingTold && !operatorCanStillHelp) {
          waitingTold = true;
          o.onWaiting?.(stepId, [...have], request.minApprovals);
        }
        await sleep(o.pollMs ?? 200, signal);
      }
    } finally {
      promptAbort.abort();
    }
  }

  /**
   * Who the operator's own approval is from: their name, or where identities are needed the
   * engine's proven caller (asked once). Unprovable, the operator's approval cannot count.
   */
  private async operatorFor(gate: Gate): Promise<Approver | undefined> {
    const o = this.opts;
    if (!gate.proven) return { by: o.operator };
    const identity = o.identity;
    if (!identity) return undefined;
    this.operatorProof ??= identity.self(gate.signal).then(
      (me) => ({ by: me.arn, proof: { method: PROOF_METHOD, requestId: me.requestId } }),
      (err: Error) => {
        // Asked again at the next gate: STS may answer by then.
        this.operatorProof = undefined;
        if (o.autoApprove)
          o.journal.refused(gate.stepId, {
            decision: "approve",
            via: "flag",
            claimed: o.operator,
            reason: `the operator's identity could not be proven with GetCallerIdentity at ${identity.endpoint} (${err.message}); a name does not count here`,
          });
        return undefined;
      },
    );
    return this.operatorProof;
  }

  private async drainInbox(
    gate: Gate,
    approve: (who: Approver, via: "approve-command") => void,
  ): Promise<void> {
    const o = this.opts;
    for (const msg of readInbox(o.inbox, gate.stepId)) {
      const decision: PromptAnswer = msg.decision === "decline" ? "decline" : "approve";
      if (!gate.proven) {
        if (decision === "decline") {
          o.journal.declined(gate.stepId, {
            by: msg.by,
            via: "approve-command",
            ...(msg.reason ? { reason: msg.reason } : {}),
          });
          throw new GateDeclinedError(gate.stepId, msg.by);
        }
        if (mayApprove(gate.request.approvers, msg.by, false)) approve({ by: msg.by }, "approve-command");
        continue;
      }
      const who = await this.prove(gate, msg, decision);
      if (!who) continue;
      if (decision === "decline") {
        o.journal.declined(gate.stepId, {
          by: who.by,
          via: "approve-command",
          ...(msg.reason ? { reason: msg.reason } : {}),
          ...(who.proof ? { proof: who.proof } : {}),
        });
        throw new GateDeclinedError(gate.stepId, who.by);
      }
      approve(who, "approve-command");
    }
  }

  /** The message's signer, proven and allowed to decide this gate; otherwise the refusal is journaled. */
  private async prove(gate: Gate, msg: InboxMessage, decision: PromptAnswer): Promise<Approver | undefined> {
    const o = this.opts;
    const identity = o.identity;
    const claimed = typeof msg.by === "string" ? msg.by.slice(0, 256) : undefined;
    const refuse = (reason: string, who = claimed, nonce?: string) => {
      o.journal.refused(gate.stepId, {
        decision,
        via: "approve-command",
        ...(who ? { claimed: who } : {}),
        reason,
        ...(nonce ? { nonce } : {}),
      });
      return undefined;
    };
    if (!identity) return refuse("this engine has no STS endpoint to check proofs of identity at");
    if (msg.proof === undefined)
      return refuse(
        `no proof of identity: gate ${gate.stepId} needs approvers proven by their AWS identity (runbook approve signs one with their own credentials)`,
      );
    let id: ProvenIdentity;
    try {
      id = await identity.verify(msg.proof, { stepId: gate.stepId, decision }, gate.signal);
    } catch (err) {
      if (gate.signal.aborted) throw err;
      return refuse(
        err instanceof IdentityProofRefused
          ? err.message
          : `the proof could not be checked at ${identity.endpoint} (${(err as Error).message}); approve again`,
      );
    }
    if (this.nonces.has(id.nonce))
      return refuse(`this proof was already used (a replay of nonce ${id.nonce})`, id.arn);
    this.nonces.add(id.nonce);
    const approvers = gate.request.approvers;
    if (!mayApprove(approvers, id.arn, true))
      return refuse(
        `${id.arn} is not an approver of gate ${gate.stepId} (approvers: ${approvers?.join(", ")})`,
        id.arn,
        id.nonce,
      );
    if (decision === "approve" && gate.have.has(id.arn))
      return refuse(
        `${id.arn} already approved gate ${gate.stepId}; another person must give the next approval`,
        id.arn,
        id.nonce,
      );
    return { by: id.arn, proof: { method: PROOF_METHOD, requestId: id.requestId, nonce: id.nonce } };
  }
}
