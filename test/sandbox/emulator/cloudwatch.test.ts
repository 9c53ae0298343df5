import {
  CloudWatchClient,
  DescribeAlarmsCommand,
  GetMetricDataCommand,
  GetMetricStatisticsCommand,
  InvalidParameterValueException,
  PutMetricAlarmCommand,
  PutMetricDataCommand,
  ResourceNotFound,
  SetAlarmStateCommand,
} from "@aws-sdk/client-cloudwatch";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, InMemoryGlobalClusterBackend } from "../../../src/sandbox/emulator/index.js";
import { clientConfig, REGION_A, REGION_B, startEmulator } from "./helpers.js";

describe("CloudWatch through the real SDK (JSON 1.0, query-compatible)", () => {
  let emulator: Emulator;
  let cw: CloudWatchClient;
  const backend = new InMemoryGlobalClusterBackend({ regions: [REGION_A, REGION_B], lagMs: 42 });

  beforeAll(async () => {
    emulator = await startEmulator({
      backend,
      topology: {
        regions: [REGION_A, REGION_B],
        database: { globalClusterIdentifier: "g", clusters: { [REGION_A]: "ca", [REGION_B]: "cb" } },
        alarms: [
          {
            region: REGION_A,
            alarmName: "api-5xx",
            namespace: "Sandbox/App",
            metricName: "5xx",
            statistic: "Sum",
            period: 10,
            evaluationPeriods: 1,
            threshold: 5,
            comparisonOperator: "GreaterThanOrEqualToThreshold",
          },
        ],
      },
    });
    cw = new CloudWatchClient(clientConfig(emulator.url));
  });
  afterAll(() => emulator.close());

  it("PutMetricData then GetMetricStatistics and GetMetricData aggregate by period", async () => {
    const now = Date.now();
    const t = new Date(Math.floor(now / 60_000) * 60_000 - 60_000); // a whole minute ago, period-aligned
    await cw.send(
      new PutMetricDataCommand({
        Namespace: "Sandbox/App",
        MetricData: [
          {
            MetricName: "Latency",
            Dimensions: [{ Name: "Region", Value: "A" }],
            Timestamp: t,
            Value: 10,
            Unit: "Milliseconds",
          },
          {
            MetricName: "Latency",
            Dimensions: [{ Name: "Region", Value: "A" }],
            Timestamp: new Date(t.getTime() + 1000),
            Value: 30,
          },
          { MetricName: "Latency", Dimensions: [{ Name: "Region", Value: "B" }], Timestamp: t, Value: 999 },
        ],
      }),
    );
    const stats = await cw.send(
      new GetMetricStatisticsCommand({
        Namespace: "Sandbox/App",
        MetricName: "Latency",
        Dimensions: [{ Name: "Region", Value: "A" }],
        StartTime: new Date(t.getTime() - 60_000),
        EndTime: new Date(now + 1000),
        Period: 60,
        Statistics: ["Average", "Maximum", "SampleCount"],
      }),
    );
    expect(stats.Datapoints).toHaveLength(1);
    expect(stats.Datapoints?.[0]).toMatchObject({ Average: 20, Maximum: 30, SampleCount: 2 });
    expect(stats.Datapoints?.[0]?.Timestamp?.getTime()).toBe(t.getTime());

    const data = await cw.send(
      new GetMetricDataCommand({
        StartTime: new Date(t.getTime() - 60_000),
        EndTime: new Date(now + 1000),
        MetricDataQueries: [
          {
            Id: "lat",
            MetricStat: {
              Metric: {
                Namespace: "Sandbox/App",
                MetricName: "Latency",
                Dimensions: [{ Name: "Region", Value: "B" }],
              },
              Period: 60,
              Stat: "Maximum",
            },
          },
        ],
      }),
    );
    expect(data.MetricDataResults?.[0]).toMatchObject({ Id: "lat", Values: [999], StatusCode: "Complete" });
    expect(data.MetricDataResults?.[0]?.Timestamps?.[0]).toBeInstanceOf(Date);
  });

  it("a large PutMetricData, gzip-compressed by the SDK, is stored in full", async () => {
    const MetricData = Array.from({ length: 1000 }, (_, i) => ({
      MetricName: "Bulk",
      Dimensions: [{ Name: "Shard", Value: `shard-${i % 10}` }],
      Value: 1,
    }));
    await cw.send(new PutMetricDataCommand({ Namespace: "Sandbox/Bulk", MetricData }));
    const now = Date.now();
    const out = await cw.send(
      new GetMetricStatisticsCommand({
        Namespace: "Sandbox/Bulk",
        MetricName: "Bulk",
        Dimensions: [{ Name: "Shard", Value: "shard-3" }],
        StartTime: new Date(now - 60_000),
        EndTime: new Date(now + 60_000),
        Period: 300,
        Statistics: ["SampleCount"],
      }),
    );
    expect(out.Datapoints?.reduce((n, d) => n + (d.SampleCount ?? 0), 0)).toBe(100);
  });

  it("GetMetricData metric math: an error-rate expression over hidden MetricStat queries", async () => {
    const t = new Date(Math.floor(Date.now() / 60_000) * 60_000 - 180_000);
    const put = (name: string, value: number, at: Date) =>
      cw.send(
        new PutMetricDataCommand({
          Namespace: "Sandbox/Rate",
          MetricData: [{ MetricName: name, Value: value, Timestamp: at }],
        }),
      );
    await put("Requests", 200, t);
    await put("Errors", 10, t);
    await put("Requests", 0, new Date(t.getTime() + 60_000)); // a minute with no traffic: no rate
    await put("Errors", 0, new Date(t.getTime() + 60_000));
    const stat = (id: string, name: string) => ({
      Id: id,
      ReturnData: false,
      MetricStat: { Metric: { Namespace: "Sandbox/Rate", MetricName: name }, Period: 60, Stat: "Sum" },
    });
    const out = await cw.send(
      new GetMetricDataCommand({
        StartTime: new Date(t.getTime() - 60_000),
        EndTime: new Date(t.getTime() + 120_000),
        ScanBy: "TimestampAscending",
        MetricDataQueries: [
          stat("errors", "Errors"),
          stat("requests", "Requests"),
          { Id: "rate", Expression: "100 * errors / requests", Label: "5xx %" },
        ],
      }),
    );
    expect(out.MetricDataResults?.map((r) => r.Id)).toEqual(["rate"]);
    expect(out.MetricDataResults?.[0]).toMatchObject({ Label: "5xx %", Values: [5] });
    expect(out.MetricDataResults?.[0]?.Timestamps?.[0]?.getTime()).toBe(t.getTime());
    const bad = cw.send(
      new GetMetricDataCommand({
        StartTime: t,
        EndTime: new Date(),
        MetricDataQueries: [stat("errors", "Errors"), { Id: "s", Expression: "SUM(METRICS())" }],
      }),
    );
    await expect(bad).rejects.toThrow(/SUM\(\) is not supported/);
  });

  it("metrics are regional", async () => {
    const b = new CloudWatchClient(clientConfig(emulator.url, REGION_B));
    const now = new Date();
    const out = await b.send(
      new GetMetricStatisticsCommand({
        Namespace: "Sandbox/App",
        MetricName: "Latency",
        Dimensions: [{ Name: "Region", Value: "A" }],
        StartTime: new Date(now.getTime() - 3_600_000),
        EndTime: now,
        Period: 60,
        Statistics: ["Sum"],
      }),
    );
    expect(out.Datapoints).toEqual([]);
  });

  it("live metric sources feed the store; the backend's lag is published as AuroraGlobalDBReplicationLag in B", async () => {
    const remove = emulator.addMetricSource(() => [
      { region: REGION_A, namespace: "Sandbox/App", metricName: "Requests", value: 7 },
    ]);
    await emulator.sampleMetricSources();
    remove();
    await emulator.sampleMetricSources();
    const now = new Date();
    const query = (
      region: string,
      namespace: string,
      metric: string,
      dims: { Name: string; Value: string }[],
    ) =>
      new CloudWatchClient(clientConfig(emulator.url, region)).send(
        new GetMetricDataCommand({
          StartTime: new Date(now.getTime() - 60_000),
          EndTime: new Date(now.getTime() + 60_000),
          MetricDataQueries: [
            {
              Id: "m",
              MetricStat: {
                Metric: { Namespace: namespace, MetricName: metric, Dimensions: dims },
                Period: 60,
                Stat: "Sum",
              },
            },
          ],
        }),
      );
    const requests = await query(REGION_A, "Sandbox/App", "Requests", []);
    const total = (values: number[] | undefined) => (values ?? []).reduce((a, b) => a + b, 0);
    // Summed over buckets: two samples may straddle a minute boundary.
    expect(total(requests.MetricDataResults?.[0]?.Values)).toBe(7); // sampled once: the remover worked
    const lag = await query(REGION_B, "AWS/RDS", "AuroraGlobalDBReplicationLag", [
      { Name: "DBClusterIdentifier", Value: "cb" },
    ]);
    expect(total(lag.MetricDataResults?.[0]?.Values)).toBe(84); // 42 ms, sampled twice
  });

  it("alarms evaluate their metric, honour SetAlarmState, and a forced state sticks", async () => {
    emulator.evaluateAlarms();
    const describe = async () =>
      (await cw.send(new DescribeAlarmsCommand({ AlarmNames: ["api-5xx"] }))).MetricAlarms?.[0];
    expect((await describe())?.StateValue).toBe("INSUFFICIENT_DATA");
    await cw.send(
      new PutMetricDataCommand({ Namespace: "Sandbox/App", MetricData: [{ MetricName: "5xx", Value: 6 }] }),
    );
    emulator.evaluateAlarms();
    const alarmed = await describe();
    expect(alarmed).toMatchObject({ StateValue: "ALARM", Threshold: 5, Period: 10, Statistic: "Sum" });
    expect(alarmed?.StateReason).toContain("Threshold Crossed");

    await cw.send(
      new SetAlarmStateCommand({ AlarmName: "api-5xx", StateValue: "OK", StateReason: "manual" }),
    );
    expect((await describe())?.StateValue).toBe("OK");
    emulator.evaluateAlarms(); // SetAlarmState lasts until the next evaluation, as in AWS
    expect((await describe())?.StateValue).toBe("ALARM");

    emulator.forceAlarmState(REGION_A, "api-5xx", "OK");
    emulator.evaluateAlarms();
    expect((await describe())?.StateValue).toBe("OK");
    emulator.forceAlarmState(REGION_A, "api-5xx", undefined);
    expect((await describe())?.StateValue).toBe("ALARM");

    const byState = await cw.send(new DescribeAlarmsCommand({ StateValue: "OK" }));
    expect(byState.MetricAlarms).toEqual([]);

    // A sandbox reset forgets the datapoints: the alarm no longer sees the old breach.
    emulator.clearMetrics();
    emulator.evaluateAlarms();
    expect((await describe())?.StateValue).not.toBe("ALARM");
  });

  it("PutMetricAlarm creates an alarm that DescribeAlarms returns with its dimensions", async () => {
    await cw.send(
      new PutMetricAlarmCommand({
        AlarmName: "lag-high",
        Namespace: "AWS/RDS",
        MetricName: "AuroraGlobalDBReplicationLag",
        Dimensions: [{ Name: "DBClusterIdentifier", Value: "cb" }],
        Statistic: "Maximum",
        Period: 10,
        EvaluationPeriods: 3,
        DatapointsToAlarm: 2,
        Threshold: 1000,
        ComparisonOperator: "GreaterThanThreshold",
        TreatMissingData: "notBreaching",
      }),
    );
    const out = await cw.send(new DescribeAlarmsCommand({ AlarmNamePrefix: "lag-" }));
    expect(out.MetricAlarms?.map((a) => a.AlarmName)).toEqual(["lag-high"]);
    expect(out.MetricAlarms?.[0]).toMatchObject({
      Dimensions: [{ Name: "DBClusterIdentifier", Value: "cb" }],
      EvaluationPeriods: 3,
      DatapointsToAlarm: 2,
      StateValue: "OK", // no data, treated as not breaching
      AlarmArn: `arn:aws:cloudwatch:${REGION_A}:111111111111:alarm:lag-high`,
    });
  });

  it("errors are typed: unknown alarm → ResourceNotFound, bad value → InvalidParameterValueException", async () => {
    const missing = cw.send(
      new SetAlarmStateCommand({ AlarmName: "nope", StateValue: "OK", StateReason: "x" }),
    );
    await expect(missing).rejects.toBeInstanceOf(ResourceNotFound);
    const bad = cw.send(
      new PutMetricAlarmCommand({
        AlarmName: "bad",
        Namespace: "n",
        MetricName: "m",
        Period: 10,
        EvaluationPeriods: 1,
        Threshold: 1,
        ComparisonOperator: "Sideways" as "GreaterThanThreshold",
      }),
    );
    const error = await bad.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidParameterValueException);
    // Query-compatible clients also expose the Query code, read from x-amzn-query-error.
    expect((error as { Error?: { Code?: string } }).Error?.Code).toBe("InvalidParameterValue");
  });
});
