import type { CaseApiStats } from "./case-api.js";

/**
 * Turns the case-apis' cumulative counters into CloudWatch datapoints, so alarms and
 * abort criteria can watch the sandbox's real traffic. Each sample carries the requests
 * and 5xx answered since the previous sample (CloudWatch's Sum over a period), named like
 * an Application Load Balancer's metrics because that is what runbooks watch in AWS.
 *
 * The shape matches the emulator's `MetricDatum`, so the source can be passed to
 * `emulator.addMetricSource` as is.
 */

export interface CaseApiMetricDatum {
  region: string;
  namespace: string;
  metricName: string;
  dimensions: Record<string, string>;
  value: number;
  unit: string;
  timestamp: Date;
}

export interface CaseApiMetricNames {
  namespace: string;
  requests: string;
  errors5xx: string;
  /** Dimensions of a region's series (default: an ALB-style `LoadBalancer` name). */
  dimensions: (region: string) => Record<string, string>;
}

export const ALB_STYLE_METRICS: CaseApiMetricNames = {
  namespace: "AWS/ApplicationELB",
  requests: "RequestCount",
  errors5xx: "HTTPCode_Target_5XX_Count",
  dimensions: (region) => ({ LoadBalancer: `app/case-api-${region}/sandbox` }),
};

export function caseApiMetricSource(
  apis: ReadonlyArray<{ stats(): CaseApiStats }>,
  names: CaseApiMetricNames = ALB_STYLE_METRICS,
  now: () => Date = () => new Date(),
): () => CaseApiMetricDatum[] {
  // Counts before the source existed are not part of any period it reports.
  const previous = new Map(apis.map((api) => [api, api.stats()]));
  return () => {
    const timestamp = now();
    return apis.flatMap((api) => {
      const current = api.stats();
      const before = previous.get(api) ?? { requests: 0, errors5xx: 0 };
      previous.set(api, current);
      const base = {
        region: current.region,
        namespace: names.namespace,
        dimensions: names.dimensions(current.region),
      };
      return [
        {
          ...base,
          metricName: names.requests,
          value: current.requests - before.requests,
          unit: "Count",
          timestamp,
        },
        {
          ...base,
          metricName: names.errors5xx,
          value: current.errors5xx - before.errors5xx,
          unit: "Count",
          timestamp,
        },
      ];
    });
  };
}
