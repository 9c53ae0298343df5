import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newNonce, signIdentityProof, verifyIdentityProof } from "../../src/aws/identity-proof.js";
import {
  dropInInbox,
  GateDeclinedError,
  GateKeeper,
  type GateKeeperOptions,
  type InboxMessage,
} from "../../src/engine/approvals.js";
import { ApprovalNeededError } from "../../src/errors.js";
import type { ApprovalRequest } from "../../src/executor.js";
import { type StsVerifier, startStsVerifier } from "../aws/sts-verifier.js";

/** The gate keeper with proofs checked for real: signed here, verified by a real STS-like server. */

const EXEC = "failover-20261127T031500Z-1a2b";
const ACCOUNT = "111111111111";
const principal = (name: string) => ({
  accessKeyId: `AKIATEST${name.toUpperCase()}`,
  secretAccessKey: `${name}-secret`,
  arn: `arn:aws:iam::${ACCOUNT}:user/${name}`,
});
const APPROVER = principal("approver");
const SECOND = principal("second");
const OUTSIDER = principal("outsider");
const OPERATOR_ARN = `arn:aws:sts::${ACCOUNT}:assumed-role/oncall-ic/operator`;

interface Recorded {
  type: string;
  stepId: string;
  data: Record<string, unknown>;
}

describe("gate keeper: approvers proven by their AWS identity", () => {
  let sts: StsVerifier;
  let forged: StsVerifier;
  beforeAll(async () => {
    sts = await startStsVerifier([APPROVER, SECOND, OUTSIDER]);
    // A server that vouches for anyone: where a forged message would like its proof checked.
    forged = await startStsVerifier([], { answerAs: APPROVER.arn });
  });
  afterAll(async () => {
    await sts.close();
    await forged.close();
  });

  function setup(o: Partial<GateKeeperOptions> & { mode?: "aws" | "names"; selfFails?: boolean } = {}) {
    const inbox = join(mkdtempSync(join(tmpdir(), "runbook-inbox-")), "approvals");
    const events: Recorded[] = [];
    const rec = (type: string) => (stepId: string, data: object) =>
      events.push({ type, stepId, data: data as Record<string, unknown> });
    const target = { endpoint: sts.url, region: "us-west-2" };
    const keeper = new GateKeeper({
      operator: "alice",
      autoApprove: false,
      inbox,
      pollMs: 10,
      journal: {
        requested: rec("gate.requested"),
        approved: rec("gate.approved"),
        declined: rec("gate.declined"),
        refused: rec("gate.refused"),
      },
      identity: {
        mode: o.mode ?? "aws",
        endpoint: sts.url,
        region: "us-west-2",
        verify: (proof, expected, signal) =>
          verifyIdentityProof(proof, { executionId: EXEC, ...expected }, { target, now: new Date(), signal }),
        self: async () => {
          if (o.selfFails) throw new Error("no credentials");
          return { arn: OPERATOR_ARN, requestId: "self-1" };
        },
      },
      ...o,
    });
    const proofFor = async (
      who: { accessKeyId: string; secretAccessKey: string },
      b: { executionId?: string; stepId?: string; decision?: "approve" | "decline"; nonce?: string } = {},
      endpoint = sts.url,
    ) =>
      signIdentityProof({
        target: { endpoint, region: "us-west-2" },
        binding: { executionId: EXEC, stepId: "promote", decision: "approve", nonce: newNonce(), ...b },
        credentials: who,
      });
    const drop = (m: Partial<InboxMessage> & Record<string, unknown>) =>
      dropInInbox(inbox, {
        stepId: "promote",
        by: "someone",
        decision: "approve",
        at: new Date().toISOString(),
        ...m,
      } as InboxMessage);
    const gate = (request: Partial<ApprovalRequest> = {}, signal = AbortSignal.timeout(5000)) =>
      keeper.await("promote", { prompt: "Promote?", minApprovals: 1, ...request }, signal);
    const ofType = (t: string) => events.filter((e) => e.type === t).map((e) => e.data);
    return { keeper, inbox, events, proofFor, drop, gate, ofType };
  }

  it("a proven approver's approval opens the gate, journaled by ARN with STS's request id", async () => {
    const t = setup();
    const proof = await t.proofFor(APPROVER);
    t.drop({ by: APPROVER.arn, proof });
    const out = await t.gate({ approvers: [`arn:aws:iam::*:user/approver`] });
    expect(out.approvedBy).toEqual([APPROVER.arn]);
    expect(t.ofType("gate.requested")[0]).toMatchObject({
      identities: "aws",
      sts: { endpoint: sts.url, region: "us-west-2" },
    });
    expect(t.ofType("gate.approved")).toEqual([
      {
        by: APPROVER.arn,
        via: "approve-command",
        proof: {
          method: "sts:GetCallerIdentity",
          requestId: expect.stringMatching(/^req-/),
          nonce: expect.any(String),
        },
      },
    ]);
    // The proof is gone from the processed message: once used it is of no good to anyone.
    const processed = join(t.inbox, "processed");
    const kept = readFileSync(join(processed, readdirSync(processed)[0]!), "utf8");
    expect(kept).not.toContain(proof.signature);
    expect(kept).toContain(APPROVER.arn);
  });

  it("a replayed nonce is refused, in this engine and after a resume", async () => {
    const t = setup();
    const proof = await t.proofFor(APPROVER);
    t.drop({ by: APPROVER.arn, proof });
    t.drop({ by: APPROVER.arn, proof });
    const request = { approvers: [APPROVER.arn, SECOND.arn], minApprovals: 2 };
    await expect(t.gate(request)).rejects.toBeInstanceOf(ApprovalNeededError);
    expect(t.ofType("gate.approved")).toHaveLength(1);
    expect(t.ofType("gate.refused")).toEqual([
      expect.objectContaining({
        claimed: APPROVER.arn,
        reason: expect.stringMatching(/already used \(a replay/),
      }),
    ]);
    // A new engine (resume) knows the nonce from the journal.
    const again = setup();
    again.keeper.seed("promote", [{ by: APPROVER.arn, proven: true }], true);
    again.keeper.seedNonces([proof.binding.split("/")[3]!]);
    again.drop({ by: APPROVER.arn, proof });
    await expect(again.gate(request)).rejects.toBeInstanceOf(ApprovalNeededError);
    expect(again.ofType("gate.refused")[0]?.reason).toMatch(/replay/);
  });

  it("a proof for another execution does not count", async () => {
    const t = setup();
    t.drop({
      by: APPROVER.arn,
      proof: await t.proofFor(APPROVER, { executionId: "other-20261127T000000Z-0000" }),
    });
    await expect(t.gate({ approvers: [APPROVER.arn] })).rejects.toBeInstanceOf(ApprovalNeededError);
    expect(t.ofType("gate.approved")).toEqual([]);
    expect(t.ofType("gate.refused")[0]).toMatchObject({
      claimed: APPROVER.arn,
      reason: expect.stringMatching(/made for other-20261127T000000Z-0000\/promote\/approve/),
    });
  });

  it("a tampered bound header does not count", async () => {
    const t = setup();
    const proof = await t.proofFor(APPROVER, { stepId: "fence" });
    t.drop({ by: APPROVER.arn, proof: { ...proof, binding: proof.binding.replace("/fence/", "/promote/") } });
    await expect(t.gate({ approvers: [APPROVER.arn] })).rejects.toBeInstanceOf(ApprovalNeededError);
    expect(t.ofType("gate.refused")[0]?.reason).toMatch(/SignatureDoesNotMatch/);
  });

  it("a URL in the message is ignored: the proof is checked at the engine's own STS", async () => {
    const t = setup();
    // The outsider's proof, claiming to be the approver, pointing at a server that would agree.
    t.drop({
      by: APPROVER.arn,
      proof: await t.proofFor(OUTSIDER),
      url: forged.url,
      endpoint: forged.url,
      sts: { endpoint: forged.url, region: "us-west-2" },
    });
    // A proof signed for the forged host does not verify at ours either.
    t.drop({ by: APPROVER.arn, proof: await t.proofFor(APPROVER, {}, forged.url) });
    await expect(t.gate({ approvers: [APPROVER.arn] })).rejects.toBeInstanceOf(ApprovalNeededError);
    expect(forged.hits).toEqual([]);
    expect(t.ofType("gate.approved")).toEqual([]);
    const refused = t.ofType("gate.refused");
    expect(refused[0]).toMatchObject({
      claimed: OUTSIDER.arn,
      reason: `${OUTSIDER.arn} is not an approver of gate promote (approvers: ${APPROVER.arn})`,
    });
    expect(refused[1]?.reason).toMatch(/SignatureDoesNotMatch/);
  });

  it("a name never counts where identities are needed, not even one spelled like an ARN", async () => {
    const t = setup({ operator: APPROVER.arn, autoApprove: true, selfFails: true });
    t.drop({ by: APPROVER.arn });
    const gate = t.gate({ approvers: [APPROVER.arn] }, AbortSignal.timeout(300));
    await expect(gate).rejects.toThrow();
    expect(t.ofType("gate.approved")).toEqual([]);
    const reasons = t.ofType("gate.refused").map((r) => r.reason);
    expect(reasons).toEqual([
      expect.stringMatching(
        /^no proof of identity: gate promote needs approvers proven by their AWS identity/,
      ),
      expect.stringMatching(
        /operator's identity could not be proven with GetCallerIdentity .*no credentials/,
      ),
    ]);
  });

  it("the operator's --approve counts as the engine's own proven caller, matched as its role", async () => {
    const t = setup({ autoApprove: true });
    const out = await t.gate({ approvers: ["arn:aws:iam::111111111111:role/oncall-*"] });
    expect(out.approvedBy).toEqual([OPERATOR_ARN]);
    expect(t.ofType("gate.approved")).toEqual([
      { by: OPERATOR_ARN, via: "flag", proof: { method: "sts:GetCallerIdentity", requestId: "self-1" } },
    ]);
  });

  it("the second-approver rule holds on ARNs: the same ARN twice counts once", async () => {
    const t = setup();
    t.drop({ by: APPROVER.arn, proof: await t.proofFor(APPROVER) });
    t.drop({ by: APPROVER.arn, proof: await t.proofFor(APPROVER) });
    t.drop({ by: SECOND.arn, proof: await t.proofFor(SECOND) });
    const out = await t.gate({ approvers: [`arn:aws:iam::${ACCOUNT}:user/*`], minApprovals: 2 });
    expect(out.approvedBy).toEqual([APPROVER.arn, SECOND.arn]);
    expect(t.ofType("gate.refused")[0]?.reason).toBe(
      `${APPROVER.arn} already approved gate promote; another person must give the next approval`,
    );
  });

  it("a decline needs a proof too; a proven approver's decline closes the gate", async () => {
    const t = setup();
    t.drop({ by: APPROVER.arn, decision: "decline" });
    t.drop({
      by: OUTSIDER.arn,
      decision: "decline",
      proof: await t.proofFor(OUTSIDER, { decision: "decline" }),
    });
    t.drop({
      by: APPROVER.arn,
      decision: "decline",
      reason: "lag too high",
      proof: await t.proofFor(APPROVER, { decision: "decline" }),
    });
    const err = await t.gate({ approvers: [APPROVER.arn] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GateDeclinedError);
    expect((err as GateDeclinedError).by).toBe(APPROVER.arn);
    expect(t.ofType("gate.refused")).toHaveLength(2);
    expect(t.ofType("gate.declined")).toEqual([
      {
        by: APPROVER.arn,
        via: "approve-command",
        reason: "lag too high",
        proof: expect.objectContaining({ method: "sts:GetCallerIdentity" }),
      },
    ]);
  });

  it("names still count where the execution allows them and the gate names no ARN", async () => {
    const t = setup({ mode: "names" });
    t.drop({ by: "bob" });
    t.drop({ by: "mallory" });
    const out = await t.gate({ approvers: ["alice", "bob"] });
    expect(out.approvedBy).toEqual(["bob"]);
    expect(t.ofType("gate.approved")).toEqual([{ by: "bob", via: "approve-command" }]);
    expect(t.ofType("gate.requested")[0]).not.toHaveProperty("identities");
    // The same execution, a gate naming an ARN: identities needed there.
    const u = setup({ mode: "names" });
    u.drop({ by: "bob" });
    await expect(u.gate({ approvers: ["bob", APPROVER.arn] })).rejects.toBeInstanceOf(ApprovalNeededError);
    expect(u.ofType("gate.refused")[0]?.reason).toMatch(/no proof of identity/);
  });

  it("without identity checks, a gate naming an ARN never opens", async () => {
    const t = setup({ identity: undefined, autoApprove: true, operator: APPROVER.arn });
    t.drop({ by: APPROVER.arn, proof: await t.proofFor(APPROVER) });
    await expect(t.gate({ approvers: [APPROVER.arn] }, AbortSignal.timeout(200))).rejects.toThrow();
    expect(t.ofType("gate.approved")).toEqual([]);
    expect(t.ofType("gate.refused")[0]?.reason).toMatch(/no STS endpoint/);
  });
});
