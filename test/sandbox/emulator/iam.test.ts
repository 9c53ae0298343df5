import {
  DeleteRolePolicyCommand,
  DeleteUserPolicyCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  GetUserCommand,
  GetUserPolicyCommand,
  IAMClient,
  ListRolePoliciesCommand,
  ListUserPoliciesCommand,
  MalformedPolicyDocumentException,
  NoSuchEntityException,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
  SimulatePrincipalPolicyCommand,
} from "@aws-sdk/client-iam";
import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Emulator } from "../../../src/sandbox/emulator/index.js";
import { clientConfig, startEmulator } from "./helpers.js";

/** IAM through the real @aws-sdk/client-iam: every operation round-trips, SimulatePrincipalPolicy decides with the simulator. */

const OPERATOR = { accessKeyId: "sandbox", secretAccessKey: "sandbox-secret" };
const OPERATOR_ARN = "arn:aws:iam::111111111111:user/operator";
const ARC_ROLE = "arn:aws:iam::222222222222:role/runbook-arc";
const GLOBAL_CLUSTER = "arn:aws:rds::111111111111:global-cluster:case-global";

describe("the sandbox's IAM API", () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startEmulator();
  });
  afterAll(async () => {
    await emulator.close();
  });
  const iam = (credentials = OPERATOR) =>
    new IAMClient({ ...clientConfig(emulator.url, "us-east-1"), credentials });

  it("GetUser answers the caller (or a named user) of the caller's own account", async () => {
    const me = await iam().send(new GetUserCommand({}));
    expect(me.User).toMatchObject({ UserName: "operator", Arn: OPERATOR_ARN, Path: "/" });
    expect(me.User?.UserId).toMatch(/^AIDA[0-9A-F]{17}$/);
    const approver = await iam().send(new GetUserCommand({ UserName: "approver" }));
    expect(approver.User?.Arn).toBe("arn:aws:iam::111111111111:user/approver");
    const missing = await iam()
      .send(new GetUserCommand({ UserName: "nobody" }))
      .catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(NoSuchEntityException);
    expect((missing as Error).message).toBe("The user with name nobody cannot be found.");
  });

  it("inline user policies: put, get (URL-encoded, as AWS returns them), list, delete", async () => {
    const doc = {
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: "rds:Describe*", Resource: "*" }],
    };
    await iam().send(
      new PutUserPolicyCommand({
        UserName: "approver",
        PolicyName: "read-rds",
        PolicyDocument: JSON.stringify(doc),
      }),
    );
    const got = await iam().send(new GetUserPolicyCommand({ UserName: "approver", PolicyName: "read-rds" }));
    expect(got.PolicyDocument).toContain("%22");
    expect(JSON.parse(decodeURIComponent(got.PolicyDocument ?? ""))).toEqual(doc);
    const listed = await iam().send(new ListUserPoliciesCommand({ UserName: "approver" }));
    expect(listed.PolicyNames).toEqual(["read-rds", "sandbox-caller-identity"]);
    expect(listed.IsTruncated).toBe(false);
    await iam().send(new DeleteUserPolicyCommand({ UserName: "approver", PolicyName: "read-rds" }));
    const gone = await iam()
      .send(new GetUserPolicyCommand({ UserName: "approver", PolicyName: "read-rds" }))
      .catch((e: unknown) => e);
    expect(gone).toBeInstanceOf(NoSuchEntityException);
  });

  it("a policy the validator refuses is MalformedPolicyDocument, naming the problem", async () => {
    const bad = await iam()
      .send(
        new PutUserPolicyCommand({
          UserName: "approver",
          PolicyName: "bad",
          PolicyDocument: JSON.stringify({
            Version: "2012-10-17",
            Statement: [{ Effect: "Maybe", Action: "*", Resource: "*" }],
          }),
        }),
      )
      .catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(MalformedPolicyDocumentException);
    expect((bad as Error).message).toContain("Statement[0].Effect");
    const notJson = await iam()
      .send(new PutUserPolicyCommand({ UserName: "approver", PolicyName: "bad", PolicyDocument: "{" }))
      .catch((e: unknown) => e);
    expect((notJson as Error).message).toBe("This policy contains invalid Json");
  });

  it("the recovery account's role is seen from that account's sessions only, with its trust policy", async () => {
    const fromWorkload = await iam()
      .send(new GetRoleCommand({ RoleName: "runbook-arc" }))
      .catch((e: unknown) => e);
    expect(fromWorkload).toBeInstanceOf(NoSuchEntityException);
    const sts = new STSClient({ ...clientConfig(emulator.url), credentials: OPERATOR });
    const { Credentials } = await sts.send(
      new AssumeRoleCommand({ RoleArn: ARC_ROLE, RoleSessionName: "iam-test" }),
    );
    const asRole = iam({
      accessKeyId: Credentials?.AccessKeyId ?? "",
      secretAccessKey: Credentials?.SecretAccessKey ?? "",
      sessionToken: Credentials?.SessionToken ?? "",
    } as typeof OPERATOR);
    const role = await asRole.send(new GetRoleCommand({ RoleName: "runbook-arc" }));
    expect(role.Role).toMatchObject({ Arn: ARC_ROLE, MaxSessionDuration: 43200 });
    const trust = JSON.parse(decodeURIComponent(role.Role?.AssumeRolePolicyDocument ?? ""));
    expect(trust.Statement[0].Principal).toEqual({ AWS: "arn:aws:iam::111111111111:root" });
    await asRole.send(
      new PutRolePolicyCommand({
        RoleName: "runbook-arc",
        PolicyName: "extra",
        PolicyDocument: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Action: "iam:*", Resource: "*" }],
        }),
      }),
    );
    expect((await asRole.send(new ListRolePoliciesCommand({ RoleName: "runbook-arc" }))).PolicyNames).toEqual(
      ["extra", "runbook-arc"],
    );
    const extra = await asRole.send(
      new GetRolePolicyCommand({ RoleName: "runbook-arc", PolicyName: "extra" }),
    );
    expect(JSON.parse(decodeURIComponent(extra.PolicyDocument ?? "")).Statement[0].Action).toBe("iam:*");
    await asRole.send(new DeleteRolePolicyCommand({ RoleName: "runbook-arc", PolicyName: "extra" }));
    expect((await asRole.send(new ListRolePoliciesCommand({ RoleName: "runbook-arc" }))).PolicyNames).toEqual(
      ["runbook-arc"],
    );
  });

  describe("SimulatePrincipalPolicy", () => {
    it("allowed, implicitDeny, and explicitDeny once a deny fault is on", async () => {
      await iam().send(
        new PutUserPolicyCommand({
          UserName: "approver",
          PolicyName: "failover",
          PolicyDocument: JSON.stringify({
            Version: "2012-10-17",
            Statement: [{ Effect: "Allow", Action: "rds:FailoverGlobalCluster", Resource: GLOBAL_CLUSTER }],
          }),
        }),
      );
      const simulate = (actions: string[], resources = [GLOBAL_CLUSTER]) =>
        iam().send(
          new SimulatePrincipalPolicyCommand({
            PolicySourceArn: "arn:aws:iam::111111111111:user/approver",
            ActionNames: actions,
            ResourceArns: resources,
          }),
        );
      const first = await simulate(["rds:FailoverGlobalCluster", "rds:SwitchoverGlobalCluster"]);
      expect(
        first.EvaluationResults?.map((r) => [r.EvalActionName, r.EvalResourceName, r.EvalDecision]),
      ).toEqual([
        ["rds:FailoverGlobalCluster", GLOBAL_CLUSTER, "allowed"],
        ["rds:SwitchoverGlobalCluster", GLOBAL_CLUSTER, "implicitDeny"],
      ]);
      expect(first.EvaluationResults?.[0]?.MatchedStatements).toEqual([
        { SourcePolicyId: "failover", SourcePolicyType: "user" },
      ]);
      expect(first.EvaluationResults?.[1]?.MatchedStatements ?? []).toEqual([]);

      await emulator.applyFault({
        kind: "iamDeny",
        action: "rds:FailoverGlobalCluster",
        principal: "approver",
        on: true,
      });
      const denied = await simulate(["rds:FailoverGlobalCluster"]);
      expect(denied.EvaluationResults?.[0]).toMatchObject({
        EvalDecision: "explicitDeny",
        MatchedStatements: [{ SourcePolicyId: "sandbox-fault-deny" }],
      });
      await emulator.applyFault({ kind: "iamDeny", action: "rds:FailoverGlobalCluster", on: false });
      expect((await simulate(["rds:FailoverGlobalCluster"])).EvaluationResults?.[0]?.EvalDecision).toBe(
        "allowed",
      );
      await iam().send(new DeleteUserPolicyCommand({ UserName: "approver", PolicyName: "failover" }));
    });

    it("one result per action: the most restrictive over its resources, each in ResourceSpecificResults", async () => {
      const other = "arn:aws:rds::111111111111:global-cluster:other";
      await iam().send(
        new PutUserPolicyCommand({
          UserName: "outsider",
          PolicyName: "one-cluster",
          PolicyDocument: JSON.stringify({
            Version: "2012-10-17",
            Statement: [{ Effect: "Allow", Action: "rds:FailoverGlobalCluster", Resource: GLOBAL_CLUSTER }],
          }),
        }),
      );
      const out = await iam().send(
        new SimulatePrincipalPolicyCommand({
          PolicySourceArn: "arn:aws:iam::111111111111:user/outsider",
          ActionNames: ["rds:FailoverGlobalCluster"],
          ResourceArns: [GLOBAL_CLUSTER, other],
        }),
      );
      expect(out.EvaluationResults).toHaveLength(1);
      expect(out.EvaluationResults?.[0]).toMatchObject({
        EvalDecision: "implicitDeny",
        EvalResourceName: other,
      });
      expect(
        out.EvaluationResults?.[0]?.ResourceSpecificResults?.map((r) => [
          r.EvalResourceName,
          r.EvalResourceDecision,
        ]),
      ).toEqual([
        [GLOBAL_CLUSTER, "allowed"],
        [other, "implicitDeny"],
      ]);
      await iam().send(new DeleteUserPolicyCommand({ UserName: "outsider", PolicyName: "one-cluster" }));
    });

    it("condition keys a statement needs and the request lacks are MissingContextValues; given, they decide", async () => {
      await iam().send(
        new PutUserPolicyCommand({
          UserName: "outsider",
          PolicyName: "west-only",
          PolicyDocument: JSON.stringify({
            Version: "2012-10-17",
            Statement: [
              {
                Effect: "Allow",
                Action: "ecs:UpdateService",
                Resource: "*",
                Condition: { StringEquals: { "aws:RequestedRegion": "us-west-2" } },
              },
            ],
          }),
        }),
      );
      const simulate = (region?: string) =>
        iam().send(
          new SimulatePrincipalPolicyCommand({
            PolicySourceArn: "arn:aws:iam::111111111111:user/outsider",
            ActionNames: ["ecs:UpdateService"],
            ...(region
              ? {
                  ContextEntries: [
                    {
                      ContextKeyName: "aws:RequestedRegion",
                      ContextKeyValues: [region],
                      ContextKeyType: "string",
                    },
                  ],
                }
              : {}),
          }),
        );
      const without = await simulate();
      expect(without.EvaluationResults?.[0]).toMatchObject({
        EvalDecision: "implicitDeny",
        MissingContextValues: ["aws:RequestedRegion"],
      });
      expect((await simulate("us-west-2")).EvaluationResults?.[0]?.EvalDecision).toBe("allowed");
      expect((await simulate("us-east-1")).EvaluationResults?.[0]?.EvalDecision).toBe("implicitDeny");
      await iam().send(new DeleteUserPolicyCommand({ UserName: "outsider", PolicyName: "west-only" }));
    });

    it("an ARN pattern naming no account (`…:*:rule/x`) is the caller's own account's, as IAM assumes", async () => {
      const out = await iam().send(
        new SimulatePrincipalPolicyCommand({
          PolicySourceArn: OPERATOR_ARN,
          ActionNames: ["events:EnableRule", "iam:SimulatePrincipalPolicy"],
          ResourceArns: ["arn:aws:events:us-west-2:*:rule/case-nightly-report", "arn:aws:iam::*:user/*"],
        }),
      );
      expect(out.EvaluationResults?.map((r) => r.EvalDecision)).toEqual(["allowed", "allowed"]);
      const foreign = await iam().send(
        new SimulatePrincipalPolicyCommand({
          PolicySourceArn: OPERATOR_ARN,
          ActionNames: ["events:EnableRule"],
          ResourceArns: ["arn:aws:events:us-west-2:333333333333:rule/case-nightly-report"],
        }),
      );
      expect(foreign.EvaluationResults?.[0]?.EvalDecision).toBe("implicitDeny");
    });

    it("a key the sandbox does not know, simulating itself while enforcement is off, may do anything (as its calls may)", async () => {
      const unknown = iam({ accessKeyId: "AKIDSANDBOX", secretAccessKey: "x" });
      const out = await unknown.send(
        new SimulatePrincipalPolicyCommand({
          PolicySourceArn: "arn:aws:iam::111111111111:user/AKIDSANDBOX",
          ActionNames: ["rds:FailoverGlobalCluster"],
        }),
      );
      expect(out.EvaluationResults?.[0]?.EvalDecision).toBe("allowed");
      const other = await unknown
        .send(
          new SimulatePrincipalPolicyCommand({
            PolicySourceArn: "arn:aws:iam::111111111111:user/someone-else",
            ActionNames: ["rds:FailoverGlobalCluster"],
          }),
        )
        .catch((e: unknown) => e);
      expect(other).toBeInstanceOf(NoSuchEntityException);
    });

    it("pages by MaxItems and Marker", async () => {
      const actions = [
        "rds:DescribeGlobalClusters",
        "rds:DescribeDBClusters",
        "ecs:UpdateService",
        "kms:Decrypt",
        "sts:GetCallerIdentity",
      ];
      const seen: string[] = [];
      let marker: string | undefined;
      let pages = 0;
      do {
        const page = await iam().send(
          new SimulatePrincipalPolicyCommand({
            PolicySourceArn: OPERATOR_ARN,
            ActionNames: actions,
            MaxItems: 2,
            ...(marker ? { Marker: marker } : {}),
          }),
        );
        pages++;
        expect(page.EvaluationResults?.length).toBeLessThanOrEqual(2);
        for (const r of page.EvaluationResults ?? []) {
          seen.push(r.EvalActionName ?? "");
          expect(r.EvalDecision).toBe("allowed");
        }
        expect(page.IsTruncated).toBe(page.Marker !== undefined);
        marker = page.Marker;
      } while (marker);
      expect(pages).toBe(3);
      expect(seen).toEqual(actions);
    });

    it("with enforcement on, the ARC role's session may prove its own permissions (and only its own)", async () => {
      emulator.iam.enforce(true);
      try {
        const sts = new STSClient({ ...clientConfig(emulator.url), credentials: OPERATOR });
        const { Credentials } = await sts.send(
          new AssumeRoleCommand({ RoleArn: ARC_ROLE, RoleSessionName: "proof" }),
        );
        const asRole = iam({
          accessKeyId: Credentials?.AccessKeyId ?? "",
          secretAccessKey: Credentials?.SecretAccessKey ?? "",
          sessionToken: Credentials?.SessionToken ?? "",
        } as typeof OPERATOR);
        const cell = emulator.routingControlArn("cell-us-west-2");
        const out = await asRole.send(
          new SimulatePrincipalPolicyCommand({
            PolicySourceArn: ARC_ROLE,
            ActionNames: ["route53-recovery-cluster:UpdateRoutingControlState", "rds:FailoverGlobalCluster"],
            ResourceArns: [cell],
          }),
        );
        expect(out.EvaluationResults?.map((r) => r.EvalDecision)).toEqual(["allowed", "implicitDeny"]);
        expect((await asRole.send(new GetRoleCommand({ RoleName: "runbook-arc" }))).Role?.Arn).toBe(ARC_ROLE);
        const other = await asRole.send(new GetUserCommand({ UserName: "x" })).catch((e: unknown) => e);
        expect((other as Error).name).toBe("AccessDenied");
      } finally {
        emulator.iam.enforce(false);
      }
    });

    it("a principal of another account, or none, is NoSuchEntity", async () => {
      const e = await iam()
        .send(
          new SimulatePrincipalPolicyCommand({
            PolicySourceArn: ARC_ROLE,
            ActionNames: ["sts:GetCallerIdentity"],
          }),
        )
        .catch((x: unknown) => x);
      expect(e).toBeInstanceOf(NoSuchEntityException);
      const session = await iam()
        .send(
          new SimulatePrincipalPolicyCommand({
            PolicySourceArn: "arn:aws:sts::111111111111:assumed-role/x/y",
            ActionNames: ["sts:GetCallerIdentity"],
          }),
        )
        .catch((x: unknown) => x);
      expect((session as Error).name).toBe("InvalidInputException");
      expect((session as Error).message).toContain(
        "PolicySourceArn must be the ARN of an IAM user, group or role",
      );
    });
  });
});
