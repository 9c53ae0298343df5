import type { AlarmConfig } from "../topology.js";
import {
  type Dimensions,
  type MetricStore,
  type Statistic,
  seriesKey,
  statisticOf,
} from "./cloudwatch-metrics.js";

/**
 * Metric alarms, evaluated periodically like CloudWatch does: the last
 * `evaluationPeriods` periods of the metric, ALARM when at least `datapointsToAlarm` of
 * them breach. SetAlarmState changes the state until the next evaluation (as in AWS);
 * the `forceAlarmState` fault pins it until released, for game days.
 */
export type AlarmStateValue = "OK" | "ALARM" | "INSUFFICIENT_DATA";
export type ComparisonOperator = AlarmConfig["comparisonOperator"];
export type TreatMissingData = NonNullable<AlarmConfig["treatMissingData"]>;

export interface AlarmModel {
  region: string;
  name: string;
  arn: string;
  namespace: string;
  metricName: string;
  dimensions: Dimensions;
  statistic: Statistic;
  period: number;
  evaluationPeriods: number;
  datapointsToAlarm: number;
  threshold: number;
  comparisonOperator: ComparisonOperator;
  treatMissingData: TreatMissingData;
  actionsEnabled: boolean;
  state: AlarmStateValue;
  stateReason: string;
  stateUpdatedAt: Date;
  configurationUpdatedAt: Date;
  forced: AlarmStateValue | undefined;
}

export function alarmFromConfig(c: AlarmConfig, accountId: string): AlarmModel {
  const now = new Date();
  return {
    region: c.region,
    name: c.alarmName,
    arn: `arn:aws:cloudwatch:${c.region}:${accountId}:alarm:${c.alarmName}`,
    namespace: c.namespace,
    metricName: c.metricName,
    dimensions: c.dimensions ?? {},
    statistic: c.statistic ?? "Average",
    period: c.period ?? 60,
    evaluationPeriods: c.evaluationPeriods ?? 1,
    datapointsToAlarm: c.datapointsToAlarm ?? c.evaluationPeriods ?? 1,
    threshold: c.threshold,
    comparisonOperator: c.comparisonOperator,
    treatMissingData: c.treatMissingData ?? "missing",
    actionsEnabled: true,
    state: "INSUFFICIENT_DATA",
    stateReason: "Unchecked: Initial alarm creation",
    stateUpdatedAt: now,
    configurationUpdatedAt: now,
    forced: undefined,
  };
}

export function breaches(value: number, op: ComparisonOperator, threshold: number): boolean {
  switch (op) {
    case "GreaterThanOrEqualToThreshold":
      return value >= threshold;
    case "GreaterThanThreshold":
      return value > threshold;
    case "LessThanThreshold":
      return value < threshold;
    case "LessThanOrEqualToThreshold":
      return value <= threshold;
  }
}

export function setAlarmState(
  alarm: AlarmModel,
  state: AlarmStateValue,
  reason: string,
  at = new Date(),
): void {
  if (alarm.state !== state) alarm.stateUpdatedAt = at;
  alarm.state = state;
  alarm.stateReason = reason;
}

/** Re-evaluates one alarm against the store at `now`. */
export function evaluateAlarm(alarm: AlarmModel, store: MetricStore, now = Date.now()): void {
  if (alarm.forced) {
    setAlarmState(alarm, alarm.forced, "Forced by a sandbox fault");
    return;
  }
  const key = seriesKey(alarm.region, alarm.namespace, alarm.metricName, alarm.dimensions);
  const periodMs = alarm.period * 1000;
  const values: (number | undefined)[] = [];
  for (let i = 0; i < alarm.evaluationPeriods; i++) {
    // Windows are (end - period, end]: a datapoint stamped this very millisecond counts.
    const end = now + 1 - i * periodMs;
    const a = store.aggregate(key, end - periodMs, end);
    values.push(a && statisticOf(a, alarm.statistic));
  }
  const present = values.filter((v): v is number => v !== undefined);
  if (present.length === 0) {
    if (alarm.treatMissingData === "ignore") return;
    const state: AlarmStateValue =
      alarm.treatMissingData === "breaching"
        ? "ALARM"
        : alarm.treatMissingData === "notBreaching"
          ? "OK"
          : "INSUFFICIENT_DATA";
    setAlarmState(alarm, state, `No datapoints in the last ${alarm.evaluationPeriods} period(s)`);
    return;
  }
  const missingBreach = alarm.treatMissingData === "breaching" ? values.length - present.length : 0;
  const breaching =
    present.filter((v) => breaches(v, alarm.comparisonOperator, alarm.threshold)).length + missingBreach;
  const shown = present.map((v) => Math.round(v * 1000) / 1000).join(", ");
  if (breaching >= alarm.datapointsToAlarm) {
    setAlarmState(
      alarm,
      "ALARM",
      `Threshold Crossed: ${breaching} datapoint(s) [${shown}] ${alarm.comparisonOperator} ${alarm.threshold}`,
    );
  } else {
    setAlarmState(alarm, "OK", `Threshold not crossed: datapoints [${shown}] vs ${alarm.threshold}`);
  }
}

export function renderAlarm(a: AlarmModel): Record<string, unknown> {
  return {
    AlarmName: a.name,
    AlarmArn: a.arn,
    AlarmConfigurationUpdatedTimestamp: a.configurationUpdatedAt,
    ActionsEnabled: a.actionsEnabled,
    OKActions: [],
    AlarmActions: [],
    InsufficientDataActions: [],
    StateValue: a.state,
    StateReason: a.stateReason,
    StateUpdatedTimestamp: a.stateUpdatedAt,
    StateTransitionedTimestamp: a.stateUpdatedAt,
    MetricName: a.metricName,
    Namespace: a.namespace,
    Statistic: a.statistic,
    Dimensions: Object.entries(a.dimensions).map(([Name, Value]) => ({ Name, Value })),
    Period: a.period,
    EvaluationPeriods: a.evaluationPeriods,
    DatapointsToAlarm: a.datapointsToAlarm,
    Threshold: a.threshold,
    ComparisonOperator: a.comparisonOperator,
    TreatMissingData: a.treatMissingData,
  };
}
