import { z } from "zod";
import { isTruthy, searchResponse } from "../src/aws/jmespath-fields.js";
import {
  callOperation,
  describeOperation,
  Expression,
  Input,
  OperationName,
  Outputs,
  pickOutputs,
  ServiceName,
  validateOperation,
} from "../src/aws/sdk-step.js";
import { defineExecutor, ExecutorError } from "../src/executor.js";
import { IamActions, IamResources, operationPermissions, validateIam } from "../src/iam/sdk-permissions.js";

/**
 * A read-only probe over any AWS SDK read operation, SSM Automation's
 * `aws:assertAwsResourceProperty`: passes when the JMESPath `expect` is true of the response.
 * Usable as a pre-check, an abort probe and in `runbook check`; only reads are accepted.
 */
export const awsAssert = defineExecutor({
  type: "aws.assert",
  summary: "Pass when a JMESPath expression is true of an AWS read's response",
  params: z.strictObject({
    service: ServiceName,
    command: OperationName,
    region: z.string().min(1),
    input: Input.optional(),
    expect: Expression.describe("Passes when this is true (JMESPath truthiness)"),
    message: z.string().min(1).optional().describe("What a failure means, for the operator"),
    detail: Expression.optional().describe(
      "JMESPath of what to show when it fails (default: the value of expect)",
    ),
    outputs: Outputs.optional(),
    iamActions: IamActions.optional(),
    iamResources: IamResources.optional(),
  }),
  aws: true,
  permissions: (p, scope) => ({ run: operationPermissions(p.service, p, p.region, scope.runbookDir) }),
  idempotent: true,
  readOnly: true,
  describe: (p) => `${describeOperation(p.service, p.command, p.region, p.input)} shows ${p.expect}`,
  validate(p, report, where) {
    validateOperation(
      p.service,
      p,
      [
        { path: ["expect"], expression: p.expect },
        ...(p.detail ? [{ path: ["detail"], expression: p.detail }] : []),
        ...Object.entries(p.outputs ?? {}).map(([k, expression]) => ({ path: ["outputs", k], expression })),
      ],
      report,
      [],
      { ...where, readOnly: "aws.assert only reads; use aws.call to change something" },
    );
    validateIam(p.service, p, report, [], where.runbookDir);
  },
  async run(p, ctx) {
    const response = await callOperation(ctx, p.service, p.region, p);
    const value = searchResponse(response, p.expect);
    if (!isTruthy(value)) {
      // Retryable: a step's retry: policy may wait for it to become true; a probe counts it as failing.
      const shown = p.detail ? searchResponse(response, p.detail) : value;
      throw new ExecutorError(
        `${p.message ?? `expected ${p.expect}`}: ${p.command} in ${p.region} ${p.detail ? `says ${JSON.stringify(shown) ?? "null"}` : `gave ${JSON.stringify(value) ?? "null"}`}`,
        "retryable",
      );
    }
    return pickOutputs(response, p.outputs);
  },
});
