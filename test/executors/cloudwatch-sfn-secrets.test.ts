import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cloudwatchAlarm } from "../../executors/cloudwatch-alarm.js";
import { cloudwatchMetric } from "../../executors/cloudwatch-metric.js";
import { cloudwatchPutMetric } from "../../executors/cloudwatch-put-metric.js";
import { secretsExists } from "../../executors/secrets-exists.js";
import { sfnStartExecution } from "../../executors/sfn-start-execution.js";
import { classifyError } from "../../src/executor.js";
import { createEmulator, defaultTopology, type Emulator } from "../../src/sandbox/emulator/index.js";
import { contextFor } from "./context.js";

let emulator: Emulator;
let env: ReturnType<typeof contextFor>;

beforeAll(async () => {
  const topology = defaultTopology();
  topology.alarms = [
    {
      region: "us-west-2",
      alarmName: "case-api-5xx-us-west-2",
      namespace: "CaseApi",
      metricName: "5xx",
      threshold: 5,
      comparisonOperator: "GreaterThanThreshold",
      statistic: "Sum",
      period: 60,
      treatMissingData: "notBreaching",
    },
  ];
  emulator = await createEmulator({ topology, sfnWaitScale: 0.01, evaluationIntervalMs: 100 });
  env = contextFor(emulator.url);
});
afterAll(async () => {
  env.destroy();
  await emulator.close();
});

describe("cloudwatch executors", () => {
  it("publishes datapoints and reads them back against a threshold", async () => {
    const put = cloudwatchPutMetric.params.parse({
      region: "us-west-2",
      namespace: "Runbook",
      dimensions: { Runbook: "failover-case-api" },
      metrics: [{ name: "RtoAchieved", value: "1234", unit: "Milliseconds" }],
    });
    expect(await cloudwatchPutMetric.run(put, env.ctx)).toEqual({ published: 1 });
    const read = (comparison: string, threshold: number) =>
      cloudwatchMetric.params.parse({
        region: "us-west-2",
        namespace: "Runbook",
        metricName: "RtoAchieved",
        dimensions: { Runbook: "failover-case-api" },
        stat: "Maximum",
        threshold,
        comparison,
      });
    expect((await cloudwatchMetric.run(read("<=", 2000), env.ctx)).value).toBe(1234);
    const err = await cloudwatchMetric.run(read("<", 1000), env.ctx).catch((e) => e);
    expect(err.message).toContain("RtoAchieved is 1234");
    expect(classifyError(err).class).toBe("retryable");
  });

  it("a metric with no datapoints fails unless told missing data passes", async () => {
    const p = {
      region: "us-west-2",
      namespace: "Nothing",
      metricName: "Here",
      threshold: 1,
      comparison: "<",
    };
    await expect(cloudwatchMetric.run(cloudwatchMetric.params.parse(p), env.ctx)).rejects.toThrow(
      /no datapoint/,
    );
    expect(
      (await cloudwatchMetric.run(cloudwatchMetric.params.parse({ ...p, missing: "pass" }), env.ctx)).passed,
    ).toBe(true);
  });

  it("an alarm in ALARM fails the probe, naming the alarm", async () => {
    const p = cloudwatchAlarm.params.parse({ region: "us-west-2", alarmNames: ["case-api-5xx-us-west-2"] });
    expect((await cloudwatchAlarm.run(p, env.ctx)).states).toEqual({ "case-api-5xx-us-west-2": "OK" });
    emulator.forceAlarmState("us-west-2", "case-api-5xx-us-west-2", "ALARM");
    await expect(cloudwatchAlarm.run(p, env.ctx)).rejects.toThrow(
      "case-api-5xx-us-west-2 is ALARM; expected OK",
    );
    emulator.forceAlarmState("us-west-2", "case-api-5xx-us-west-2", undefined);
    const missing = cloudwatchAlarm.params.parse({ region: "us-west-2", alarmNames: ["no-such-alarm"] });
    const err = await cloudwatchAlarm.run(missing, env.ctx).catch((e) => e);
    expect(classifyError(err).class).toBe("fatal");
  });
});

describe("sfn.start-execution", () => {
  it("starts once by name, waits for the output, and check finds it done", async () => {
    const { CreateStateMachineCommand } = await import("@aws-sdk/client-sfn");
    const sfn = await env.ctx.aws.client("sfn", "us-west-2");
    let scaled = 0;
    emulator.registerTaskHandler("arn:aws:lambda:us-west-2:111111111111:function:scale-up", async (input) => {
      scaled++;
      return { scaledTo: (input as { desired: number }).desired };
    });
    const definition = {
      StartAt: "Scale",
      States: {
        Scale: {
          Type: "Task",
          Resource: "arn:aws:lambda:us-west-2:111111111111:function:scale-up",
          Next: "Settle",
        },
        Settle: { Type: "Wait", Seconds: 5, End: true },
      },
    };
    const created = await sfn.send(
      new CreateStateMachineCommand({
        name: "scale-up",
        definition: JSON.stringify(definition),
        roleArn: "arn:aws:iam::111111111111:role/sfn",
      }),
    );
    const p = sfnStartExecution.params.parse({
      region: "us-west-2",
      stateMachineArn: created.stateMachineArn,
      name: "drill-1",
      input: { desired: 6 },
    });
    expect((await sfnStartExecution.check!(p, env.ctx))?.inPlace).toBe(false);
    const out = await sfnStartExecution.run(p, env.ctx);
    expect(out).toMatchObject({ status: "SUCCEEDED", output: { scaledTo: 6 } });
    expect(env.progress).toContain("waiting for execution drill-1 to end: RUNNING");
    expect((await sfnStartExecution.check!(p, env.ctx))?.inPlace).toBe(true);
    await sfnStartExecution.run(p, env.ctx);
    expect(scaled).toBe(1);
  });
});

describe("secrets.exists", () => {
  it("passes when the secret is there and blocks, fatally, when the recovery region lacks it", async () => {
    const p = secretsExists.params.parse({ region: "us-west-2", secretIds: ["case-api/db"], readable: true });
    expect(await secretsExists.run(p, env.ctx)).toEqual({ checked: 1 });
    emulator.removeSecret("us-west-2", "case-api/db");
    const err = await secretsExists.run(p, env.ctx).catch((e) => e);
    expect(err.message).toContain("missing in us-west-2: case-api/db");
    expect(classifyError(err).class).toBe("fatal");
    const values = emulator.calls.map((c) => JSON.stringify(c));
    expect(values.join("\n")).not.toContain('"password":"sandbox"');
  });
});
