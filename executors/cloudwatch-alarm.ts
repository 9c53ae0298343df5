import { z } from "zod";
import { defineExecutor, ExecutorError } from "../src/executor.js";
import { allow, listOf, regionsOf, resourceArn } from "../src/iam/arn.js";

/** Named alarms must be in the expected state; the natural abort criterion ("recovery region 5xx in ALARM"). */
export const cloudwatchAlarm = defineExecutor({
  type: "cloudwatch.alarm",
  summary: "Pass when CloudWatch alarms are in the expected state (DescribeAlarms)",
  params: z.strictObject({
    region: z.string().min(1),
    alarmNames: z.array(z.string().min(1)).min(1),
    expect: z.enum(["OK", "ALARM", "INSUFFICIENT_DATA"]).optional().describe("Default OK"),
    treatInsufficientDataAs: z
      .enum(["OK", "ALARM"])
      .optional()
      .describe("Default: INSUFFICIENT_DATA is its own state"),
  }),
  aws: true,
  permissions: (p, scope) => ({
    run: [
      allow(
        "cloudwatch:DescribeAlarms",
        listOf(p.alarmNames).map((name) =>
          resourceArn("cloudwatch", "alarm", { AlarmName: name }, scope, p.region),
        ),
        regionsOf(p.region),
      ),
    ],
  }),
  idempotent: true,
  readOnly: true,
  describe: (p) => `CloudWatch alarms ${p.alarmNames.join(", ")} in ${p.region} are ${p.expect ?? "OK"}`,
  async run(p, ctx) {
    const { DescribeAlarmsCommand } = await import("@aws-sdk/client-cloudwatch");
    const cw = await ctx.aws.client("cloudwatch", p.region);
    const out = await cw.send(new DescribeAlarmsCommand({ AlarmNames: p.alarmNames }), {
      abortSignal: ctx.signal,
    });
    const expected = p.expect ?? "OK";
    const states: Record<string, string> = {};
    for (const name of p.alarmNames) {
      const alarm =
        out.MetricAlarms?.find((a) => a.AlarmName === name) ??
        out.CompositeAlarms?.find((a) => a.AlarmName === name);
      if (!alarm) throw new ExecutorError(`alarm ${name} does not exist in ${p.region}`, "fatal");
      const raw = alarm.StateValue ?? "INSUFFICIENT_DATA";
      states[name] =
        raw === "INSUFFICIENT_DATA" && p.treatInsufficientDataAs ? p.treatInsufficientDataAs : raw;
    }
    const wrong = Object.entries(states).filter(([, s]) => s !== expected);
    if (wrong.length) {
      throw new ExecutorError(
        `${wrong.map(([n, s]) => `${n} is ${s}`).join(", ")}; expected ${expected}`,
        "retryable",
      );
    }
    return { states };
  },
});
