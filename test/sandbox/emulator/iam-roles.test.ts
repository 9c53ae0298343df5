import {
  CreateRoleCommand,
  DeleteConflictException,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  EntityAlreadyExistsException,
  GetRoleCommand,
  IAMClient,
  MalformedPolicyDocumentException,
  NoSuchEntityException,
  PutRolePolicyCommand,
  UpdateAssumeRolePolicyCommand,
} from "@aws-sdk/client-iam";
import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Emulator } from "../../../src/sandbox/emulator/index.js";
import { clientConfig, startEmulator } from "./helpers.js";
import { trustPolicy } from "./lambda-fixtures.js";

const OPERATOR = { accessKeyId: "sandbox", secretAccessKey: "sandbox-secret" };
const allowAll = JSON.stringify({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Action: "s3:ListBucket", Resource: "*" }],
});

describe("IAM roles through the API (what runbook deploy creates)", () => {
  let emulator: Emulator;
  let iam: IAMClient;
  beforeAll(async () => {
    emulator = await startEmulator();
    iam = new IAMClient({ ...clientConfig(emulator.url, "us-east-1"), credentials: OPERATOR });
  });
  afterAll(() => emulator.close());

  it("CreateRole, GetRole (trust policy URL-encoded, as IAM returns it), then EntityAlreadyExists", async () => {
    const created = await iam.send(
      new CreateRoleCommand({
        RoleName: "runbook-case-states",
        AssumeRolePolicyDocument: trustPolicy("states.amazonaws.com"),
        Description: "Step Functions runs the case failover as this role",
      }),
    );
    expect(created.Role).toMatchObject({
      RoleName: "runbook-case-states",
      Arn: "arn:aws:iam::111111111111:role/runbook-case-states",
    });
    expect(created.Role?.RoleId).toMatch(/^AROA/);
    const got = await iam.send(new GetRoleCommand({ RoleName: "runbook-case-states" }));
    expect(JSON.parse(decodeURIComponent(got.Role?.AssumeRolePolicyDocument ?? ""))).toEqual(
      JSON.parse(trustPolicy("states.amazonaws.com")),
    );
    expect(got.Role?.Description).toBe("Step Functions runs the case failover as this role");
    await expect(
      iam.send(
        new CreateRoleCommand({
          RoleName: "runbook-case-states",
          AssumeRolePolicyDocument: trustPolicy("states.amazonaws.com"),
        }),
      ),
    ).rejects.toBeInstanceOf(EntityAlreadyExistsException);
    await expect(
      iam.send(
        new CreateRoleCommand({ RoleName: "runbook-bad-trust", AssumeRolePolicyDocument: "{not json" }),
      ),
    ).rejects.toBeInstanceOf(MalformedPolicyDocumentException);
  });

  it("UpdateAssumeRolePolicy changes who may assume it: the operator's account, then not", async () => {
    const sts = new STSClient({ ...clientConfig(emulator.url, "us-east-1"), credentials: OPERATOR });
    const assume = () =>
      sts.send(
        new AssumeRoleCommand({
          RoleArn: "arn:aws:iam::111111111111:role/runbook-case-states",
          RoleSessionName: "check",
        }),
      );
    await expect(assume()).rejects.toThrow(/not authorized to perform: sts:AssumeRole/);
    const byAccount = JSON.stringify({
      Version: "2012-10-17",
      Statement: [
        { Effect: "Allow", Principal: { AWS: "arn:aws:iam::111111111111:root" }, Action: "sts:AssumeRole" },
      ],
    });
    await iam.send(
      new UpdateAssumeRolePolicyCommand({ RoleName: "runbook-case-states", PolicyDocument: byAccount }),
    );
    expect((await assume()).AssumedRoleUser?.Arn).toBe(
      "arn:aws:sts::111111111111:assumed-role/runbook-case-states/check",
    );
    await expect(
      iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: "runbook-none", PolicyDocument: byAccount })),
    ).rejects.toBeInstanceOf(NoSuchEntityException);
  });

  it("survives an IAM reset (deploy's roles are not the sandbox's defaults); DeleteRole refuses while policies remain", async () => {
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: "runbook-case-states",
        PolicyName: "p",
        PolicyDocument: allowAll,
      }),
    );
    await emulator.iamCommand({ command: "reset" });
    expect((await iam.send(new GetRoleCommand({ RoleName: "runbook-case-states" }))).Role?.RoleName).toBe(
      "runbook-case-states",
    );
    await expect(iam.send(new DeleteRoleCommand({ RoleName: "runbook-case-states" }))).rejects.toBeInstanceOf(
      DeleteConflictException,
    );
    await iam.send(new DeleteRolePolicyCommand({ RoleName: "runbook-case-states", PolicyName: "p" }));
    await iam.send(new DeleteRoleCommand({ RoleName: "runbook-case-states" }));
    await expect(iam.send(new GetRoleCommand({ RoleName: "runbook-case-states" }))).rejects.toBeInstanceOf(
      NoSuchEntityException,
    );
    await expect(iam.send(new DeleteRoleCommand({ RoleName: "runbook-case-states" }))).rejects.toBeInstanceOf(
      NoSuchEntityException,
    );
  });
});
