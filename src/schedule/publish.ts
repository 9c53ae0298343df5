import type { MetricDatum } from "@aws-sdk/client-cloudwatch";
import type { DrillResult } from "../drill/drill-types.js";
import type { AwsClientFactory } from "../executor.js";
import type { ScheduledDrill } from "./schedule-file.js";

/**
 * A drill's result as CloudWatch metrics, so an alarm can page when a game day fails or the
 * RTO drifts: `DrillPassed` (1/0), `DrillRtoAchieved` and `DrillRpoObserved` (ms, only when
 * measured), each with the dimensions Runbook, Drill and Scenario.
 */

export interface PublishConfig {
  region: string;
  namespace: string;
}

export function drillMetrics(result: DrillResult, drill: ScheduledDrill): MetricDatum[] {
  const Dimensions = [
    { Name: "Runbook", Value: drill.runbook },
    { Name: "Drill", Value: drill.name },
    // A dimension value cannot be empty.
    { Name: "Scenario", Value: result.scenario ?? drill.scenario ?? "none" },
  ];
  const Timestamp = new Date(result.endedAt);
  const data: MetricDatum[] = [
    {
      MetricName: "DrillPassed",
      Value: result.verdict === "pass" ? 1 : 0,
      Unit: "Count",
      Dimensions,
      Timestamp,
    },
  ];
  if (result.rtoMs !== undefined)
    data.push({
      MetricName: "DrillRtoAchieved",
      Value: result.rtoMs,
      Unit: "Milliseconds",
      Dimensions,
      Timestamp,
    });
  if (result.rpoMs !== undefined)
    data.push({
      MetricName: "DrillRpoObserved",
      Value: result.rpoMs,
      Unit: "Milliseconds",
      Dimensions,
      Timestamp,
    });
  return data;
}

/** A publish callback for the Scheduler; the SDK is imported on the first result, not before. */
export function cloudWatchPublisher(
  config: PublishConfig,
  factory: Pick<AwsClientFactory, "client">,
): (result: DrillResult, drill: ScheduledDrill) => Promise<void> {
  return async (result, drill) => {
    const { PutMetricDataCommand } = await import("@aws-sdk/client-cloudwatch");
    const client = await factory.client("cloudwatch", config.region);
    await client.send(
      new PutMetricDataCommand({ Namespace: config.namespace, MetricData: drillMetrics(result, drill) }),
    );
  };
}
