import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  APPROVAL_HEADER,
  type IdentityProof,
  IdentityProofRefused,
  newNonce,
  PROOF_TTL_SECONDS,
  signIdentityProof,
  stsTarget,
  verifyIdentityProof,
} from "../../src/aws/identity-proof.js";
import { SANDBOX_USERS } from "../../src/sandbox/emulator/iam/iam-defaults.js";
import { createEmulator, type Emulator } from "../../src/sandbox/emulator/index.js";
import { type StsVerifier, startStsVerifier } from "./sts-verifier.js";

const APPROVER = {
  accessKeyId: "AKIATESTAPPROVER",
  secretAccessKey: "approver-secret",
  arn: "arn:aws:iam::111111111111:user/approver",
};
const REGION = "us-west-2";
const binding = (
  over: Partial<{ executionId: string; stepId: string; decision: "approve" | "decline" }> = {},
) => ({
  executionId: "failover-20261127T031500Z-1a2b",
  stepId: "promote",
  decision: "approve" as const,
  nonce: newNonce(),
  ...over,
});

describe("identity proofs: presigned GetCallerIdentity bound to a decision", () => {
  let sts: StsVerifier;
  beforeAll(async () => {
    sts = await startStsVerifier([APPROVER]);
  });
  afterAll(() => sts.close());
  const target = () => ({ endpoint: sts.url, region: REGION });
  const sign = (b = binding(), now?: Date) =>
    signIdentityProof({ target: target(), binding: b, credentials: APPROVER, ...(now ? { now } : {}) });
  const verify = (proof: unknown, b: ReturnType<typeof binding>, now = new Date()) =>
    verifyIdentityProof(proof, b, { target: target(), now });

  it("carries only signature parts and the bound header, never the secret", async () => {
    const b = binding();
    const proof = await sign(b);
    expect(proof.binding).toBe(`${b.executionId}/promote/approve/${b.nonce}`);
    expect(proof.signedHeaders).toBe(`host;${APPROVAL_HEADER}`);
    expect(proof.expires).toBe(String(PROOF_TTL_SECONDS));
    expect(proof.credential).toMatch(/^AKIATESTAPPROVER\/\d{8}\/us-west-2\/sts\/aws4_request$/);
    expect(JSON.stringify(proof)).not.toContain(APPROVER.secretAccessKey);
  });

  it("a valid proof gives the signer's ARN, STS's request id and the nonce", async () => {
    const b = binding();
    const id = await verify(await sign(b), b);
    expect(id).toMatchObject({ arn: APPROVER.arn, account: "111111111111", nonce: b.nonce });
    expect(id.requestId).toMatch(/^req-\d+$/);
  });

  it("a tampered header (approve turned into decline) is refused by STS's signature check", async () => {
    const b = binding();
    const proof = await sign(b);
    const tampered: IdentityProof = { ...proof, binding: proof.binding.replace("/approve/", "/decline/") };
    const hitsBefore = sts.hits.length;
    await expect(verify(tampered, { ...b, decision: "decline" })).rejects.toThrow(
      /STS refused the proof: SignatureDoesNotMatch/,
    );
    expect(sts.hits.length).toBe(hitsBefore + 1);
  });

  it("a proof for another execution, step or decision is refused before STS is asked", async () => {
    const proof = await sign(binding({ executionId: "other-20261127T000000Z-ffff" }));
    const hitsBefore = sts.hits.length;
    await expect(verify(proof, binding())).rejects.toThrow(
      /made for other-20261127T000000Z-ffff\/promote\/approve, not failover-20261127T031500Z-1a2b\/promote\/approve/,
    );
    await expect(verify(await sign(binding({ stepId: "fence" })), binding())).rejects.toBeInstanceOf(
      IdentityProofRefused,
    );
    await expect(verify(await sign(binding()), binding({ decision: "decline" }))).rejects.toThrow(
      /not .*\/promote\/decline/,
    );
    expect(sts.hits.length).toBe(hitsBefore);
  });

  it("an expired proof, or one that leaves the binding header unsigned, is refused", async () => {
    const b = binding();
    const old = await sign(b, new Date(Date.now() - (PROOF_TTL_SECONDS + 60) * 1000));
    await expect(verify(old, b)).rejects.toThrow(/expired at .*; approve again/);
    const unbound = { ...(await sign(b)), signedHeaders: "host" };
    await expect(verify(unbound, b)).rejects.toThrow(/must sign exactly host;x-runbook-approval/);
    const long = await signIdentityProof({
      target: target(),
      binding: b,
      credentials: APPROVER,
      ttlSeconds: 3600,
    });
    await expect(verify(long, b)).rejects.toThrow(/valid for 3600 s; at most 900 s/);
    await expect(verify({ binding: "x" }, b)).rejects.toThrow(/malformed/);
    // Nothing but ids and a hex nonce reaches the header sent to STS.
    const injected = {
      ...(await sign(b)),
      binding: `${b.executionId}/promote/approve/${b.nonce}\r\nx-evil: 1`,
    };
    await expect(verify(injected, b)).rejects.toThrow(/which is no decision/);
  });

  it("a proof signed for another server's host does not verify at ours", async () => {
    const elsewhere = await startStsVerifier([APPROVER]);
    try {
      const b = binding();
      const proof = await signIdentityProof({
        target: { endpoint: elsewhere.url, region: REGION },
        binding: b,
        credentials: APPROVER,
      });
      await expect(verify(proof, b)).rejects.toThrow(/SignatureDoesNotMatch/);
      expect(elsewhere.hits).toEqual([]);
    } finally {
      await elsewhere.close();
    }
  });

  it("an STS that cannot be reached is an error, not a refusal", async () => {
    const b = binding();
    const proof = await sign(b);
    const err = await verifyIdentityProof(proof, b, {
      target: { endpoint: "http://127.0.0.1:1", region: REGION },
      now: new Date(),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err).not.toBeInstanceOf(IdentityProofRefused);
  });

  it("the STS endpoint is the environment's (sts, else *), else the regional AWS one", () => {
    expect(stsTarget({ region: "eu-west-1" })).toEqual({
      endpoint: "https://sts.eu-west-1.amazonaws.com",
      region: "eu-west-1",
    });
    expect(stsTarget({ region: "cn-north-1" }).endpoint).toBe("https://sts.cn-north-1.amazonaws.com.cn");
    expect(
      stsTarget({
        region: "us-west-2",
        endpoints: { "*": "http://127.0.0.1:4566", sts: "http://sts.local" },
      }),
    ).toEqual({ endpoint: "http://sts.local", region: "us-west-2" });
    expect(stsTarget({ region: "us-west-2", endpoints: { "*": "http://127.0.0.1:4566" } }).endpoint).toBe(
      "http://127.0.0.1:4566",
    );
  });
});

describe("identity proofs against the sandbox emulator's STS", () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await createEmulator({ evaluationIntervalMs: 100_000 });
  });
  afterAll(() => emulator?.close());
  const user = (name: string) => SANDBOX_USERS.find((u) => u.name === name)!;

  it("verifies the approver's proof and names the approver", async () => {
    const target = { endpoint: emulator.url, region: REGION };
    const b = binding();
    const { accessKeyId, secretAccessKey } = user("approver");
    const proof = await signIdentityProof({
      target,
      binding: b,
      credentials: { accessKeyId, secretAccessKey },
    });
    const id = await verifyIdentityProof(proof, b, { target, now: new Date() });
    expect(id.arn).toBe("arn:aws:iam::111111111111:user/approver");
    expect(id.requestId).not.toBe("");
  });

  it("refuses a proof whose bound header was changed after signing", async () => {
    const target = { endpoint: emulator.url, region: REGION };
    const b = binding();
    const { accessKeyId, secretAccessKey } = user("approver");
    const proof = await signIdentityProof({
      target,
      binding: b,
      credentials: { accessKeyId, secretAccessKey },
    });
    const tampered = { ...proof, binding: proof.binding.replace("/approve/", "/decline/") };
    await expect(
      verifyIdentityProof(tampered, { ...b, decision: "decline" }, { target, now: new Date() }),
    ).rejects.toThrow(/STS refused the proof: SignatureDoesNotMatch/);
  });

  it("refuses a proof signed with a wrong secret for a known key", async () => {
    const target = { endpoint: emulator.url, region: REGION };
    const b = binding();
    const proof = await signIdentityProof({
      target,
      binding: b,
      credentials: { accessKeyId: user("approver").accessKeyId, secretAccessKey: "guessed" },
    });
    await expect(verifyIdentityProof(proof, b, { target, now: new Date() })).rejects.toBeInstanceOf(
      IdentityProofRefused,
    );
  });
});
