/**
 * The CloudWatch metrics store: timestamped datapoints per (region, namespace, name,
 * dimensions), and the statistics CloudWatch computes over a time window.
 */

export type Dimensions = Record<string, string>;

export interface MetricDatum {
  region: string;
  namespace: string;
  metricName: string;
  dimensions?: Dimensions;
  value: number;
  unit?: string;
  timestamp?: Date;
}

/** One stored sample; StatisticSets and Values/Counts arrive pre-aggregated. */
interface Sample {
  t: number;
  count: number;
  sum: number;
  min: number;
  max: number;
  unit: string | undefined;
}

export type Statistic = "SampleCount" | "Sum" | "Average" | "Minimum" | "Maximum";
export const STATISTICS: readonly Statistic[] = ["SampleCount", "Sum", "Average", "Minimum", "Maximum"];

export interface Aggregate {
  count: number;
  sum: number;
  min: number;
  max: number;
  unit: string | undefined;
}

export function statisticOf(a: Aggregate, stat: Statistic): number {
  switch (stat) {
    case "SampleCount":
      return a.count;
    case "Sum":
      return a.sum;
    case "Average":
      return a.sum / a.count;
    case "Minimum":
      return a.min;
    case "Maximum":
      return a.max;
  }
}

export function isStatistic(s: string): s is Statistic {
  return (STATISTICS as readonly string[]).includes(s);
}

export function seriesKey(
  region: string,
  namespace: string,
  metricName: string,
  dimensions: Dimensions = {},
): string {
  const dims = Object.keys(dimensions)
    .sort()
    .map((k) => `${k}=${dimensions[k]}`)
    .join(",");
  return `${region}|${namespace}|${metricName}|${dims}`;
}

/** Samples older than this are dropped: drills look back minutes, not days. */
const RETENTION_MS = 3 * 60 * 60 * 1000;

export class MetricStore {
  private readonly series = new Map<string, Sample[]>();

  /** Forget every datapoint (a sandbox reset: alarms then see no data, not the last game day's). */
  clear(): void {
    this.series.clear();
  }

  put(d: MetricDatum): void {
    this.putAggregate(d, { count: 1, sum: d.value, min: d.value, max: d.value, unit: d.unit });
  }

  putAggregate(d: Omit<MetricDatum, "value">, a: Aggregate): void {
    const key = seriesKey(d.region, d.namespace, d.metricName, d.dimensions);
    let samples = this.series.get(key);
    if (!samples) {
      samples = [];
      this.series.set(key, samples);
    }
    const t = (d.timestamp ?? new Date()).getTime();
    samples.push({ t, ...a });
    // Keep samples sorted by time: live sources append in order, PutMetricData may not.
    if (samples.length > 1 && (samples[samples.length - 2]?.t ?? 0) > t) samples.sort((x, y) => x.t - y.t);
    const cutoff = Date.now() - RETENTION_MS;
    while (samples.length > 0 && (samples[0]?.t ?? 0) < cutoff) samples.shift();
  }

  /** Aggregate of the samples with start <= t < end, or undefined when there are none. */
  aggregate(key: string, start: number, end: number): Aggregate | undefined {
    const samples = this.series.get(key);
    if (!samples) return undefined;
    let result: Aggregate | undefined;
    for (const s of samples) {
      if (s.t < start || s.t >= end) continue;
      if (!result) result = { count: s.count, sum: s.sum, min: s.min, max: s.max, unit: s.unit };
      else {
        result.count += s.count;
        result.sum += s.sum;
        result.min = Math.min(result.min, s.min);
        result.max = Math.max(result.max, s.max);
      }
    }
    return result;
  }

  /** Period buckets (aligned to `periodS` from the epoch, as CloudWatch does) that hold data. */
  buckets(key: string, start: Date, end: Date, periodS: number): { start: Date; aggregate: Aggregate }[] {
    const periodMs = periodS * 1000;
    const out: { start: Date; aggregate: Aggregate }[] = [];
    const first = Math.floor(start.getTime() / periodMs) * periodMs;
    for (let t = first; t < end.getTime(); t += periodMs) {
      const aggregate = this.aggregate(
        key,
        Math.max(t, start.getTime()),
        Math.min(t + periodMs, end.getTime()),
      );
      if (aggregate) out.push({ start: new Date(t), aggregate });
    }
    return out;
  }

  /** Every series with its sample count, for `emulator.state`. */
  summary(): Record<string, number> {
    return Object.fromEntries([...this.series].map(([k, v]) => [k, v.length]));
  }
}
