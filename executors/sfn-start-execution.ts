import type { SFNClient } from "@aws-sdk/client-sfn";
import { z } from "zod";
import { poll } from "../src/aws/poll.js";
import { defineExecutor, ExecutorError } from "../src/executor.js";
import { allow, arnPart, isArn, regionsOf, resourceArn } from "../src/iam/arn.js";

/**
 * Start a Step Functions execution and wait for its end, returning its output (e.g. "scale
 * up the recovery region"). The execution name makes it idempotent: AWS refuses a second
 * execution of the same name, and `check` finds the first one.
 */
export const sfnStartExecution = defineExecutor({
  type: "sfn.start-execution",
  summary: "Start a Step Functions state machine and wait for it to finish",
  params: z.strictObject({
    region: z.string().min(1),
    stateMachineArn: z.string().min(1),
    name: z
      .string()
      .min(1)
      .max(80)
      .describe("Execution name; keep it unique per run, e.g. scale-up-${{ inputs.incident }}"),
    input: z.unknown().optional(),
    wait: z.boolean().optional().describe("Wait for the end (default true)"),
  }),
  aws: true,
  permissions(p, scope) {
    const regions = regionsOf(p.region);
    const machine = isArn(p.stateMachineArn)
      ? p.stateMachineArn
      : resourceArn("states", "stateMachine", {}, scope, p.region);
    const execution = isArn(p.stateMachineArn)
      ? executionArn(p.stateMachineArn, arnPart(p.name))
      : resourceArn("states", "execution", { ExecutionId: p.name }, scope, p.region);
    const read = allow("states:DescribeExecution", [execution], regions);
    return { check: [read], run: [read, allow("states:StartExecution", [machine], regions)] };
  },
  describe: (p) =>
    `Step Functions StartExecution ${p.stateMachineArn.split(":").at(-1)} as "${p.name}" in ${p.region}${p.wait === false ? "" : ", wait for its end"}`,
  async check(p, ctx) {
    const arn = executionArn(p.stateMachineArn, p.name);
    const found = await describe(await ctx.aws.client("sfn", p.region), arn, ctx.signal);
    if (!found) return { inPlace: false, detail: `no execution named ${p.name}` };
    // Started before a crash: `run` will wait for it rather than start another.
    if (found.status !== "SUCCEEDED")
      return { inPlace: false, detail: `execution ${p.name} is ${found.status}` };
    return {
      inPlace: true,
      detail: `execution ${p.name} already succeeded`,
      outputs: { executionArn: arn, status: found.status, output: found.output },
    };
  },
  async run(p, ctx) {
    const { StartExecutionCommand } = await import("@aws-sdk/client-sfn");
    const sfn = await ctx.aws.client("sfn", p.region);
    const arn = executionArn(p.stateMachineArn, p.name);
    const existing = await describe(sfn, arn, ctx.signal);
    if (!existing || ["FAILED", "TIMED_OUT", "ABORTED"].includes(existing.status)) {
      if (existing)
        throw new ExecutorError(
          `execution ${p.name} already ended ${existing.status}; use a new name to try again`,
          "fatal",
        );
      await sfn.send(
        new StartExecutionCommand({
          stateMachineArn: p.stateMachineArn,
          name: p.name,
          input: JSON.stringify(p.input ?? {}),
        }),
        { abortSignal: ctx.signal },
      );
    }
    if (p.wait === false) return { executionArn: arn, status: "RUNNING" };
    const end = await poll(
      async () => {
        const d = await describe(sfn, arn, ctx.signal);
        if (!d || d.status === "RUNNING" || d.status === "PENDING_REDRIVE")
          return { state: "RETRY", detail: d?.status };
        if (d.status === "SUCCEEDED") return { state: "SUCCESS", value: d };
        return {
          state: "FAILURE",
          reason: `execution ${p.name} ended ${d.status}${d.error ? `: ${d.error}${d.cause ? ` (${d.cause})` : ""}` : ""}`,
        };
      },
      {
        signal: ctx.signal,
        minDelayMs: 250,
        maxDelayMs: 2000,
        onRetry: (status) =>
          ctx.progress(`waiting for execution ${p.name} to end: ${status ?? "not visible yet"}`),
      },
    ).catch((err) => {
      throw new ExecutorError((err as Error).message, "fatal");
    });
    return { executionArn: arn, status: end.status, output: end.output };
  },
});

/** arn:aws:states:region:acct:stateMachine:Name → arn:aws:states:region:acct:execution:Name:exec */
function executionArn(stateMachineArn: string, name: string): string {
  return `${stateMachineArn.replace(":stateMachine:", ":execution:")}:${name}`;
}

async function describe(
  sfn: SFNClient,
  arn: string,
  signal: AbortSignal,
): Promise<{ status: string; output?: unknown; error?: string; cause?: string } | undefined> {
  const { DescribeExecutionCommand } = await import("@aws-sdk/client-sfn");
  try {
    const d = await sfn.send(new DescribeExecutionCommand({ executionArn: arn }), { abortSignal: signal });
    return {
      status: d.status ?? "UNKNOWN",
      ...(d.output ? { output: safeJson(d.output) } : {}),
      ...(d.error ? { error: d.error } : {}),
      ...(d.cause ? { cause: d.cause } : {}),
    };
  } catch (err) {
    if ((err as { name?: string }).name === "ExecutionDoesNotExist") return undefined;
    throw err;
  }
}

function safeJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return s;
  }
}
