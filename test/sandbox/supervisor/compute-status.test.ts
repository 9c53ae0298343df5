import {
  AutoScalingClient,
  DescribeScalingActivitiesCommand,
  SetDesiredCapacityCommand,
} from "@aws-sdk/client-auto-scaling";
import { DescribeServicesCommand, ECSClient, UpdateServiceCommand } from "@aws-sdk/client-ecs";
import { describe, expect, it } from "vitest";
import { renderEndpoints, renderStatus } from "../../../src/sandbox/supervisor/render.js";
import { runningSandbox } from "./running-sandbox.js";

const A = "us-east-1";
const B = "us-west-2";

/**
 * The sandbox's compute through the supervisor: endpoints.json names it, `sandbox up` and
 * `sandbox status` show it, the capacity-shortage fault goes through the same entry point
 * the control API uses, and reset puts the starting counts back.
 */
describe("sandbox compute: ECS and Auto Scaling in the supervisor", () => {
  const sandbox = runningSandbox("compute");
  const client = <T>(Ctor: new (config: object) => T, region: string) =>
    new Ctor({
      region,
      endpoint: sandbox.endpoints.emulator,
      credentials: sandbox.endpoints.credentials,
      maxAttempts: 1,
      requestHandler: { requestTimeout: 2_000, connectionTimeout: 1_000, throwOnRequestTimeout: true },
    });

  it("endpoints.json names the ECS service and the Auto Scaling groups; sandbox up prints them", () => {
    const { endpoints } = sandbox;
    expect(endpoints.ecs).toEqual({ cluster: "case", service: "case-api" });
    expect(endpoints.autoScalingGroups).toEqual({ [A]: `case-workers-${A}`, [B]: `case-workers-${B}` });
    const lines = renderEndpoints(endpoints).join("\n");
    expect(lines).toMatch(/ECS +cluster case, service case-api in each region/);
    expect(lines).toMatch(new RegExp(`Auto Scaling +case-workers-${A}, case-workers-${B}`));
  });

  it("status shows running/desired tasks and InService/desired instances per region", async () => {
    const status = await sandbox.running.supervisor.status();
    expect(status.ecs).toEqual({
      [A]: {
        cluster: "case",
        service: "case-api",
        running: 3,
        pending: 0,
        desired: 3,
        rolloutState: "COMPLETED",
      },
      [B]: {
        cluster: "case",
        service: "case-api",
        running: 1,
        pending: 0,
        desired: 1,
        rolloutState: "COMPLETED",
      },
    });
    expect(status.autoScaling[B]).toEqual({
      group: `case-workers-${B}`,
      inService: 1,
      pending: 0,
      desired: 1,
      min: 1,
      max: 8,
    });
    const lines = renderStatus(status).join("\n");
    expect(lines).toMatch(new RegExp(`case-api tasks +${A} 3/3 running, ${B} 1/1 running`));
    expect(lines).toMatch(new RegExp(`workers +${A} 3/3 InService, ${B} 1/1 InService`));
  });

  it("capacity-shortage: tasks stay PENDING, launches fail; status says so; --clear lifts it; reset restores the counts", async () => {
    expect(await sandbox.running.supervisor.fault("capacity-shortage", [B], false)).toBe(
      `fault on: capacity-shortage ${B}`,
    );
    const ecs = client(ECSClient, B);
    await ecs.send(new UpdateServiceCommand({ cluster: "case", service: "case-api", desiredCount: 4 }));
    const service = (await ecs.send(new DescribeServicesCommand({ cluster: "case", services: ["case-api"] })))
      .services?.[0];
    expect(service).toMatchObject({ runningCount: 1, pendingCount: 3 });
    expect(service?.events?.[0]?.message).toMatch(/was unable to place a task/);
    const asg = client(AutoScalingClient, B);
    await asg.send(
      new SetDesiredCapacityCommand({ AutoScalingGroupName: `case-workers-${B}`, DesiredCapacity: 3 }),
    );
    const [activity] =
      (await asg.send(new DescribeScalingActivitiesCommand({ AutoScalingGroupName: `case-workers-${B}` })))
        .Activities ?? [];
    expect(activity).toMatchObject({ StatusCode: "Failed" });
    expect(activity?.StatusMessage).toMatch(/\(InsufficientInstanceCapacity\)$/);
    // Region A is untouched.
    const inA = (
      await client(ECSClient, A).send(
        new DescribeServicesCommand({ cluster: "case", services: ["case-api"] }),
      )
    ).services?.[0];
    expect(inA?.runningCount).toBe(3);

    const status = await sandbox.running.supervisor.status();
    expect(status.faults.map((f) => f.description)).toEqual([`capacity-shortage ${B}`]);
    expect(status.ecs[B]).toMatchObject({ running: 1, pending: 3, desired: 4 });
    expect(renderStatus(status).join("\n")).toMatch(new RegExp(`${B} 1/4 running \\(3 pending\\)`));
    expect(renderStatus(status).join("\n")).toMatch(new RegExp(`${B} 1/3 InService`));

    expect(await sandbox.running.supervisor.fault("capacity-shortage", [B], true)).toBe(
      `fault cleared: capacity-shortage ${B}`,
    );
    expect((await sandbox.running.supervisor.status()).faults).toEqual([]);

    await sandbox.running.supervisor.reset();
    const reset = await sandbox.running.supervisor.status();
    expect(reset.ecs[B]).toMatchObject({ running: 1, pending: 0, desired: 1 });
    expect(reset.autoScaling[B]).toMatchObject({ inService: 1, pending: 0, desired: 1 });
    const afterReset = (
      await ecs.send(new DescribeServicesCommand({ cluster: "case", services: ["case-api"] }))
    ).services?.[0];
    expect(afterReset).toMatchObject({ desiredCount: 1, runningCount: 1, pendingCount: 0 });
  }, 60_000);
});
