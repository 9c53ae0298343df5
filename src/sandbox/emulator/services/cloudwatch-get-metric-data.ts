import { ApiError } from "../errors.js";
import type { ParamReader } from "../params.js";
import {
  type Dimensions,
  isStatistic,
  type MetricStore,
  seriesKey,
  statisticOf,
} from "./cloudwatch-metrics.js";
import {
  evaluate,
  type MathValue,
  MetricMathError,
  parseExpression,
  referencedIds,
  type Series,
} from "./metric-math.js";

/**
 * GetMetricData: MetricStat queries read the store by period; Expression queries combine
 * other queries' results with metric math. Queries with ReturnData=false feed expressions
 * without being returned, as in CloudWatch.
 */
const invalid = (message: string) =>
  new ApiError("InvalidParameterValueException", message, 400, { queryCode: "InvalidParameterValue" });

export function dimensionsOf(p: ParamReader): Dimensions {
  return Object.fromEntries(p.items("Dimensions").map((d) => [d.string("Name"), d.string("Value")]));
}

export function getMetricData(store: MetricStore, p: ParamReader, region: string) {
  const start = p.date("StartTime");
  const end = p.date("EndTime");
  const ascending = p.optionalString("ScanBy") === "TimestampAscending";
  const queries = p.items("MetricDataQueries");
  if (queries.length === 0) throw invalid("MetricDataQueries must not be empty");
  const byId = new Map<string, ParamReader>();
  for (const q of queries) {
    const id = q.string("Id");
    if (!/^[a-z][a-zA-Z0-9_]*$/.test(id)) throw invalid(`Invalid metric data query id ${id}`);
    if (byId.has(id)) throw invalid(`Duplicate metric data query id ${id}`);
    if (q.has("MetricStat") === q.has("Expression"))
      throw invalid(`Query ${id} needs exactly one of MetricStat or Expression`);
    byId.set(id, q);
  }

  const values = new Map<string, MathValue>();
  const resolving = new Set<string>();
  const resolve = (id: string): MathValue => {
    const known = values.get(id);
    if (known !== undefined) return known;
    const q = byId.get(id);
    if (!q) throw invalid(`Expression refers to unknown query id ${id}`);
    if (resolving.has(id)) throw invalid(`Query ${id} refers to itself`);
    resolving.add(id);
    const value = q.has("MetricStat")
      ? statSeries(store, q, region, start, end)
      : expressionValue(q, resolve);
    resolving.delete(id);
    values.set(id, value);
    return value;
  };

  const results = queries
    .filter((q) => q.boolean("ReturnData") !== false)
    .map((q) => {
      const id = q.string("Id");
      const value = resolve(id);
      const points: [number, number][] = typeof value === "number" ? [[end.getTime(), value]] : [...value];
      points.sort((a, b) => (ascending ? a[0] - b[0] : b[0] - a[0]));
      const metricName = q.has("MetricStat")
        ? q.struct("MetricStat").struct("Metric").optionalString("MetricName")
        : undefined;
      return {
        Id: id,
        Label: q.optionalString("Label") ?? metricName ?? id,
        Timestamps: points.map(([t]) => new Date(t)),
        Values: points.map(([, v]) => v),
        StatusCode: "Complete",
      };
    });
  return { MetricDataResults: results, Messages: [] };
}

function statSeries(store: MetricStore, q: ParamReader, region: string, start: Date, end: Date): Series {
  const stat = q.struct("MetricStat");
  const metric = stat.struct("Metric");
  const statistic = stat.string("Stat");
  if (!isStatistic(statistic)) throw invalid(`Query ${q.string("Id")}: unsupported statistic ${statistic}`);
  const key = seriesKey(
    region,
    metric.string("Namespace"),
    metric.string("MetricName"),
    dimensionsOf(metric),
  );
  const buckets = store.buckets(key, start, end, stat.number("Period"));
  return new Map(buckets.map((b) => [b.start.getTime(), statisticOf(b.aggregate, statistic)]));
}

function expressionValue(q: ParamReader, resolve: (id: string) => MathValue): MathValue {
  try {
    const tree = parseExpression(q.string("Expression"));
    for (const id of referencedIds(tree)) resolve(id);
    return evaluate(tree, resolve);
  } catch (error) {
    if (error instanceof MetricMathError) throw invalid(`Query ${q.string("Id")}: ${error.message}`);
    throw error;
  }
}
