import { describe, expect, it } from "vitest";
import { REGION_A, REGION_B, startEmulator, waitFor } from "./helpers.js";

describe("CloudWatch alarms evaluate on their own", () => {
  it("a live source breaching the threshold turns the alarm to ALARM without any API call", async () => {
    const emulator = await startEmulator({
      evaluationIntervalMs: 30,
      topology: {
        regions: [REGION_A, REGION_B],
        alarms: [
          {
            region: REGION_B,
            alarmName: "errors",
            namespace: "Sandbox/App",
            metricName: "5xx",
            statistic: "Maximum",
            period: 1,
            threshold: 1,
            comparisonOperator: "GreaterThanOrEqualToThreshold",
          },
        ],
      },
    });
    try {
      let errors = 0;
      emulator.addMetricSource(() => [
        { region: REGION_B, namespace: "Sandbox/App", metricName: "5xx", value: errors },
      ]);
      const alarm = () => emulator.state.cloudwatch.alarms.get(`${REGION_B}/errors`);
      await waitFor("OK", async () => (alarm()?.state === "OK" ? true : undefined));
      errors = 3;
      await waitFor("ALARM", async () => (alarm()?.state === "ALARM" ? true : undefined));
      errors = 0;
      await waitFor("OK again", async () => (alarm()?.state === "OK" ? true : undefined), 3_000);
    } finally {
      await emulator.close();
    }
  });

  it("alarms are judged as soon as the emulator starts, and keep being judged while a metric source hangs", async () => {
    const notBreaching = {
      region: REGION_B,
      namespace: "Sandbox/App",
      metricName: "5xx",
      statistic: "Sum" as const,
      period: 1,
      threshold: 5,
      comparisonOperator: "GreaterThanOrEqualToThreshold" as const,
      treatMissingData: "notBreaching" as const,
    };
    const emulator = await startEmulator({
      evaluationIntervalMs: 30,
      builtinLagMetrics: false,
      topology: { regions: [REGION_A, REGION_B], alarms: [{ ...notBreaching, alarmName: "quiet" }] },
    });
    try {
      const alarm = (name: string) => emulator.state.cloudwatch.alarms.get(`${REGION_B}/${name}`);
      // No tick has run yet: without data, a notBreaching alarm is OK from the first moment.
      expect(alarm("quiet")?.state).toBe("OK");
      // A source that never answers (a database in a region just taken down) …
      emulator.addMetricSource(() => new Promise(() => undefined));
      emulator.state.cloudwatch.store.put({
        region: REGION_B,
        namespace: "Sandbox/App",
        metricName: "5xx",
        value: 9,
        timestamp: new Date(),
      });
      // … does not stop the alarm from seeing the datapoint, nor from ageing it out.
      await waitFor("ALARM", async () => (alarm("quiet")?.state === "ALARM" ? true : undefined));
      await waitFor("OK again", async () => (alarm("quiet")?.state === "OK" ? true : undefined), 3_000);
    } finally {
      await emulator.close();
    }
  });
});
