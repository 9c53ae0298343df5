import { describe, expect, it } from "vitest";
import { covers } from "../../src/iam/policy-document.js";
import {
  definitionResources,
  stateMachinePolicies,
  uncoveredResources,
} from "../../src/stepfunctions/state-machine-policy.js";
import { ACCOUNT, awsExample, exported, shipped } from "./export-fixtures.js";

/** The three roles of an exported runbook: each may do what its part needs and nothing more. */

const REGION = "ap-southeast-3";
const source = shipped("failover-case-api");
const env = awsExample();
const { definition } = exported(source, env, REGION);
const policies = stateMachinePolicies(source.runbook, env, {
  region: REGION,
  accountId: ACCOUNT,
  definition,
});
const actions = (doc: { Statement: { Action: string[] }[] }) => doc.Statement.flatMap((s) => s.Action).sort();
const allows = (doc: (typeof policies)["steps"]["policy"], action: string, resource: string) =>
  doc.Statement.some((s) => s.Action.includes(action) && s.Resource.some((r) => covers(r, resource)));

describe("the exported machine's roles", () => {
  it("the state machine may invoke its two functions, and nothing else", () => {
    expect(policies.states.name).toBe("runbook-failover-case-api-states");
    expect(policies.states.trust.Statement).toEqual([
      {
        Effect: "Allow",
        Principal: { Service: "states.amazonaws.com" },
        Action: "sts:AssumeRole",
        Condition: { StringEquals: { "aws:SourceAccount": ACCOUNT } },
      },
    ]);
    expect(actions(policies.states.policy)).toEqual(["lambda:InvokeFunction"]);
    // Every Resource of the definition is covered; a function of another runbook is not.
    expect(definitionResources(definition).length).toBeGreaterThan(20);
    expect(uncoveredResources(definition, policies.states.policy)).toEqual([]);
    expect(
      allows(
        policies.states.policy,
        "lambda:InvokeFunction",
        `arn:aws:lambda:${REGION}:${ACCOUNT}:function:runbook-failback-case-api-steps`,
      ),
    ).toBe(false);
  });

  it("finds a Task the states role does not allow", () => {
    const other = structuredClone(definition);
    (other.States.publish!.Parameters as { FunctionName: string }).FunctionName =
      `arn:aws:lambda:${REGION}:${ACCOUNT}:function:somebody-else`;
    expect(uncoveredResources(other, policies.states.policy)).toEqual([
      {
        action: "lambda:InvokeFunction",
        resource: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:somebody-else`,
      },
    ]);
    expect(() =>
      stateMachinePolicies(source.runbook, env, { region: REGION, accountId: ACCOUNT, definition: other }),
    ).toThrow(/internal: the state machine's role does not allow lambda:InvokeFunction/);
  });

  it("the steps function may do what the runbook's executors do in its account, and assume the ARC role", () => {
    expect(policies.steps.trust.Statement[0]!.Principal).toEqual({ Service: "lambda.amazonaws.com" });
    const steps = policies.steps.policy;
    expect(actions(steps)).toEqual(
      expect.arrayContaining(["rds:FailoverGlobalCluster", "ecs:UpdateService", "cloudwatch:PutMetricData"]),
    );
    expect(allows(steps, "sts:AssumeRole", "arn:aws:iam::444455556666:role/runbook-arc")).toBe(true);
    // The engine's own permission proof is the operator's, not the function's.
    expect(actions(steps)).not.toContain("iam:SimulatePrincipalPolicy");
    // ARC is called in the recovery account, through the role: what that role needs is listed apart.
    expect(actions(steps)).not.toContain("route53-recovery-cluster:UpdateRoutingControlStates");
    expect(Object.keys(policies.steps.assumedRoles)).toEqual(["444455556666"]);
    expect(actions(policies.steps.assumedRoles["444455556666"]!)).toContain(
      "route53-recovery-cluster:UpdateRoutingControlStates",
    );
    expect(
      allows(
        steps,
        "logs:PutLogEvents",
        `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/lambda/runbook-failover-case-api-steps:log-stream:x`,
      ),
    ).toBe(true);
  });

  it("the approval function reads this machine's executions and answers task tokens, nothing else", () => {
    const doc = policies.approvals.policy;
    expect(actions(doc)).toEqual([
      "logs:CreateLogGroup",
      "logs:CreateLogStream",
      "logs:PutLogEvents",
      "states:GetExecutionHistory",
      "states:SendTaskFailure",
      "states:SendTaskSuccess",
    ]);
    const execution = `arn:aws:states:${REGION}:${ACCOUNT}:execution:runbook-failover-case-api:run-1`;
    expect(allows(doc, "states:GetExecutionHistory", execution)).toBe(true);
    expect(
      allows(
        doc,
        "states:GetExecutionHistory",
        `arn:aws:states:${REGION}:${ACCOUNT}:execution:other-machine:run-1`,
      ),
    ).toBe(false);
  });
});
