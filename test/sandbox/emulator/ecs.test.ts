import { CloudWatchClient, GetMetricStatisticsCommand } from "@aws-sdk/client-cloudwatch";
import {
  ClusterNotFoundException,
  DescribeClustersCommand,
  DescribeServicesCommand,
  DescribeTasksCommand,
  ECSClient,
  InvalidParameterException,
  ListTasksCommand,
  type Service,
  ServiceNotFoundException,
  UpdateServiceCommand,
} from "@aws-sdk/client-ecs";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { classifyError } from "../../../src/executor.js";
import { defaultTopology, type Emulator } from "../../../src/sandbox/emulator/index.js";
import { clientConfig, REGION_A, REGION_B, startEmulator, waitFor } from "./helpers.js";

const TASK_START_MS = 40;

describe("ECS (JSON 1.1) through the real SDK", () => {
  let emulator: Emulator;
  const ecs = (region = REGION_B) => new ECSClient(clientConfig(emulator.url, region));
  const service = async (region = REGION_B): Promise<Service> => {
    const out = await ecs(region).send(
      new DescribeServicesCommand({ cluster: "case", services: ["case-api"] }),
    );
    const s = out.services?.[0];
    if (!s) throw new Error("no case-api");
    return s;
  };
  const converged = (desired: number) =>
    waitFor(`case-api at ${desired}`, async () => {
      const s = await service();
      return s.runningCount === desired && s.pendingCount === 0 && s.deployments?.length === 1
        ? s
        : undefined;
    });

  beforeAll(async () => {
    const topology = defaultTopology();
    if (topology.ecs) topology.ecs.taskStartMs = TASK_START_MS;
    emulator = await startEmulator({ topology });
  });
  beforeEach(() => {
    emulator.compute.reset();
    emulator.clearCalls();
    emulator.throttle("ecs", undefined);
  });
  afterAll(() => emulator.close());

  it("DescribeClusters: case in each region with its counts; a missing cluster is a failure, not an error", async () => {
    const out = await ecs(REGION_A).send(new DescribeClustersCommand({ clusters: ["case", "nope"] }));
    expect(out.clusters).toEqual([
      expect.objectContaining({
        clusterArn: `arn:aws:ecs:${REGION_A}:111111111111:cluster/case`,
        clusterName: "case",
        status: "ACTIVE",
        runningTasksCount: 3,
        pendingTasksCount: 0,
        activeServicesCount: 1,
        registeredContainerInstancesCount: 3,
      }),
    ]);
    expect(out.failures).toEqual([
      { arn: `arn:aws:ecs:${REGION_A}:111111111111:cluster/nope`, reason: "MISSING" },
    ]);
    // No cluster named: ECS means the `default` cluster, which does not exist here.
    const none = await ecs().send(new DescribeClustersCommand({}));
    expect(none.failures?.[0]?.reason).toBe("MISSING");
  });

  it("DescribeServices: the primary region runs 3, the recovery region 1, one COMPLETED deployment, steady", async () => {
    const a = await service(REGION_A);
    expect(a).toMatchObject({
      serviceArn: `arn:aws:ecs:${REGION_A}:111111111111:service/case/case-api`,
      serviceName: "case-api",
      status: "ACTIVE",
      desiredCount: 3,
      runningCount: 3,
      pendingCount: 0,
      launchType: "EC2",
      taskDefinition: `arn:aws:ecs:${REGION_A}:111111111111:task-definition/case-api:1`,
    });
    const b = await service(REGION_B);
    expect(b).toMatchObject({ desiredCount: 1, runningCount: 1, pendingCount: 0 });
    expect(b.deployments).toEqual([
      expect.objectContaining({
        status: "PRIMARY",
        rolloutState: "COMPLETED",
        runningCount: 1,
        desiredCount: 1,
      }),
    ]);
    expect(b.deployments?.[0]?.id).toMatch(/^ecs-svc\/\d{19}$/);
    expect(b.events?.[0]?.message).toBe("(service case-api) has reached a steady state.");
    expect(b.createdAt).toBeInstanceOf(Date);
  });

  it("UpdateService desiredCount: tasks PENDING then RUNNING one after another, in the same deployment", async () => {
    const before = await service();
    const updated = await ecs().send(
      new UpdateServiceCommand({ cluster: "case", service: "case-api", desiredCount: 4 }),
    );
    expect(updated.service).toMatchObject({ desiredCount: 4, runningCount: 1, pendingCount: 3 });
    expect(updated.service?.deployments?.map((d) => d.id)).toEqual([before.deployments?.[0]?.id]);
    const done = await converged(4);
    // The three new tasks started one after another, TASK_START_MS apart.
    const arns = (await ecs().send(new ListTasksCommand({ cluster: "case", serviceName: "case-api" })))
      .taskArns;
    const tasks = (await ecs().send(new DescribeTasksCommand({ cluster: "case", tasks: arns }))).tasks ?? [];
    const starts = tasks.map((t) => t.startedAt?.getTime() ?? 0).sort((x, y) => x - y);
    expect(
      starts
        .slice(1)
        .map((t, i) => t - (starts[i] ?? 0))
        .slice(1),
    ).toEqual([TASK_START_MS, TASK_START_MS]);
    expect(done.deployments?.[0]).toMatchObject({
      status: "PRIMARY",
      rolloutState: "COMPLETED",
      runningCount: 4,
    });
    const messages = done.events?.map((e) => e.message) ?? [];
    expect(messages[0]).toBe("(service case-api) has reached a steady state.");
    expect(messages[1]).toMatch(
      /^\(service case-api\) has started 3 tasks: \(task [0-9a-f]{32}\) \(task [0-9a-f]{32}\) \(task [0-9a-f]{32}\)\.$/,
    );
    // Newest first.
    const times = done.events?.map((e) => e.createdAt?.getTime() ?? 0) ?? [];
    expect([...times].sort((x, y) => y - x)).toEqual(times);
    expect(emulator.mutatingCalls().map((c) => c.operation)).toEqual(["UpdateService"]);
  });

  it("ListTasks and DescribeTasks: lastStatus, startedAt, and the reason scaled-in tasks stopped", async () => {
    await ecs().send(new UpdateServiceCommand({ cluster: "case", service: "case-api", desiredCount: 3 }));
    await converged(3);
    const running = await ecs().send(new ListTasksCommand({ cluster: "case", serviceName: "case-api" }));
    expect(running.taskArns).toHaveLength(3);
    expect(running.taskArns?.[0]).toMatch(
      new RegExp(`^arn:aws:ecs:${REGION_B}:111111111111:task/case/[0-9a-f]{32}$`),
    );
    const described = await ecs().send(
      new DescribeTasksCommand({ cluster: "case", tasks: running.taskArns }),
    );
    expect(described.tasks?.map((t) => t.lastStatus)).toEqual(["RUNNING", "RUNNING", "RUNNING"]);
    expect(described.tasks?.[0]).toMatchObject({
      desiredStatus: "RUNNING",
      group: "service:case-api",
      launchType: "EC2",
    });
    expect(described.tasks?.[0]?.startedAt).toBeInstanceOf(Date);

    await ecs().send(new UpdateServiceCommand({ cluster: "case", service: "case-api", desiredCount: 1 }));
    const stopped = await ecs().send(new ListTasksCommand({ cluster: "case", desiredStatus: "STOPPED" }));
    expect(stopped.taskArns).toHaveLength(2);
    const gone = await ecs().send(new DescribeTasksCommand({ cluster: "case", tasks: stopped.taskArns }));
    expect(gone.tasks?.[0]).toMatchObject({
      lastStatus: "STOPPED",
      desiredStatus: "STOPPED",
      stopCode: "ServiceSchedulerInitiated",
    });
    expect(gone.tasks?.[0]?.stoppedReason).toMatch(
      /^Scaling activity initiated by \(deployment ecs-svc\/\d{19}\)$/,
    );
    expect((await service()).events?.[1]?.message).toMatch(
      /^\(service case-api\) has stopped 2 running tasks: /,
    );

    const paged = await ecs().send(
      new ListTasksCommand({ cluster: "case", desiredStatus: "STOPPED", maxResults: 1 }),
    );
    expect(paged.taskArns).toHaveLength(1);
    const rest = await ecs().send(
      new ListTasksCommand({
        cluster: "case",
        desiredStatus: "STOPPED",
        maxResults: 1,
        nextToken: paged.nextToken,
      }),
    );
    expect(rest.taskArns).toEqual([stopped.taskArns?.[1]]);
    expect(rest.nextToken).toBeUndefined();
    const missing = await ecs().send(
      new DescribeTasksCommand({ cluster: "case", tasks: ["0123456789abcdef"] }),
    );
    expect(missing.failures).toEqual([{ arn: "0123456789abcdef", reason: "MISSING" }]);
  });

  it("a new task definition is a new deployment: PRIMARY IN_PROGRESS beside the ACTIVE one, which drains", async () => {
    const out = await ecs().send(
      new UpdateServiceCommand({
        cluster: "case",
        service: "case-api",
        taskDefinition: "case-api:2",
        desiredCount: 2,
      }),
    );
    expect(out.service?.deployments?.map((d) => [d.status, d.rolloutState])).toEqual([
      ["PRIMARY", "IN_PROGRESS"],
      ["ACTIVE", "COMPLETED"],
    ]);
    const done = await converged(2);
    expect(done.deployments?.[0]).toMatchObject({ status: "PRIMARY", rolloutState: "COMPLETED" });
    expect(done.taskDefinition).toMatch(/task-definition\/case-api:2$/);
    expect(done.events?.map((e) => e.message)).toContainEqual(
      expect.stringMatching(/deployment ecs-svc\/\d+\) deployment completed\./),
    );
    const tasks = await ecs().send(new ListTasksCommand({ cluster: "case", family: "case-api" }));
    const described = await ecs().send(new DescribeTasksCommand({ cluster: "case", tasks: tasks.taskArns }));
    expect(described.tasks?.map((t) => t.taskDefinitionArn?.split("/")[1])).toEqual([
      "case-api:2",
      "case-api:2",
    ]);
  });

  it("errors as ECS words them", async () => {
    const fail = (p: Promise<unknown>) =>
      p.then(
        () => undefined,
        (e: unknown) => e,
      );
    const cluster = await fail(
      ecs().send(new UpdateServiceCommand({ cluster: "nope", service: "case-api", desiredCount: 2 })),
    );
    expect(cluster).toBeInstanceOf(ClusterNotFoundException);
    expect((cluster as Error).message).toBe("Cluster not found.");
    const svc = await fail(
      ecs().send(new UpdateServiceCommand({ cluster: "case", service: "nope", desiredCount: 2 })),
    );
    expect(svc).toBeInstanceOf(ServiceNotFoundException);
    expect((svc as Error).message).toBe("Service not found.");
    const negative = await fail(
      ecs().send(new UpdateServiceCommand({ cluster: "case", service: "case-api", desiredCount: -1 })),
    );
    expect(negative).toBeInstanceOf(InvalidParameterException);
    const quota = await fail(
      ecs().send(new UpdateServiceCommand({ cluster: "case", service: "case-api", desiredCount: 6_000 })),
    );
    expect(quota).toMatchObject({
      name: "InvalidParameterException",
      message: "The desired count 6000 exceeds the limit of 5000 tasks per service.",
    });
    const taskDef = await fail(
      ecs().send(
        new UpdateServiceCommand({ cluster: "case", service: "case-api", taskDefinition: "other:9" }),
      ),
    );
    expect(taskDef).toMatchObject({
      name: "InvalidParameterException",
      message: "TaskDefinition not found.",
    });
    expect(
      await fail(ecs().send(new DescribeServicesCommand({ cluster: "case", services: [] }))),
    ).toBeInstanceOf(InvalidParameterException);
    expect(
      await fail(ecs().send(new DescribeServicesCommand({ cluster: "other", services: ["case-api"] }))),
    ).toBeInstanceOf(ClusterNotFoundException);
    expect(
      await fail(ecs().send(new ListTasksCommand({ cluster: "case", serviceName: "nope" }))),
    ).toBeInstanceOf(ServiceNotFoundException);
    expect(await fail(ecs().send(new DescribeTasksCommand({ cluster: "case", tasks: [] })))).toBeInstanceOf(
      InvalidParameterException,
    );
    const unknownService = await ecs().send(
      new DescribeServicesCommand({ cluster: "case", services: ["nope"] }),
    );
    expect(unknownService.failures).toEqual([
      { arn: `arn:aws:ecs:${REGION_B}:111111111111:service/case/nope`, reason: "MISSING" },
    ]);
    // Refused calls changed nothing.
    expect((await service()).desiredCount).toBe(1);
  });

  it("throttling through the dispatcher's fault: ThrottlingException, retryable for the engine", async () => {
    emulator.throttle("ecs", 1);
    const outcomes = await Promise.allSettled([1, 2, 3, 4].map(() => service()));
    const refused = outcomes.filter((o): o is PromiseRejectedResult => o.status === "rejected");
    expect(refused.length).toBeGreaterThan(0);
    expect(refused[0]?.reason).toMatchObject({
      name: "ThrottlingException",
      message: "Rate exceeded",
    });
    expect(classifyError(refused[0]?.reason).class).toBe("retryable");
    expect(emulator.calls.map((c) => c.outcome)).toContain("ThrottlingException");
  });

  it("capacity-shortage: new tasks stay PENDING with ECS's placement event; lifted, they start", async () => {
    emulator.compute.capacityShortage(REGION_B, true);
    await ecs().send(new UpdateServiceCommand({ cluster: "case", service: "case-api", desiredCount: 3 }));
    await new Promise((r) => setTimeout(r, TASK_START_MS * 5));
    const stuck = await service();
    expect(stuck).toMatchObject({ runningCount: 1, pendingCount: 2 });
    expect(stuck.events?.[0]?.message).toMatch(
      /^\(service case-api\) was unable to place a task because no container instance met all of its requirements\. The closest matching \(container-instance [0-9a-f]{32}\) has insufficient CPU units available\./,
    );
    const pending = await ecs().send(new ListTasksCommand({ cluster: "case", serviceName: "case-api" }));
    const tasks = await ecs().send(new DescribeTasksCommand({ cluster: "case", tasks: pending.taskArns }));
    expect(tasks.tasks?.map((t) => t.lastStatus).sort()).toEqual(["PENDING", "PENDING", "RUNNING"]);
    // The other region still has capacity.
    await ecs(REGION_A).send(
      new UpdateServiceCommand({ cluster: "case", service: "case-api", desiredCount: 4 }),
    );
    await waitFor("region A at 4", async () =>
      (await service(REGION_A)).runningCount === 4 ? true : undefined,
    );

    emulator.compute.capacityShortage(REGION_B, false);
    expect((await converged(3)).deployments?.[0]?.rolloutState).toBe("COMPLETED");
  });

  it("publishes Container Insights' task counts per cluster and service", async () => {
    emulator.compute.capacityShortage(REGION_B, true);
    await ecs().send(new UpdateServiceCommand({ cluster: "case", service: "case-api", desiredCount: 2 }));
    const datapoints = emulator.compute
      .metrics()
      .filter((d) => d.region === REGION_B && d.namespace === "ECS/ContainerInsights");
    expect(datapoints.map((d) => [d.metricName, d.value])).toEqual([
      ["RunningTaskCount", 1],
      ["PendingTaskCount", 1],
      ["DesiredTaskCount", 2],
    ]);
    expect(datapoints[0]?.dimensions).toEqual({ ClusterName: "case", ServiceName: "case-api" });
    await emulator.sampleMetricSources();
    const cloudwatch = new CloudWatchClient(clientConfig(emulator.url, REGION_B));
    const stats = await cloudwatch.send(
      new GetMetricStatisticsCommand({
        Namespace: "ECS/ContainerInsights",
        MetricName: "DesiredTaskCount",
        Dimensions: [
          { Name: "ClusterName", Value: "case" },
          { Name: "ServiceName", Value: "case-api" },
        ],
        StartTime: new Date(Date.now() - 60_000),
        EndTime: new Date(Date.now() + 60_000),
        Period: 60,
        Statistics: ["Maximum"],
      }),
    );
    expect(stats.Datapoints?.map((d) => d.Maximum)).toEqual([2]);
  });
});
