import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newNonce, signIdentityProof } from "../../src/aws/identity-proof.js";
import { dropInInbox } from "../../src/engine/approvals.js";
import { approvalsInbox } from "../../src/journal/paths.js";
import { SANDBOX_USERS } from "../../src/sandbox/emulator/iam/iam-defaults.js";
import { createEmulator, type Emulator } from "../../src/sandbox/emulator/index.js";
import { emulatorProject } from "../cli/emulator-project.js";
import { finish, journalLines, onlyExecutionId, runCli, startCli, until } from "../cli/harness.js";

/**
 * `runbook approve` by AWS identity, with real processes: the operator's engine waits at a
 * gate that names an ARN; the approver approves from a second shell with their own keys
 * (proven by a presigned GetCallerIdentity that the emulator's STS verifies); an outsider is
 * refused by the command and, when it bypasses the command, by the engine.
 */

const REGION = "us-west-2";
const APPROVER_ARN = "arn:aws:iam::111111111111:user/approver";
const keysOf = (name: string) => {
  const u = SANDBOX_USERS.find((x) => x.name === name)!;
  return { AWS_ACCESS_KEY_ID: u.accessKeyId, AWS_SECRET_ACCESS_KEY: u.secretAccessKey };
};
const RUNBOOK = `apiVersion: runbook/v1
kind: Runbook
metadata: { name: gated, environment: prod }
steps:
  - id: go
    type: approval
    with: { prompt: Fail over?, approvers: ["${APPROVER_ARN}"] }
  - { id: after, type: exec, with: { command: [touch, after] } }
`;

describe("runbook approve: approvers by AWS identity", () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await createEmulator({ evaluationIntervalMs: 100_000 });
  });
  afterAll(() => emulator?.close());

  it("an approval by ARN from a second shell unblocks a waiting run; an outsider is refused", async () => {
    const cwd = emulatorProject("approve", emulator.url, REGION, { gated: RUNBOOK });
    const env = { ...keysOf("operator"), AWS_REGION: REGION, RUNBOOK_OPERATOR: APPROVER_ARN };
    const child = startCli(["run", "gated", "--env", "emulator", "--approve", "--json"], cwd, env);
    const result = finish(child);
    let id = "";
    await until(
      () => {
        try {
          id ||= onlyExecutionId(cwd);
        } catch {
          return false;
        }
        return journalLines(cwd, id).some((e) => e.type === "gate.requested");
      },
      20_000,
      "the gate",
    );

    // The outsider, through the command: refused there, naming the ARN and the approvers.
    const outsider = await runCli(["approve", id], cwd, { ...keysOf("outsider"), AWS_REGION: REGION });
    expect(outsider.code).toBe(2);
    expect(outsider.stderr).toContain(
      "arn:aws:iam::111111111111:user/outsider is not an approver of gate go",
    );
    expect(outsider.stderr).toContain(`Approvers: ${APPROVER_ARN}`);

    // The outsider, bypassing the command with a message that claims to be the approver:
    // the engine checks the proof itself and refuses it.
    const o = SANDBOX_USERS.find((u) => u.name === "outsider")!;
    const proof = await signIdentityProof({
      target: { endpoint: emulator.url, region: REGION },
      binding: { executionId: id, stepId: "go", decision: "approve", nonce: newNonce() },
      credentials: { accessKeyId: o.accessKeyId, secretAccessKey: o.secretAccessKey },
    });
    dropInInbox(approvalsInbox(join(cwd, ".runbook"), id), {
      stepId: "go",
      by: APPROVER_ARN,
      decision: "approve",
      at: new Date().toISOString(),
      proof,
    });
    await until(
      () => journalLines(cwd, id).some((e) => e.type === "gate.refused"),
      10_000,
      "the engine to refuse the forged approval",
    );
    expect(existsSync(join(cwd, "after"))).toBe(false);

    // A shell with no credentials of its own cannot approve (the environment's are never used).
    const bare = await runCli(["approve", id], cwd, {
      AWS_ACCESS_KEY_ID: "",
      AWS_SECRET_ACCESS_KEY: "",
      AWS_PROFILE: "",
      AWS_EC2_METADATA_DISABLED: "true",
      AWS_CONFIG_FILE: join(cwd, "no-aws-config"),
      AWS_SHARED_CREDENTIALS_FILE: join(cwd, "no-aws-credentials"),
      RUNBOOK_OPERATOR: APPROVER_ARN,
    });
    expect(bare.code).toBe(2);
    expect(bare.stderr).toContain("gate go needs approvers proven by their AWS identity");

    // The approver, from a second shell with their own keys.
    const approver = await runCli(["approve", id], cwd, { ...keysOf("approver"), AWS_REGION: REGION });
    expect(approver.code, approver.stderr).toBe(0);
    expect(approver.stdout).toContain(
      `approved gate go of ${id} as ${APPROVER_ARN} (proven by sts:GetCallerIdentity)`,
    );
    const run = await result;
    expect(run.code, run.stderr).toBe(0);
    expect(existsSync(join(cwd, "after"))).toBe(true);

    const events = journalLines(cwd, id) as unknown as { type: string; data: Record<string, unknown> }[];
    expect(events.find((e) => e.type === "gate.requested")?.data).toMatchObject({ identities: "aws" });
    expect(events.find((e) => e.type === "gate.refused")?.data).toMatchObject({
      claimed: "arn:aws:iam::111111111111:user/outsider",
      reason: expect.stringContaining("is not an approver of gate go"),
    });
    // Only the proven approver counts: not the operator's --approve, not RUNBOOK_OPERATOR's name.
    expect(events.filter((e) => e.type === "gate.approved").map((e) => e.data)).toEqual([
      {
        by: APPROVER_ARN,
        via: "approve-command",
        proof: { method: "sts:GetCallerIdentity", requestId: expect.any(String), nonce: expect.any(String) },
      },
    ]);
    // Credentials reach neither the journal nor the processed inbox.
    const journalText = JSON.stringify(events);
    for (const u of SANDBOX_USERS) {
      expect(journalText).not.toContain(u.secretAccessKey);
      expect(journalText).not.toContain(u.accessKeyId);
    }

    const timeline = await runCli(["timeline", id], cwd);
    expect(timeline.code, timeline.stderr).toBe(0);
    expect(timeline.stdout).toContain(
      `approved by ${APPROVER_ARN} (approve-command, proven by sts:GetCallerIdentity)`,
    );
    expect(timeline.stdout).toContain(
      "An approval from arn:aws:iam::111111111111:user/outsider via approve-command was refused",
    );
    // The JSON timeline (checked against its schema) says how each approval was proven.
    const json = await runCli(["timeline", id, "--format", "json"], cwd);
    expect(json.code, json.stderr).toBe(0);
    const go = (JSON.parse(json.stdout) as { steps: { id: string; approvals: unknown[] }[] }).steps.find(
      (st) => st.id === "go",
    );
    expect(go?.approvals).toEqual([
      expect.objectContaining({
        by: APPROVER_ARN,
        proof: { method: "sts:GetCallerIdentity", requestId: expect.any(String) },
      }),
    ]);
  }, 60_000);

  it("runbook approve --help says what is proven and how", async () => {
    const r = await runCli(["approve", "--help"], process.cwd());
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("presigned STS GetCallerIdentity");
    expect(r.stdout).toContain("x-runbook-approval");
    expect(r.stdout).toContain("never your credentials");
  });
});
