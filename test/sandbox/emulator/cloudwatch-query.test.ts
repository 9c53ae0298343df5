import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Emulator } from "../../../src/sandbox/emulator/index.js";
import { postQuery, startEmulator } from "./helpers.js";

describe("CloudWatch through raw AWS Query (older SDKs and CLIs)", () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startEmulator();
  });
  afterAll(() => emulator.close());

  it("PutMetricData with member.N lists, then GetMetricStatistics answers XML", async () => {
    const t = new Date(Math.floor(Date.now() / 60_000) * 60_000 - 120_000);
    const put = await postQuery(emulator.url, {
      Action: "PutMetricData",
      Version: "2010-08-01",
      Namespace: "Legacy",
      "MetricData.member.1.MetricName": "Errors",
      "MetricData.member.1.Value": "3",
      "MetricData.member.1.Timestamp": t.toISOString(),
      "MetricData.member.1.Dimensions.member.1.Name": "Service",
      "MetricData.member.1.Dimensions.member.1.Value": "case-api",
      "MetricData.member.2.MetricName": "Errors",
      "MetricData.member.2.Value": "4",
      "MetricData.member.2.Timestamp": t.toISOString(),
      "MetricData.member.2.Dimensions.member.1.Name": "Service",
      "MetricData.member.2.Dimensions.member.1.Value": "case-api",
    });
    expect(put.status).toBe(200);
    expect(put.text).toContain("<PutMetricDataResponse");
    expect(put.text).toContain("<RequestId>");
    const get = await postQuery(emulator.url, {
      Action: "GetMetricStatistics",
      Version: "2010-08-01",
      Namespace: "Legacy",
      MetricName: "Errors",
      "Dimensions.member.1.Name": "Service",
      "Dimensions.member.1.Value": "case-api",
      StartTime: new Date(t.getTime() - 60_000).toISOString(),
      EndTime: new Date().toISOString(),
      Period: "60",
      "Statistics.member.1": "Sum",
    });
    expect(get.status).toBe(200);
    expect(get.text).toMatch(
      /<GetMetricStatisticsResult><Label>Errors<\/Label><Datapoints><member><Timestamp>[^<]+<\/Timestamp><Sum>7<\/Sum>/,
    );
  });

  it("DescribeAlarms and SetAlarmState over Query; errors are Query-shaped", async () => {
    const put = await postQuery(emulator.url, {
      Action: "PutMetricAlarm",
      Version: "2010-08-01",
      AlarmName: "legacy",
      Namespace: "Legacy",
      MetricName: "Errors",
      Statistic: "Sum",
      Period: "60",
      EvaluationPeriods: "1",
      Threshold: "1",
      ComparisonOperator: "GreaterThanThreshold",
    });
    expect(put.status).toBe(200);
    const set = await postQuery(emulator.url, {
      Action: "SetAlarmState",
      Version: "2010-08-01",
      AlarmName: "legacy",
      StateValue: "ALARM",
      StateReason: "drill",
    });
    expect(set.status).toBe(200);
    const described = await postQuery(emulator.url, {
      Action: "DescribeAlarms",
      Version: "2010-08-01",
      "AlarmNames.member.1": "legacy",
    });
    expect(described.text).toContain("<MetricAlarms><member><AlarmName>legacy</AlarmName>");
    expect(described.text).toContain("<StateValue>ALARM</StateValue>");
    const missing = await postQuery(emulator.url, {
      Action: "SetAlarmState",
      Version: "2010-08-01",
      AlarmName: "legacy",
    });
    expect(missing.status).toBe(400);
    expect(missing.text).toMatch(
      /<ErrorResponse[^>]*><Error><Type>Sender<\/Type><Code>MissingParameter<\/Code>/,
    );
    const notFound = await postQuery(emulator.url, {
      Action: "SetAlarmState",
      Version: "2010-08-01",
      AlarmName: "ghost",
      StateValue: "OK",
      StateReason: "x",
    });
    expect(notFound.status).toBe(404);
    expect(notFound.text).toContain("<Code>ResourceNotFound</Code>");
    const unknown = await postQuery(emulator.url, { Action: "DeleteEverything", Version: "2010-08-01" });
    expect(unknown.text).toContain("<Code>InvalidAction</Code>");
  });
});
