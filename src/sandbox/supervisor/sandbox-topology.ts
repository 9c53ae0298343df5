import { ALB_STYLE_METRICS } from "../apps/case-api-metrics.js";
import {
  type AlarmConfig,
  caseHostedZone,
  defaultTopology,
  type EmulatorTopology,
} from "../emulator/index.js";

/** Region A (primary at start) and region B of `runbook sandbox up`. */
export const SANDBOX_REGIONS: [string, string] = ["us-east-1", "us-west-2"];

export const fiveXxAlarmName = (region: string) => `case-api-5xx-${region}`;
export const REPLICATION_LAG_ALARM = "case-db-replication-lag";

/**
 * The emulator's topology for the sandbox: `defaultTopology` (routing controls
 * `cell-<region>`, the at-least-one-cell-on rule, the `case-global` database, the
 * `case-api/db` secret (primary in A, replica in B), the `case-sessions` global table, the
 * `alias/case-data` multi-Region key, the `case-nightly-report` rule enabled in A only)
 * plus the alarms a failover runbook watches:
 *
 * - `case-api-5xx-<region>`: ≥ 5 HTTP 5xx in 10 s from that region's case-api (the
 *   ALB-style metric the supervisor publishes from the real counters);
 * - `case-db-replication-lag`: the recovery region's AuroraGlobalDBReplicationLag above
 *   5 s (measured from the real standby's replay lag), in region B where Aurora
 *   publishes it.
 *
 * Its Route 53 private zone `case.internal` holds `api.case.internal`, one weighted CNAME
 * per region (set identifier = region, weights A 100 / B 0: ARC alone decides a failover),
 * with the edge's TTL (`dnsTtlSeconds`, default 1 s) as the records' TTL.
 */
export function sandboxTopology(
  regions: [string, string] = SANDBOX_REGIONS,
  options: { dnsTtlSeconds?: number } = {},
): EmulatorTopology {
  const topology = defaultTopology(regions);
  if (options.dnsTtlSeconds !== undefined)
    topology.route53 = { hostedZones: [caseHostedZone(regions, options.dnsTtlSeconds)] };
  const [, b] = regions;
  const fiveXx = regions.map(
    (region): AlarmConfig => ({
      region,
      alarmName: fiveXxAlarmName(region),
      namespace: ALB_STYLE_METRICS.namespace,
      metricName: ALB_STYLE_METRICS.errors5xx,
      dimensions: ALB_STYLE_METRICS.dimensions(region),
      statistic: "Sum",
      period: 10,
      evaluationPeriods: 1,
      threshold: 5,
      comparisonOperator: "GreaterThanOrEqualToThreshold",
      treatMissingData: "notBreaching",
    }),
  );
  const secondaryCluster = topology.database?.clusters[b] ?? `case-${b}`;
  const lag: AlarmConfig = {
    region: b,
    alarmName: REPLICATION_LAG_ALARM,
    namespace: "AWS/RDS",
    metricName: "AuroraGlobalDBReplicationLag",
    dimensions: { DBClusterIdentifier: secondaryCluster },
    statistic: "Maximum",
    period: 10,
    evaluationPeriods: 1,
    threshold: 5_000,
    comparisonOperator: "GreaterThanThreshold",
    treatMissingData: "notBreaching",
  };
  return { ...topology, alarms: [...fiveXx, lag] };
}
