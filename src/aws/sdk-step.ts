import { z } from "zod";
import type { ExecutorContext } from "../executor.js";
import { Duration } from "../language/schema.js";
import { checkExpression, searchResponse } from "./jmespath-fields.js";
import {
  checkInput,
  isReadOnlyOperation,
  operationError,
  type Report,
  resolveOperation,
} from "./sdk-operation.js";
import type { ShapePath } from "./sdk-shapes.js";

/**
 * What `aws.call` and `aws.assert` share: naming an operation (`service` = the package
 * `@aws-sdk/client-<service>`, `command` = the operation), checking everything written about
 * it against the SDK's schemas at validate time, and calling it through ctx's clients.
 */

export const ServiceName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]*$/)
  .describe("The SDK client package's suffix: ecs for @aws-sdk/client-ecs, route-53, secrets-manager, …");
export const OperationName = z
  .string()
  .regex(/^[A-Z][A-Za-z0-9]*$/)
  .describe("The operation, as the SDK names it (UpdateService, DescribeTable)");
export const Input = z
  .record(z.string(), z.unknown())
  .describe("The operation's input, member names as in the SDK");
export const Expression = z
  .string()
  .min(1)
  .describe("JMESPath over the SDK's response (the AWS CLI's --query language)");

export const ReadSpec = z.strictObject({
  command: OperationName,
  input: Input.optional(),
});

export const WaitFor = ReadSpec.extend({
  until: Expression.describe("Done when this is true (JMESPath truthiness)"),
  failWhen: Expression.optional().describe("Give up at once when this is true"),
  minDelay: Duration.optional().describe("First delay between polls (default 2s)"),
  maxDelay: Duration.optional().describe("Longest delay between polls (default 30s)"),
  timeout: Duration.optional().describe("Give up after (default 10m)"),
  description: z.string().min(1).optional().describe("What is waited for, for the live view"),
});

export const Outputs = z
  .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), Expression)
  .describe("name: JMESPath, picked for later steps as steps.<id>.outputs.<name>");

/** Checks one operation, its input and the expressions evaluated over its output. */
export function validateOperation(
  service: string,
  op: { command: string; input?: unknown },
  expressions: { path: ShapePath; expression: string }[],
  report: Report,
  at: ShapePath,
  where: { runbookDir?: string; readOnly?: string },
): void {
  if (where.readOnly && !isReadOnlyOperation(op.command)) {
    report([...at, "command"], `${op.command} is not a read (Describe*, Get*, List*, …): ${where.readOnly}`);
  }
  const shapes = resolveOperation(service, op.command, where.runbookDir, report, {
    service: ["service"],
    command: [...at, "command"],
  });
  if (!shapes) return;
  checkInput(op.input, shapes, report, [...at, "input"]);
  for (const e of expressions) {
    // An expression with ${{ }} in it is only JMESPath once rendered.
    if (e.expression.includes("${{")) continue;
    for (const problem of checkExpression(e.expression, shapes.output)) report(e.path, problem);
  }
}

/** One call of an operation through the run's clients (which shape the input for the SDK). */
export async function callOperation(
  ctx: ExecutorContext,
  service: string,
  region: string,
  op: { command: string; input?: Record<string, unknown> | undefined },
): Promise<Record<string, unknown>> {
  try {
    const out = await ctx.aws.call(service, op.command, op.input ?? {}, region);
    const { $metadata: _, ...response } = out;
    return response;
  } catch (err) {
    throw operationError(err, service, op.command, region);
  }
}

export function pickOutputs(
  response: unknown,
  outputs: Record<string, string> | undefined,
): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(outputs ?? {}).map(([name, expression]) => [
      name,
      searchResponse(response, expression) ?? null,
    ]),
  );
}

export function describeOperation(service: string, command: string, region: string, input?: object): string {
  const members = Object.entries(input ?? {})
    .slice(0, 4)
    .map(([k, v]) => `${k}=${typeof v === "object" ? "…" : String(v)}`)
    .join(", ");
  return `${service} ${command}(${members}${Object.keys(input ?? {}).length > 4 ? ", …" : ""}) in ${region}`;
}
