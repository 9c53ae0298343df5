import { describe, expect, it } from "vitest";
import { executors } from "../../executors/index.js";
import { ValidationError } from "../../src/errors.js";
import type { PermissionScope } from "../../src/iam/permission.js";
import { iamPrefixOf } from "../../src/iam/sdk-permissions.js";
import { validateRunbook } from "../../src/language/validate.js";

/** aws.call and aws.assert: permissions derived from service and command. */

const SCOPE: PermissionScope = { account: "111122223333", region: "us-west-2", partition: "aws" };
const call = executors.get("aws.call")!;
const assert = executors.get("aws.assert")!;

describe("the IAM prefix of an SDK client", () => {
  it("is its SigV4 signing name where IAM knows it, else its service id", () => {
    expect(iamPrefixOf("sfn")).toBe("states");
    expect(iamPrefixOf("eventbridge")).toBe("events");
    expect(iamPrefixOf("secrets-manager")).toBe("secretsmanager");
    expect(iamPrefixOf("auto-scaling")).toBe("autoscaling");
    expect(iamPrefixOf("route-53")).toBe("route53");
    // CloudWatch signs as "monitoring", which IAM does not know: its service id "CloudWatch" it does.
    expect(iamPrefixOf("cloudwatch")).toBe("cloudwatch");
  });
});

describe("aws.call and aws.assert permissions", () => {
  it("the operation's action on *, and the waitFor and inPlaceWhen reads as check and run permissions", () => {
    const p = call.params.parse({
      service: "ecs",
      command: "UpdateService",
      region: "us-west-2",
      input: { cluster: "case", service: "case-api", desiredCount: 6 },
      inPlaceWhen: { command: "DescribeServices", input: {}, expect: "true" },
      waitFor: { command: "DescribeServices", until: "true" },
    });
    const declared = call.permissions!(p, SCOPE);
    expect(declared.run.map((x) => x.action)).toEqual(["ecs:UpdateService", "ecs:DescribeServices"]);
    expect(declared.check?.map((x) => x.action)).toEqual(["ecs:DescribeServices", "ecs:DescribeServices"]);
    expect(declared.run[0]).toEqual({
      action: "ecs:UpdateService",
      resources: ["*"],
      regions: ["us-west-2"],
    });
  });

  it("ARNs of the action's resource type in the input narrow the resources; iamResources overrides", () => {
    const global = "arn:aws:rds::111122223333:global-cluster:case-global";
    const cluster = "arn:aws:rds:us-west-2:111122223333:cluster:case-b";
    const p = call.params.parse({
      service: "rds",
      command: "FailoverGlobalCluster",
      region: "us-west-2",
      input: { GlobalClusterIdentifier: global, TargetDbClusterIdentifier: cluster, AllowDataLoss: true },
    });
    expect(call.permissions!(p, SCOPE).run[0]?.resources).toEqual([global, cluster]);
    // An ARN of another type (a topic) does not scope a cluster action.
    const other = call.params.parse({
      service: "rds",
      command: "DescribeDBClusters",
      region: "us-west-2",
      input: { DBClusterIdentifier: "arn:aws:sns:us-west-2:111122223333:topic" },
    });
    expect(call.permissions!(other, SCOPE).run[0]?.resources).toEqual(["*"]);
    const narrowed = call.params.parse({
      service: "ecs",
      command: "UpdateService",
      region: "us-west-2",
      input: {},
      iamResources: ["arn:aws:ecs:us-west-2:111122223333:service/case/*"],
    });
    expect(call.permissions!(narrowed, SCOPE).run[0]?.resources).toEqual([
      "arn:aws:ecs:us-west-2:111122223333:service/case/*",
    ]);
  });

  it("an operation IAM names otherwise takes its actions from iamActions, remembering the operation", () => {
    const p = assert.params.parse({
      service: "s3",
      command: "GetBucketReplication",
      region: "us-east-1",
      input: { Bucket: "b" },
      expect: "true",
      iamActions: ["s3:GetReplicationConfiguration"],
    });
    expect(assert.permissions!(p, SCOPE).run).toEqual([
      {
        action: "s3:GetReplicationConfiguration",
        resources: ["*"],
        regions: ["us-east-1"],
        operation: "GetBucketReplication",
      },
    ]);
    // A region known only at run time.
    const later = assert.params.parse({ ...(p as object), region: "${{ steps.x.outputs.region }}" });
    expect(assert.permissions!(later, SCOPE).run[0]?.regions).toEqual(["*"]);
  });
});

function problems(steps: string): string[] {
  const text = `apiVersion: runbook/v1
kind: Runbook
metadata: { name: iam, environment: sandbox }
steps:
${steps}`;
  try {
    validateRunbook(text, "iam.yaml", executors);
  } catch (err) {
    if (err instanceof ValidationError) return err.diagnostics.map((d) => `${d.line}:${d.col}: ${d.message}`);
    throw err;
  }
  return [];
}

describe("runbook validate asks for iamActions where IAM has no action of the operation's name", () => {
  it("reports the command at file:line:col, and an iamActions entry IAM does not know", () => {
    expect(
      problems(`  - id: replication
    type: aws.assert
    with:
      service: s3
      command: GetBucketReplication
      region: us-east-1
      input: { Bucket: b }
      expect: "ReplicationConfiguration.Rules[0].Status == 'Enabled'"
  - id: scale
    type: aws.call
    with:
      service: ecs
      command: UpdateService
      region: us-west-2
      input: { cluster: case, service: case-api, desiredCount: 2 }
      iamActions: [ecs:UpdateServices]
      waitFor:
        command: DescribeServices
        input: { cluster: case, services: [case-api] }
        until: "services[0].runningCount == \`2\`"
        iamResources: [case-api]
`),
    ).toEqual([
      "9:16: aws.assert: IAM has no action s3:GetBucketReplication: say which IAM actions GetBucketReplication needs with iamActions (AWS's Service Authorization Reference for s3 lists them)",
      "20:20: aws.call: IAM has no action ecs:UpdateServices (AWS's Service Authorization Reference lists each service's actions)",
      '25:24: aws.call: "case-api" is not an ARN (arn:…) nor *',
    ]);
  });

  it("passes once the step names the action", () => {
    expect(
      problems(`  - id: replication
    type: aws.assert
    with:
      service: s3
      command: GetBucketReplication
      region: us-east-1
      input: { Bucket: b }
      expect: "ReplicationConfiguration.Rules[0].Status == 'Enabled'"
      iamActions: [s3:GetReplicationConfiguration]
`),
    ).toEqual([]);
  });
});
