import {
  AutoScalingClient,
  type AutoScalingGroup,
  DescribeAutoScalingGroupsCommand,
  DescribeScalingActivitiesCommand,
  SetDesiredCapacityCommand,
  UpdateAutoScalingGroupCommand,
} from "@aws-sdk/client-auto-scaling";
import { CloudWatchClient, GetMetricStatisticsCommand } from "@aws-sdk/client-cloudwatch";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { classifyError } from "../../../src/executor.js";
import { defaultTopology, type Emulator } from "../../../src/sandbox/emulator/index.js";
import { clientConfig, postQuery, REGION_A, REGION_B, startEmulator, waitFor } from "./helpers.js";

// Long enough that a Pending or Terminating instance is still one on the next call, even on a loaded machine.
const INSTANCE_START_MS = 500;
const LAUNCH_RETRY_MS = 150;
const GROUP_B = `case-workers-${REGION_B}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("EC2 Auto Scaling (Query 2011-01-01) through the real SDK", () => {
  let emulator: Emulator;
  const asg = (region = REGION_B) => new AutoScalingClient(clientConfig(emulator.url, region));
  const group = async (name = GROUP_B, region = REGION_B): Promise<AutoScalingGroup> => {
    const out = await asg(region).send(
      new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }),
    );
    const g = out.AutoScalingGroups?.[0];
    if (!g) throw new Error(`no group ${name}`);
    return g;
  };
  const inService = (n: number) =>
    waitFor(`${n} InService`, async () => {
      const g = await group();
      const states = g.Instances?.map((i) => i.LifecycleState) ?? [];
      return states.length === n && states.every((s) => s === "InService") ? g : undefined;
    });
  const activities = async () =>
    (await asg().send(new DescribeScalingActivitiesCommand({ AutoScalingGroupName: GROUP_B }))).Activities ??
    [];
  const fail = (p: Promise<unknown>) =>
    p.then(
      () => undefined,
      (e: unknown) => e as Error,
    );

  beforeAll(async () => {
    const topology = defaultTopology();
    if (topology.autoScaling) {
      topology.autoScaling.instanceStartMs = INSTANCE_START_MS;
      topology.autoScaling.launchRetryMs = LAUNCH_RETRY_MS;
    }
    emulator = await startEmulator({ topology });
  });
  beforeEach(() => {
    emulator.compute.reset();
    emulator.clearCalls();
    emulator.throttle("autoscaling", undefined);
  });
  afterAll(() => emulator.close());

  it("DescribeAutoScalingGroups: each region sees its own group, sized as at start, instances InService and Healthy", async () => {
    const b = await group();
    expect(b).toMatchObject({
      AutoScalingGroupName: GROUP_B,
      MinSize: 1,
      MaxSize: 8,
      DesiredCapacity: 1,
      HealthCheckType: "EC2",
    });
    expect(b.AutoScalingGroupARN).toMatch(
      new RegExp(
        `^arn:aws:autoscaling:${REGION_B}:111111111111:autoScalingGroup:[0-9a-f-]{36}:autoScalingGroupName/${GROUP_B}$`,
      ),
    );
    expect(b.AvailabilityZones).toEqual([`${REGION_B}a`, `${REGION_B}b`, `${REGION_B}c`]);
    expect(b.Instances).toEqual([
      expect.objectContaining({
        LifecycleState: "InService",
        HealthStatus: "Healthy",
        InstanceType: "m5.large",
      }),
    ]);
    expect(b.Instances?.[0]?.InstanceId).toMatch(/^i-[0-9a-f]{17}$/);
    expect(b.CreatedTime).toBeInstanceOf(Date);
    const a = await group(`case-workers-${REGION_A}`, REGION_A);
    expect(a.Instances).toHaveLength(3);
    // A group lives in one region; a name that matches nothing is an empty list, not an error.
    const elsewhere = await asg(REGION_A).send(
      new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [GROUP_B] }),
    );
    expect(elsewhere.AutoScalingGroups).toEqual([]);
    const bare = await asg().send(new DescribeAutoScalingGroupsCommand({ IncludeInstances: false }));
    expect(bare.AutoScalingGroups?.map((g) => [g.AutoScalingGroupName, g.Instances])).toEqual([
      [GROUP_B, undefined],
    ]);
    const tagged = await asg().send(
      new DescribeAutoScalingGroupsCommand({ Filters: [{ Name: "tag:team", Values: ["x"] }] }),
    );
    expect(tagged.AutoScalingGroups).toEqual([]);
  });

  it("the reply is Auto Scaling's XML: its namespace, <member> lists, the Query error shape", async () => {
    const ok = await postQuery(
      emulator.url,
      { Action: "DescribeAutoScalingGroups", Version: "2011-01-01" },
      "autoscaling",
      REGION_B,
    );
    expect(ok.status).toBe(200);
    expect(ok.text).toContain(
      '<DescribeAutoScalingGroupsResponse xmlns="http://autoscaling.amazonaws.com/doc/2011-01-01/">',
    );
    expect(ok.text).toContain(
      `<AutoScalingGroups><member><AutoScalingGroupName>${GROUP_B}</AutoScalingGroupName>`,
    );
    const bad = await postQuery(
      emulator.url,
      { Action: "SetDesiredCapacity", Version: "2011-01-01", AutoScalingGroupName: GROUP_B },
      "autoscaling",
      REGION_B,
    );
    expect(bad.status).toBe(400);
    expect(bad.text).toMatch(/<Error><Type>Sender<\/Type><Code>ValidationError<\/Code>/);
  });

  it("UpdateAutoScalingGroup: instances Pending, then InService; each launch a scaling activity worded as AWS words it", async () => {
    await asg().send(
      new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: GROUP_B, MinSize: 2, DesiredCapacity: 4 }),
    );
    const right = await group();
    expect(right).toMatchObject({ MinSize: 2, MaxSize: 8, DesiredCapacity: 4 });
    expect(right.Instances?.map((i) => i.LifecycleState).sort()).toEqual([
      "InService",
      "Pending",
      "Pending",
      "Pending",
    ]);
    const launching = await activities();
    expect(launching).toHaveLength(3);
    expect(launching[0]).toMatchObject({ StatusCode: "InProgress", AutoScalingGroupName: GROUP_B });
    expect(launching[0]?.Description).toMatch(/^Launching a new EC2 instance: i-[0-9a-f]{17}$/);
    expect(launching[0]?.Cause).toMatch(
      /^At \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ a user request update of AutoScalingGroup constraints to min: 2, max: 8, desired: 4 changing the desired capacity from 1 to 4\. {2}At \S+ an instance was started in response to a difference between desired and actual capacity, increasing the capacity from 1 to 4\.$/,
    );
    expect(JSON.parse(launching[0]?.Details ?? "{}")).toHaveProperty("Availability Zone");
    const done = await inService(4);
    // Spread over the three zones.
    expect(new Set(done.Instances?.map((i) => i.AvailabilityZone)).size).toBe(3);
    expect((await activities()).map((a) => [a.StatusCode, a.Progress])).toEqual([
      ["Successful", 100],
      ["Successful", 100],
      ["Successful", 100],
    ]);
    expect(emulator.mutatingCalls().map((c) => c.operation)).toEqual(["UpdateAutoScalingGroup"]);
  });

  it("SetDesiredCapacity down: instances Terminating, then gone; a new MinSize above the size raises it", async () => {
    await asg().send(new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: GROUP_B, MinSize: 3 }));
    expect((await group()).DesiredCapacity).toBe(3);
    await inService(3);
    await asg().send(new SetDesiredCapacityCommand({ AutoScalingGroupName: GROUP_B, DesiredCapacity: 3 }));
    await asg().send(new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: GROUP_B, MinSize: 1 }));
    await asg().send(new SetDesiredCapacityCommand({ AutoScalingGroupName: GROUP_B, DesiredCapacity: 1 }));
    const shrinking = await group();
    expect(shrinking.Instances?.map((i) => i.LifecycleState).sort()).toEqual([
      "InService",
      "Terminating",
      "Terminating",
    ]);
    const terminating = (await activities())[0];
    expect(terminating?.Description).toMatch(/^Terminating EC2 instance: i-[0-9a-f]{17}$/);
    expect(terminating?.Cause).toMatch(
      /^At \S+ a user request explicitly set group desired capacity changing the desired capacity from 3 to 1\. {2}At \S+ an instance was taken out of service in response to a difference between desired and actual capacity, shrinking the capacity from 3 to 1\. {2}At \S+ instance i-[0-9a-f]{17} was selected for termination\.$/,
    );
    await inService(1);
  });

  it("ValidationError as Auto Scaling words it; nothing changes", async () => {
    const outside = await fail(
      asg().send(new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: GROUP_B, DesiredCapacity: 9 })),
    );
    expect(outside).toMatchObject({
      name: "ValidationError",
      message: "Desired capacity:9 must be between the specified min size:1 and max size:8",
    });
    expect(classifyError(outside).class).toBe("fatal");
    const bounds = await fail(
      asg().send(
        new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: GROUP_B, MinSize: 5, MaxSize: 2 }),
      ),
    );
    expect(bounds?.message).toBe("Max bound, 2, must be greater than or equal to min bound, 5");
    const missing = await fail(
      asg().send(new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: "nope", DesiredCapacity: 1 })),
    );
    expect(missing).toMatchObject({
      name: "ValidationError",
      message: "AutoScalingGroup name not found - AutoScalingGroup 'nope' not found",
    });
    const above = await fail(
      asg().send(new SetDesiredCapacityCommand({ AutoScalingGroupName: GROUP_B, DesiredCapacity: 10 })),
    );
    expect(above?.message).toBe(
      "New SetDesiredCapacity value 10 is above max value 8 for the AutoScalingGroup.",
    );
    const below = await fail(
      asg().send(new SetDesiredCapacityCommand({ AutoScalingGroupName: GROUP_B, DesiredCapacity: 0 })),
    );
    expect(below?.message).toBe(
      "New SetDesiredCapacity value 0 is below min value 1 for the AutoScalingGroup.",
    );
    const negative = await fail(
      asg().send(new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: GROUP_B, MinSize: -1 })),
    );
    expect(negative?.message).toMatch(/Value '-1' at 'minSize' failed to satisfy constraint/);
    const records = await fail(asg().send(new DescribeScalingActivitiesCommand({ MaxRecords: 101 })));
    expect(records?.name).toBe("ValidationError");
    expect(await group()).toMatchObject({ MinSize: 1, MaxSize: 8, DesiredCapacity: 1 });
    expect(await activities()).toEqual([]);
  });

  it("throttling: code Throttling, retryable", async () => {
    emulator.throttle("autoscaling", 1);
    const outcomes = await Promise.allSettled([1, 2, 3, 4].map(() => group()));
    const refused = outcomes.filter((o): o is PromiseRejectedResult => o.status === "rejected");
    expect(refused.length).toBeGreaterThan(0);
    expect(refused[0]?.reason).toMatchObject({ name: "Throttling", message: "Rate exceeded" });
    expect(classifyError(refused[0]?.reason).class).toBe("retryable");
  });

  it("capacity-shortage: each launch attempt a Failed activity saying InsufficientInstanceCapacity, retried; lifted, they launch", async () => {
    emulator.compute.capacityShortage(REGION_B, true);
    await asg().send(new SetDesiredCapacityCommand({ AutoScalingGroupName: GROUP_B, DesiredCapacity: 3 }));
    const [failed] = await activities();
    expect(failed).toMatchObject({ StatusCode: "Failed", Progress: 100 });
    expect(failed?.StatusMessage).toMatch(
      new RegExp(
        `^We currently do not have sufficient m5\\.large capacity in the Availability Zone you requested \\(${REGION_B}a\\)\\. .*\\(InsufficientInstanceCapacity\\)$`,
      ),
    );
    expect(failed?.Description).toBe(
      `Launching a new EC2 instance.  Status Reason: ${failed?.StatusMessage}`,
    );
    expect(failed?.EndTime).toBeInstanceOf(Date);
    expect((await group()).Instances).toHaveLength(1);
    await sleep(LAUNCH_RETRY_MS + 20);
    expect((await activities()).filter((a) => a.StatusCode === "Failed")).toHaveLength(2);
    // Region A still launches.
    await asg(REGION_A).send(
      new SetDesiredCapacityCommand({ AutoScalingGroupName: `case-workers-${REGION_A}`, DesiredCapacity: 4 }),
    );
    expect((await group(`case-workers-${REGION_A}`, REGION_A)).Instances).toHaveLength(4);

    emulator.compute.capacityShortage(REGION_B, false);
    await inService(3);
    expect((await activities()).filter((a) => a.StatusCode === "Successful")).toHaveLength(2);
  });

  it("publishes AWS/AutoScaling group metrics per group", async () => {
    emulator.compute.capacityShortage(REGION_B, true);
    await asg().send(new SetDesiredCapacityCommand({ AutoScalingGroupName: GROUP_B, DesiredCapacity: 2 }));
    const mine = emulator.compute
      .metrics()
      .filter((d) => d.namespace === "AWS/AutoScaling" && d.region === REGION_B);
    expect(Object.fromEntries(mine.map((d) => [d.metricName, d.value]))).toEqual({
      GroupMinSize: 1,
      GroupMaxSize: 8,
      GroupDesiredCapacity: 2,
      GroupInServiceInstances: 1,
      GroupPendingInstances: 0,
      GroupTotalInstances: 1,
    });
    await emulator.sampleMetricSources();
    const stats = await new CloudWatchClient(clientConfig(emulator.url, REGION_B)).send(
      new GetMetricStatisticsCommand({
        Namespace: "AWS/AutoScaling",
        MetricName: "GroupDesiredCapacity",
        Dimensions: [{ Name: "AutoScalingGroupName", Value: GROUP_B }],
        StartTime: new Date(Date.now() - 60_000),
        EndTime: new Date(Date.now() + 60_000),
        Period: 60,
        Statistics: ["Maximum"],
      }),
    );
    expect(stats.Datapoints?.map((d) => d.Maximum)).toEqual([2]);
  });
});
