import { AutoScalingClient, SetDesiredCapacityCommand } from "@aws-sdk/client-auto-scaling";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { autoscalingSetCapacity } from "../../executors/autoscaling-set-capacity.js";
import { classifyError, ExecutorError } from "../../src/executor.js";
import { createEmulator, defaultTopology, type Emulator } from "../../src/sandbox/emulator/index.js";
import { contextFor } from "./context.js";

const REGION = "us-west-2";
const GROUP = `case-workers-${REGION}`;
// Long enough that the first read after the change still sees instances Pending, even on a loaded machine.
const INSTANCE_START_MS = 400;

let emulator: Emulator;
let env: ReturnType<typeof contextFor>;

beforeAll(async () => {
  const topology = defaultTopology();
  if (topology.autoScaling) topology.autoScaling.instanceStartMs = INSTANCE_START_MS;
  emulator = await createEmulator({ topology, evaluationIntervalMs: 100_000 });
  env = contextFor(emulator.url);
});
beforeEach(() => {
  emulator.compute.reset();
  emulator.clearCalls();
  emulator.throttle("autoscaling", undefined);
  env.progress.length = 0;
});
afterAll(async () => {
  env.destroy();
  await emulator.close();
});

const params = (over: Record<string, unknown> = {}) =>
  autoscalingSetCapacity.params.parse({ region: REGION, group: GROUP, min: 2, desired: 3, ...over });
/** Another operator's client, beside the executor's. */
const operator = () =>
  new AutoScalingClient({
    region: REGION,
    endpoint: emulator.url,
    credentials: { accessKeyId: "a", secretAccessKey: "b" },
  });
const updates = () => emulator.mutatingCalls().filter((c) => c.operation === "UpdateAutoScalingGroup");
const failure = (p: Promise<unknown> | undefined) =>
  (p ?? Promise.resolve()).then(
    () => {
      throw new Error("expected a failure");
    },
    (e: unknown) => e as Error,
  );

describe("autoscaling.set-capacity", () => {
  it("one UpdateAutoScalingGroup, progress while instances start, done when desired are InService and Healthy", async () => {
    const out = await autoscalingSetCapacity.run(params(), env.ctx);
    expect(out).toMatchObject({ minSize: 2, desiredCapacity: 3, maxSize: 8, inService: 3, updated: true });
    expect(out.instanceIds).toHaveLength(3);
    expect(updates()).toHaveLength(1);
    expect(updates()[0]?.params).toEqual({ AutoScalingGroupName: GROUP, DesiredCapacity: "3", MinSize: "2" });
    expect(env.progress[0]).toBe(`${GROUP} 1/3 InService, 2 pending`);
    expect(
      env.progress.every((m) => /^case-workers-us-west-2 [1-3]\/3 InService, [0-2] pending$/.test(m)),
    ).toBe(true);
  });

  it("check: in place only with the sizes set and that many instances InService; then run sends nothing", async () => {
    expect(await autoscalingSetCapacity.check?.(params(), env.ctx)).toMatchObject({
      inPlace: false,
      detail: `min 1, desired 1, max 8; ${GROUP} 1/3 InService, 0 pending`,
    });
    await autoscalingSetCapacity.run(params(), env.ctx);
    expect(await autoscalingSetCapacity.check?.(params(), env.ctx)).toMatchObject({
      inPlace: true,
      detail: `${GROUP} already has 3/3 instances InService and Healthy`,
      outputs: { inService: 3, updated: false },
    });
    // A different max is a change still to make.
    expect((await autoscalingSetCapacity.check?.(params({ max: 6 }), env.ctx))?.inPlace).toBe(false);
    emulator.clearCalls();
    expect(await autoscalingSetCapacity.run(params(), env.ctx)).toMatchObject({
      updated: false,
      inService: 3,
    });
    expect(updates()).toHaveLength(0);
  });

  it("resumed mid-wait: the sizes already set, not yet InService: waits without a second update", async () => {
    await autoscalingSetCapacity.run(params({ desired: 2 }), env.ctx);
    const asg = operator();
    await asg.send(new SetDesiredCapacityCommand({ AutoScalingGroupName: GROUP, DesiredCapacity: 4 }));
    emulator.clearCalls();
    expect((await autoscalingSetCapacity.check?.(params({ desired: 4 }), env.ctx))?.inPlace).toBe(false);
    expect(await autoscalingSetCapacity.run(params({ desired: 4 }), env.ctx)).toMatchObject({
      inService: 4,
      updated: false,
    });
    expect(updates()).toHaveLength(0);
    asg.destroy();
  });

  it("InsufficientInstanceCapacity: a Failed scaling activity since the change fails the step, fatal, with its StatusMessage", async () => {
    emulator.compute.capacityShortage(REGION, true);
    const err = await failure(autoscalingSetCapacity.run(params({ desired: 4 }), env.ctx));
    expect(classifyError(err).class).toBe("fatal");
    expect(err.message).toMatch(
      new RegExp(
        `^${GROUP} could not launch instances: We currently do not have sufficient m5\\.large capacity in the Availability Zone you requested \\(${REGION}a\\)\\..*\\(InsufficientInstanceCapacity\\)$`,
      ),
    );
  });

  it("scales in: done when the extra instances are out of service", async () => {
    await autoscalingSetCapacity.run(params({ desired: 4 }), env.ctx);
    const out = await autoscalingSetCapacity.run(params({ min: 1, desired: 1 }), env.ctx);
    expect(out).toMatchObject({ minSize: 1, desiredCapacity: 1, inService: 1 });
  });

  it("ValidationError and a missing group are fatal with Auto Scaling's message; inconsistent params never reach it", async () => {
    const outside = await failure(
      autoscalingSetCapacity.run(params({ min: undefined, desired: 9 }), env.ctx),
    );
    expect(outside).toBeInstanceOf(ExecutorError);
    expect(classifyError(outside).class).toBe("fatal");
    expect(outside.message).toBe(
      `Auto Scaling refused the request for ${GROUP} in ${REGION}: Desired capacity:9 must be between the specified min size:1 and max size:8`,
    );
    const missing = await failure(autoscalingSetCapacity.check?.(params({ group: "nope" }), env.ctx));
    expect(missing.message).toBe(`Auto Scaling group nope in ${REGION} not found`);
    expect(classifyError(missing).class).toBe("fatal");
    const bad = autoscalingSetCapacity.params.safeParse({
      region: REGION,
      group: GROUP,
      min: 3,
      desired: 2,
      max: 1,
    });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues.map((i) => i.message)).toEqual([
      "desired 2 is below min 3",
      "desired 2 is above max 1",
    ]);
    expect(
      autoscalingSetCapacity.params.safeParse({ region: REGION, group: GROUP, desired: "three" }).success,
    ).toBe(false);
    expect(autoscalingSetCapacity.describe(params({ max: 6 }))).toBe(
      `Auto Scaling UpdateAutoScalingGroup ${GROUP} in ${REGION}: MinSize 2, DesiredCapacity 3, MaxSize 6, then wait until 3 instances are InService and Healthy (a failed launch fails the step)`,
    );
  });

  it("someone else changing the desired capacity while it waits is a conflict", async () => {
    const running = autoscalingSetCapacity.run(params({ desired: 5 }), env.ctx);
    while (updates().length === 0) await new Promise((r) => setTimeout(r, 10));
    const asg = operator();
    await asg.send(new SetDesiredCapacityCommand({ AutoScalingGroupName: GROUP, DesiredCapacity: 2 }));
    asg.destroy();
    const err = await failure(running);
    expect(classifyError(err).class).toBe("conflict");
    expect(err.message).toMatch(/desired capacity of case-workers-us-west-2 is now 2, not 5/);
  });

  it("throttled: a refused call is retryable and changes nothing", async () => {
    emulator.throttle("autoscaling", 0);
    await fetch(`${emulator.url}/`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "Action=DescribeAutoScalingGroups&Version=2011-01-01",
    });
    const err = await failure(autoscalingSetCapacity.run(params(), env.ctx));
    expect(err.name).toBe("Throttling");
    expect(classifyError(err).class).toBe("retryable");
    expect(updates()).toHaveLength(0);
  });
});
