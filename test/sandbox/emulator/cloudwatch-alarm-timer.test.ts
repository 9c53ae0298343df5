import { describe, it } from "vitest";
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
});
