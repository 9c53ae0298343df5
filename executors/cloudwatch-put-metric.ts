import { z } from "zod";
import { defineExecutor } from "../src/executor.js";
import { allow, regionsOf } from "../src/iam/arn.js";

/**
 * Publish figures of this run (achieved RTO, observed RPO, step durations) so teams can
 * graph drills and alarm on regressions. Values usually come from expressions.
 */
export const cloudwatchPutMetric = defineExecutor({
  type: "cloudwatch.put-metric",
  summary: "Publish metrics (PutMetricData), e.g. the achieved RTO/RPO of this run",
  params: z.strictObject({
    region: z.string().min(1),
    namespace: z.string().min(1).optional().describe("Default Runbook"),
    dimensions: z.record(z.string(), z.string()).optional(),
    metrics: z
      .array(
        z.strictObject({
          name: z.string().min(1),
          value: z.union([z.number(), z.string().regex(/^-?\d+(\.\d+)?$/)]),
          unit: z.enum(["Milliseconds", "Seconds", "Count", "Percent", "None"]).optional(),
        }),
      )
      .min(1),
  }),
  aws: true,
  permissions: (p) => ({ run: [allow("cloudwatch:PutMetricData", ["*"], regionsOf(p.region))] }),
  // Publishing the same datapoints twice only adds a duplicate sample; not worth a crash stop.
  idempotent: true,
  describe: (p) =>
    `CloudWatch PutMetricData ${p.namespace ?? "Runbook"}: ${p.metrics.map((m) => m.name).join(", ")} in ${p.region}`,
  async run(p, ctx) {
    const { PutMetricDataCommand } = await import("@aws-sdk/client-cloudwatch");
    const cw = await ctx.aws.client("cloudwatch", p.region);
    const dims = Object.entries(p.dimensions ?? {}).map(([Name, Value]) => ({ Name, Value }));
    await cw.send(
      new PutMetricDataCommand({
        Namespace: p.namespace ?? "Runbook",
        MetricData: p.metrics.map((m) => ({
          MetricName: m.name,
          Value: Number(m.value),
          Unit: m.unit ?? "None",
          Timestamp: ctx.now(),
          Dimensions: dims,
        })),
      }),
      { abortSignal: ctx.signal },
    );
    return { published: p.metrics.length };
  },
});
