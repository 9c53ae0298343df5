import type { CloudWatchClient } from "@aws-sdk/client-cloudwatch";

/**
 * The latest datapoint of one CloudWatch metric (GetMetricData, newest first), for probes
 * that compare an AWS-published figure (ReplicationLatency, replication backlog) to a
 * threshold. AWS services publish at 1-minute resolution, so the period is a minute unless
 * asked otherwise, and a window of a few periods tolerates a late datapoint.
 */
export interface MetricQuery {
  namespace: string;
  metricName: string;
  dimensions: Record<string, string>;
  /** Default Maximum: a readiness gate judges the worst of the period. */
  stat?: string;
  /** Default 60. */
  periodSeconds?: number;
  /** How far back to look, ms (default 5 minutes). */
  windowMs?: number;
}

export async function latestDatapoint(
  cw: CloudWatchClient,
  q: MetricQuery,
  now: Date,
  signal: AbortSignal,
): Promise<{ value: number; at: Date } | undefined> {
  const { GetMetricDataCommand } = await import("@aws-sdk/client-cloudwatch");
  const out = await cw.send(
    new GetMetricDataCommand({
      StartTime: new Date(now.getTime() - (q.windowMs ?? 300_000)),
      EndTime: now,
      ScanBy: "TimestampDescending",
      MetricDataQueries: [
        {
          Id: "m1",
          MetricStat: {
            Metric: {
              Namespace: q.namespace,
              MetricName: q.metricName,
              Dimensions: Object.entries(q.dimensions).map(([Name, Value]) => ({ Name, Value })),
            },
            Period: q.periodSeconds ?? 60,
            Stat: q.stat ?? "Maximum",
          },
        },
      ],
    }),
    { abortSignal: signal },
  );
  const series = out.MetricDataResults?.find((r) => r.Id === "m1");
  const value = series?.Values?.[0];
  const at = series?.Timestamps?.[0];
  return value === undefined || at === undefined ? undefined : { value, at };
}
