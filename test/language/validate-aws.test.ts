import { describe, expect, it } from "vitest";
import { executors } from "../../executors/index.js";
import { ValidationError } from "../../src/errors.js";
import { validateRunbook } from "../../src/language/validate.js";

/** aws.call / aws.assert are checked against the SDK's operation schemas at validate time. */

function problems(steps: string): string[] {
  const text = `apiVersion: runbook/v1
kind: Runbook
metadata: { name: capacity, environment: sandbox }
steps:
${steps}`;
  try {
    validateRunbook(text, "capacity.yaml", executors);
  } catch (err) {
    if (err instanceof ValidationError) return err.diagnostics.map((d) => `${d.line}:${d.col}: ${d.message}`);
    throw err;
  }
  return [];
}

describe("aws.call and aws.assert at validate time", () => {
  it("a well-formed call passes, expressions and all", () => {
    expect(
      problems(`  - id: scale
    type: aws.call
    with:
      service: ecs
      command: UpdateService
      region: "\${{ inputs.region }}"
      input: { cluster: case, service: case-api, desiredCount: "\${{ inputs.count }}" }
      waitFor:
        command: DescribeServices
        input: { cluster: case, services: [case-api] }
        until: "services[0].runningCount == services[0].desiredCount && services[0].deployments[0].rolloutState == 'COMPLETED'"
      outputs: { running: "services[0].runningCount" }
inputs:
  region: { default: us-west-2 }
  count: { default: "6" }
`),
    ).toEqual([]);
  });

  it("a misspelled input member, a wrong type, an unknown command and a field the output lacks: each at file:line:col with a suggestion", () => {
    expect(
      problems(`  - id: scale
    type: aws.call
    with:
      service: ecs
      command: UpdateService
      region: us-west-2
      input:
        cluster: case
        service: case-api
        desiredCont: 6
        forceNewDeployment: "yes"
      waitFor:
        command: DescribeService
        until: "services[0].runningCount == \`6\`"
  - id: check
    type: aws.assert
    with:
      service: ecs
      command: DescribeServices
      region: us-west-2
      input: { cluster: case, services: [case-api] }
      expect: "Services[0].runningCount >= \`6\`"
`),
    ).toEqual([
      '14:9: aws.call: unknown member "desiredCont" of UpdateServiceRequest (did you mean "desiredCount"?)',
      '15:29: aws.call: expected a boolean, got the string "yes"',
      '17:18: aws.call: @aws-sdk/client-ecs has no operation "DescribeService" (did you mean "DescribeServices"?)',
      '26:15: aws.assert: "Services" is not a field of DescribeServicesResponse (did you mean "services"?)',
    ]);
  });

  it("a missing client package names the package to install; aws.assert refuses an operation that changes something", () => {
    expect(
      problems(`  - id: a
    type: aws.assert
    with: { service: no-such-thing, command: DescribeThings, region: us-west-2, expect: "x" }
  - id: b
    type: aws.assert
    with: { service: dynamodb, command: DeleteTable, region: us-west-2, input: { TableName: t }, expect: TableDescription }
`),
    ).toEqual([
      '7:22: aws.assert: no AWS SDK client for service "no-such-thing": a service is named after its client package, @aws-sdk/client-<service>; to use @aws-sdk/client-no-such-thing, install it where your runbooks live: npm install @aws-sdk/client-no-such-thing',
      "10:41: aws.assert: DeleteTable is not a read (Describe*, Get*, List*, …): aws.assert only reads; use aws.call to change something",
    ]);
  });
});
