import { describe, expect, it } from "vitest";
import { alarmFromConfig, evaluateAlarm } from "../../../src/sandbox/emulator/services/cloudwatch-alarms.js";
import { MetricStore } from "../../../src/sandbox/emulator/services/cloudwatch-metrics.js";

const base = {
  region: "us-east-1",
  alarmName: "a",
  namespace: "N",
  metricName: "M",
  statistic: "Maximum" as const,
  period: 10,
  threshold: 5,
  comparisonOperator: "GreaterThanOrEqualToThreshold" as const,
};
const put = (store: MetricStore, atMs: number, value: number) =>
  store.put({ region: "us-east-1", namespace: "N", metricName: "M", value, timestamp: new Date(atMs) });

describe("alarm evaluation", () => {
  it("counts a datapoint stamped in the very millisecond of the evaluation", () => {
    const store = new MetricStore();
    const alarm = alarmFromConfig(base, "111111111111");
    const now = Date.now();
    put(store, now, 7);
    evaluateAlarm(alarm, store, now);
    expect(alarm.state).toBe("ALARM");
  });

  it("needs DatapointsToAlarm breaching periods out of EvaluationPeriods (M of N)", () => {
    const store = new MetricStore();
    const alarm = alarmFromConfig({ ...base, evaluationPeriods: 3, datapointsToAlarm: 2 }, "111111111111");
    const now = Date.now();
    put(store, now - 25_000, 9); // oldest period breaches
    put(store, now - 15_000, 1);
    put(store, now - 5_000, 1);
    evaluateAlarm(alarm, store, now);
    expect(alarm.state).toBe("OK");
    put(store, now - 4_000, 6); // the newest period now breaches too: 2 of 3
    evaluateAlarm(alarm, store, now);
    expect(alarm.state).toBe("ALARM");
  });

  it("treats missing data as configured", () => {
    const store = new MetricStore();
    const missing = alarmFromConfig(base, "1");
    const breaching = alarmFromConfig({ ...base, treatMissingData: "breaching" }, "1");
    const ignore = alarmFromConfig({ ...base, treatMissingData: "ignore" }, "1");
    for (const a of [missing, breaching, ignore]) evaluateAlarm(a, store);
    expect([missing.state, breaching.state, ignore.state]).toEqual([
      "INSUFFICIENT_DATA",
      "ALARM",
      "INSUFFICIENT_DATA",
    ]);
    expect(ignore.stateReason).toContain("Initial alarm creation"); // untouched
  });
});
