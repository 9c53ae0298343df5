import { ApiError } from "../errors.js";
import type { ParamReader } from "../params.js";
import type { RequestContext, ServiceDefinition } from "../service.js";
import {
  type AlarmModel,
  type AlarmStateValue,
  type ComparisonOperator,
  evaluateAlarm,
  renderAlarm,
  setAlarmState,
  type TreatMissingData,
} from "./cloudwatch-alarms.js";
import { dimensionsOf, getMetricData } from "./cloudwatch-get-metric-data.js";
import { isStatistic, type MetricStore, seriesKey, statisticOf } from "./cloudwatch-metrics.js";

/**
 * CloudWatch ("monitoring"). The current SDK v3 client speaks JSON 1.0 in query-compatible
 * mode; older SDKs and CLIs speak Query. Both reach these handlers (ParamReader smooths
 * over the encodings); errors carry both the JSON shape name and the Query code.
 */
export interface CloudWatchState {
  store: MetricStore;
  alarms: Map<string, AlarmModel>;
}

export const alarmKey = (region: string, name: string) => `${region}/${name}`;

const invalid = (message: string) =>
  new ApiError("InvalidParameterValueException", message, 400, { queryCode: "InvalidParameterValue" });

const COMPARISONS: readonly ComparisonOperator[] = [
  "GreaterThanOrEqualToThreshold",
  "GreaterThanThreshold",
  "LessThanThreshold",
  "LessThanOrEqualToThreshold",
];
const STATES: readonly AlarmStateValue[] = ["OK", "ALARM", "INSUFFICIENT_DATA"];
const MISSING: readonly TreatMissingData[] = ["missing", "notBreaching", "breaching", "ignore"];

function oneOf<T extends string>(value: string, allowed: readonly T[], name: string): T {
  if (!(allowed as readonly string[]).includes(value))
    throw invalid(`${name} must be one of ${allowed.join(", ")}`);
  return value as T;
}

export function cloudWatchService(state: CloudWatchState, accountId: string): ServiceDefinition {
  const { store, alarms } = state;

  const putMetricData = (p: ParamReader, ctx: RequestContext) => {
    const namespace = p.string("Namespace");
    for (const d of p.items("MetricData")) {
      const base = {
        region: ctx.region,
        namespace,
        metricName: d.string("MetricName"),
        dimensions: dimensionsOf(d),
        unit: d.optionalString("Unit"),
        timestamp: d.optionalDate("Timestamp"),
      };
      const value = d.optionalNumber("Value");
      if (value !== undefined) store.put({ ...base, value });
      if (d.has("StatisticValues")) {
        const s = d.struct("StatisticValues");
        store.putAggregate(base, {
          count: s.number("SampleCount"),
          sum: s.number("Sum"),
          min: s.number("Minimum"),
          max: s.number("Maximum"),
          unit: base.unit,
        });
      }
      const values = d.list("Values").map(Number);
      const counts = d.list("Counts").map(Number);
      values.forEach((v, i) => {
        const n = counts[i] ?? 1;
        store.putAggregate(base, { count: n, sum: v * n, min: v, max: v, unit: base.unit });
      });
      if (value === undefined && !d.has("StatisticValues") && values.length === 0) {
        throw new ApiError(
          "MissingRequiredParameterException",
          "A metric datum needs Value, Values or StatisticValues",
          400,
          {
            queryCode: "MissingParameter",
          },
        );
      }
    }
    return {};
  };

  const getMetricStatistics = (p: ParamReader, ctx: RequestContext) => {
    const metricName = p.string("MetricName");
    const key = seriesKey(ctx.region, p.string("Namespace"), metricName, dimensionsOf(p));
    const statistics = p.stringList("Statistics");
    if (statistics.length === 0 && p.list("ExtendedStatistics").length === 0) {
      throw new ApiError(
        "MissingRequiredParameterException",
        "Statistics or ExtendedStatistics is required",
        400,
        {
          queryCode: "MissingParameter",
        },
      );
    }
    for (const s of statistics) if (!isStatistic(s)) throw invalid(`Unknown statistic ${s}`);
    const buckets = store.buckets(key, p.date("StartTime"), p.date("EndTime"), p.number("Period"));
    return {
      Label: metricName,
      Datapoints: buckets.map((b) => ({
        Timestamp: b.start,
        ...Object.fromEntries(statistics.filter(isStatistic).map((s) => [s, statisticOf(b.aggregate, s)])),
        Unit: b.aggregate.unit ?? "None",
      })),
    };
  };

  const putMetricAlarm = (p: ParamReader, ctx: RequestContext) => {
    const name = p.string("AlarmName");
    const statistic = p.optionalString("Statistic") ?? "Average";
    if (!isStatistic(statistic)) throw invalid(`Unsupported statistic ${statistic}`);
    const evaluationPeriods = p.number("EvaluationPeriods");
    const previous = alarms.get(alarmKey(ctx.region, name));
    const now = new Date();
    const alarm: AlarmModel = {
      region: ctx.region,
      name,
      arn: `arn:aws:cloudwatch:${ctx.region}:${accountId}:alarm:${name}`,
      namespace: p.string("Namespace"),
      metricName: p.string("MetricName"),
      dimensions: dimensionsOf(p),
      statistic,
      period: p.number("Period"),
      evaluationPeriods,
      datapointsToAlarm: p.optionalNumber("DatapointsToAlarm") ?? evaluationPeriods,
      threshold: p.number("Threshold"),
      comparisonOperator: oneOf(p.string("ComparisonOperator"), COMPARISONS, "ComparisonOperator"),
      treatMissingData: oneOf(p.optionalString("TreatMissingData") ?? "missing", MISSING, "TreatMissingData"),
      actionsEnabled: p.boolean("ActionsEnabled") ?? true,
      state: previous?.state ?? "INSUFFICIENT_DATA",
      stateReason: previous?.stateReason ?? "Unchecked: Initial alarm creation",
      stateUpdatedAt: previous?.stateUpdatedAt ?? now,
      configurationUpdatedAt: now,
      forced: previous?.forced,
    };
    alarms.set(alarmKey(ctx.region, name), alarm);
    evaluateAlarm(alarm, store);
    return {};
  };

  const describeAlarms = (p: ParamReader, ctx: RequestContext) => {
    const names = new Set(p.stringList("AlarmNames"));
    const prefix = p.optionalString("AlarmNamePrefix");
    const stateValue = p.optionalString("StateValue");
    const selected = [...alarms.values()].filter(
      (a) =>
        a.region === ctx.region &&
        (names.size === 0 || names.has(a.name)) &&
        (prefix === undefined || a.name.startsWith(prefix)) &&
        (stateValue === undefined || a.state === stateValue),
    );
    return { MetricAlarms: selected.map(renderAlarm), CompositeAlarms: [] };
  };

  const setAlarmStateOp = (p: ParamReader, ctx: RequestContext) => {
    const name = p.string("AlarmName");
    const alarm = alarms.get(alarmKey(ctx.region, name));
    if (!alarm)
      throw new ApiError("ResourceNotFound", `Alarm ${name} does not exist`, 404, {
        queryCode: "ResourceNotFound",
      });
    setAlarmState(alarm, oneOf(p.string("StateValue"), STATES, "StateValue"), p.string("StateReason"));
    return {};
  };

  const alarmArn = (ctx: RequestContext, name: string) =>
    `arn:aws:cloudwatch:${ctx.region}:${accountId}:alarm:${name}`;

  return {
    name: "monitoring",
    json: { target: "GraniteServiceVersion20100801", version: "1.0", namespace: "com.amazonaws.cloudwatch" },
    query: { version: "2010-08-01", xmlns: "http://monitoring.amazonaws.com/doc/2010-08-01/", members: {} },
    errors: {
      missing: "MissingRequiredParameterException",
      missingQuery: "MissingParameter",
      invalid: "InvalidParameterValueException",
      invalidQuery: "InvalidParameterValue",
      unknownOperation: "UnknownOperationException",
      throttling: "Throttling",
      auth: { accessDenied: { code: "AccessDenied", status: 403 } },
    },
    // IAM's prefix is `cloudwatch`; metric data is not resource-scoped, alarms are.
    iam: {
      prefix: "cloudwatch",
      resources: {
        PutMetricAlarm: (p, ctx) => [alarmArn(ctx, p.string("AlarmName"))],
        SetAlarmState: (p, ctx) => [alarmArn(ctx, p.string("AlarmName"))],
        DescribeAlarms: (p, ctx) => p.stringList("AlarmNames").map((n) => alarmArn(ctx, n)),
      },
    },
    mutating: new Set(["PutMetricData", "PutMetricAlarm", "SetAlarmState"]),
    operations: {
      PutMetricData: putMetricData,
      GetMetricData: (p, ctx) => getMetricData(store, p, ctx.region),
      GetMetricStatistics: getMetricStatistics,
      PutMetricAlarm: putMetricAlarm,
      DescribeAlarms: describeAlarms,
      SetAlarmState: setAlarmStateOp,
    },
  };
}
