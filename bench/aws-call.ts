import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { awsAssert } from "../executors/aws-assert.js";
import { createEmulator } from "../src/sandbox/emulator/index.js";
import { benchContext } from "./context.js";

/**
 * What the generic AWS step costs: per call over the bare SDK call (same client, same
 * emulator, interleaved so drift hits both), and the first call of a client package that is
 * not loaded yet (a fresh process: require, client construction, first request).
 */

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function benchAwsCallOverhead(
  calls = 300,
): Promise<{ bareMs: number; stepMs: number; overheadMs: number }> {
  const emulator = await createEmulator();
  const ctx = benchContext(emulator.url);
  try {
    const { CloudWatchClient, DescribeAlarmsCommand } = await import("@aws-sdk/client-cloudwatch");
    const bare = new CloudWatchClient({
      region: "us-east-1",
      endpoint: emulator.url,
      credentials: { accessKeyId: "bench", secretAccessKey: "bench" },
    });
    const params = awsAssert.params.parse({
      service: "cloudwatch",
      command: "DescribeAlarms",
      region: "us-east-1",
      input: { AlarmNamePrefix: "case" },
      expect: "length(MetricAlarms) >= `0`",
      outputs: { alarms: "length(MetricAlarms)" },
    });
    // Warm both paths (module loads, connections), then interleave.
    for (let i = 0; i < 20; i++) {
      await bare.send(new DescribeAlarmsCommand({ AlarmNamePrefix: "case" }));
      await awsAssert.run(params, ctx);
    }
    const bareTimes: number[] = [];
    const stepTimes: number[] = [];
    for (let i = 0; i < calls; i++) {
      let t = performance.now();
      await bare.send(new DescribeAlarmsCommand({ AlarmNamePrefix: "case" }));
      bareTimes.push(performance.now() - t);
      t = performance.now();
      await awsAssert.run(params, ctx);
      stepTimes.push(performance.now() - t);
    }
    bare.destroy();
    const bareMs = median(bareTimes);
    const stepMs = median(stepTimes);
    return { bareMs, stepMs, overheadMs: stepMs - bareMs };
  } finally {
    ctx.destroy();
    await emulator.close();
  }
}

/** The first call of a client not yet loaded, in a fresh process, less a second call's time (median of 5 processes). */
export async function benchFirstClientCall(
  runs = 5,
): Promise<{ firstMs: number; secondMs: number; loadMs: number }> {
  const emulator = await createEmulator();
  const factory = new URL("../src/aws/client-factory.ts", import.meta.url).href;
  const script = `
    const { createClientFactory } = await import(${JSON.stringify(factory)});
    const aws = createClientFactory({ endpoints: { "*": ${JSON.stringify(emulator.url)} }, credentials: { accessKeyId: "b", secretAccessKey: "b" } });
    let t = performance.now();
    await aws.call("kms", "ListAliases", {}, "us-east-1").catch(() => undefined);
    const first = performance.now() - t;
    t = performance.now();
    await aws.call("kms", "ListAliases", {}, "us-east-1").catch(() => undefined);
    const second = performance.now() - t;
    console.log(JSON.stringify({ first, second }));
    aws.destroy();`;
  try {
    const firsts: number[] = [];
    const seconds: number[] = [];
    for (let i = 0; i < runs; i++) {
      // Asynchronously: the emulator answering the probe runs in this process.
      const r = await promisify(execFile)(
        process.execPath,
        ["--import", "tsx", "--input-type=module", "-e", script],
        {
          encoding: "utf8",
          env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
        },
      );
      const line = r.stdout.trim().split("\n").at(-1) ?? "";
      if (!line.startsWith("{")) throw new Error(`the probe process failed: ${r.stderr.trim()}`);
      const { first, second } = JSON.parse(line) as { first: number; second: number };
      firsts.push(first);
      seconds.push(second);
    }
    const firstMs = median(firsts);
    const secondMs = median(seconds);
    return { firstMs, secondMs, loadMs: firstMs - secondMs };
  } finally {
    await emulator.close();
  }
}
