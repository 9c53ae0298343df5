import { z } from "zod";
import { defineExecutor, ExecutorError } from "../src/executor.js";
import { allow, regionsOf } from "../src/iam/arn.js";
import { parseDuration } from "../src/language/duration.js";
import { Duration } from "../src/language/schema.js";

const Comparison = z.enum(["<", "<=", ">", ">=", "=="]);

const params = z
  .strictObject({
    region: z.string().min(1),
    namespace: z.string().optional(),
    metricName: z.string().optional(),
    dimensions: z.record(z.string(), z.string()).optional(),
    stat: z.string().optional().describe("Average (default), Maximum, Sum, p99, …"),
    expression: z.string().optional().describe("Metric math over m1 (the metric above), e.g. m1 * 1000"),
    period: Duration.optional().describe("Default 1m"),
    window: Duration.optional().describe(
      "How far back to look (default 5m); the latest datapoint is compared",
    ),
    threshold: z.coerce.number().describe("A number (or a ${{ }} expression that gives one)"),
    comparison: Comparison.describe("The check passes when <latest value> <comparison> <threshold>"),
    missing: z.enum(["fail", "pass"]).optional().describe("When there is no datapoint (default fail)"),
  })
  .refine((p) => p.expression || (p.namespace && p.metricName), {
    message: "give namespace and metricName (and optionally expression)",
  });

/** A metric (or metric math over it) compared to a threshold: e.g. replication lag below the RPO budget. */
export const cloudwatchMetric = defineExecutor({
  type: "cloudwatch.metric",
  summary: "Read a CloudWatch metric (GetMetricData) and compare the latest value to a threshold",
  params,
  aws: true,
  permissions: (p) => ({ run: [allow("cloudwatch:GetMetricData", ["*"], regionsOf(p.region))] }),
  idempotent: true,
  readOnly: true,
  describe: (p) =>
    `CloudWatch ${p.expression ? `${p.expression} over ` : ""}${p.namespace}/${p.metricName}${
      p.dimensions
        ? ` {${Object.entries(p.dimensions)
            .map(([k, v]) => `${k}=${v}`)
            .join(",")}}`
        : ""
    } ${p.stat ?? "Average"} ${p.comparison} ${p.threshold} in ${p.region}`,
  async run(p, ctx) {
    const { GetMetricDataCommand } = await import("@aws-sdk/client-cloudwatch");
    const cw = await ctx.aws.client("cloudwatch", p.region);
    const periodS = Math.max(1, Math.round((parseDuration(p.period ?? "1m") ?? 60_000) / 1000));
    const end = ctx.now();
    const start = new Date(end.getTime() - (parseDuration(p.window ?? "5m") ?? 300_000));
    const m1 = {
      Id: "m1",
      MetricStat: {
        Metric: {
          Namespace: p.namespace,
          MetricName: p.metricName,
          Dimensions: Object.entries(p.dimensions ?? {}).map(([Name, Value]) => ({ Name, Value })),
        },
        Period: periodS,
        Stat: p.stat ?? "Average",
      },
      ReturnData: !p.expression,
    };
    const queries = p.expression ? [m1, { Id: "e1", Expression: p.expression, ReturnData: true }] : [m1];
    const out = await cw.send(
      new GetMetricDataCommand({
        MetricDataQueries: queries,
        StartTime: start,
        EndTime: end,
        ScanBy: "TimestampDescending",
      }),
      { abortSignal: ctx.signal },
    );
    const series = out.MetricDataResults?.find((r) => r.Id === (p.expression ? "e1" : "m1"));
    const value = series?.Values?.[0];
    const at = series?.Timestamps?.[0]?.toISOString();
    if (value === undefined) {
      if (p.missing === "pass") return { value: null, at: null, passed: true };
      throw new ExecutorError(
        `no datapoint for ${p.metricName ?? p.expression} in the last ${p.window ?? "5m"}`,
        "retryable",
      );
    }
    const ok = compare(value, p.comparison, p.threshold);
    if (!ok)
      throw new ExecutorError(
        `${p.metricName ?? p.expression} is ${value} (at ${at}), needs ${p.comparison} ${p.threshold}`,
        "retryable",
      );
    return { value, at, passed: true };
  },
});

function compare(v: number, op: z.infer<typeof Comparison>, t: number): boolean {
  return op === "<" ? v < t : op === "<=" ? v <= t : op === ">" ? v > t : op === ">=" ? v >= t : v === t;
}
