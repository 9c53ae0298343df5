import { ServerException } from "@aws-sdk/client-ecs";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ecsScaleService } from "../../executors/ecs-scale-service.js";
import { ecsError } from "../../src/aws/ecs-service.js";
import { classifyError, ExecutorError } from "../../src/executor.js";
import { createEmulator, defaultTopology, type Emulator } from "../../src/sandbox/emulator/index.js";
import { contextFor } from "./context.js";

const REGION = "us-west-2";
const TASK_START_MS = 60;

let emulator: Emulator;
let env: ReturnType<typeof contextFor>;

beforeAll(async () => {
  const topology = defaultTopology();
  if (topology.ecs) topology.ecs.taskStartMs = TASK_START_MS;
  emulator = await createEmulator({ topology, evaluationIntervalMs: 100_000 });
  env = contextFor(emulator.url);
});
beforeEach(() => {
  emulator.compute.reset();
  emulator.clearCalls();
  emulator.throttle("ecs", undefined);
  env.progress.length = 0;
});
afterAll(async () => {
  env.destroy();
  await emulator.close();
});

const params = (over: Record<string, unknown> = {}) =>
  ecsScaleService.params.parse({
    region: REGION,
    cluster: "case",
    service: "case-api",
    desiredCount: 4,
    ...over,
  });
const updates = () => emulator.mutatingCalls().filter((c) => c.operation === "UpdateService");
const failure = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error("expected a failure");
    },
    (e: unknown) => e as Error,
  );

describe("ecs.scale-service", () => {
  it("scales up with one UpdateService, reports progress, returns once every task runs and the deployment is COMPLETED", async () => {
    const out = await ecsScaleService.run(params(), env.ctx);
    expect(out).toMatchObject({ desiredCount: 4, runningCount: 4, updated: true });
    expect(out.deploymentId).toMatch(/^ecs-svc\/\d{19}$/);
    expect(out.taskDefinition).toMatch(/task-definition\/case-api:1$/);
    expect(updates()).toHaveLength(1);
    expect(updates()[0]?.params).toEqual({ cluster: "case", service: "case-api", desiredCount: 4 });
    expect(env.progress.length).toBeGreaterThan(0);
    expect(env.progress.every((m) => /^case-api \d\/4 running, \d pending$/.test(m))).toBe(true);
  });

  it("check: in place only with the count set, every task running and the deployment COMPLETED", async () => {
    const before = await ecsScaleService.check?.(params(), env.ctx);
    expect(before).toMatchObject({ inPlace: false, detail: "desired 1; case-api 1/4 running, 0 pending" });
    await ecsScaleService.run(params(), env.ctx);
    const after = await ecsScaleService.check?.(params(), env.ctx);
    expect(after).toMatchObject({
      inPlace: true,
      detail: "case-api already runs 4/4 tasks, deployment COMPLETED",
      outputs: { desiredCount: 4, runningCount: 4, updated: false },
    });
    // Already at the count: run only reads.
    emulator.clearCalls();
    expect(await ecsScaleService.run(params(), env.ctx)).toMatchObject({ updated: false, runningCount: 4 });
    expect(updates()).toHaveLength(0);
  });

  it("resumed mid-wait (count set, tasks still starting): not in place, and run waits without a second UpdateService", async () => {
    emulator.compute.capacityShortage(REGION, true);
    await expect(ecsScaleService.run(params({ stallAfter: "200ms" }), env.ctx)).rejects.toThrow(
      /has not moved/,
    );
    const midway = await ecsScaleService.check?.(params(), env.ctx);
    expect(midway).toMatchObject({ inPlace: false, detail: "desired 4; case-api 1/4 running, 3 pending" });
    emulator.compute.capacityShortage(REGION, false);
    expect(await ecsScaleService.run(params(), env.ctx)).toMatchObject({ runningCount: 4, updated: false });
    expect(updates()).toHaveLength(1);
  });

  it("stuck PENDING without capacity: fails after stallAfter, fatal, in ECS's words", async () => {
    emulator.compute.capacityShortage(REGION, true);
    const started = Date.now();
    const err = await failure(ecsScaleService.run(params({ desiredCount: 3, stallAfter: "300ms" }), env.ctx));
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(classifyError(err).class).toBe("fatal");
    expect(err.message).toMatch(
      /^case-api: the running count has not moved for 300ms \(1\/3 running, 2 pending\): \(service case-api\) was unable to place a task because no container instance met all of its requirements\. .*insufficient CPU units available/,
    );
    expect(env.progress.at(-1)).toBe("case-api 1/3 running, 2 pending");
  });

  it("scales in too, and a desired count given as digits (a rendered input) is a number", async () => {
    await ecsScaleService.run(params({ desiredCount: "3" }), env.ctx);
    const out = await ecsScaleService.run(params({ desiredCount: 0 }), env.ctx);
    expect(out).toMatchObject({ desiredCount: 0, runningCount: 0, updated: true });
    expect(updates().map((c) => (c.params as { desiredCount: number }).desiredCount)).toEqual([3, 0]);
  });

  it("a missing service or cluster and a refused count are fatal, named", async () => {
    const service = await failure(ecsScaleService.run(params({ service: "nope" }), env.ctx));
    expect(service).toBeInstanceOf(ExecutorError);
    expect(classifyError(service).class).toBe("fatal");
    expect(service.message).toBe("ECS service case/nope in us-west-2 not found (MISSING)");
    const cluster = await failure(
      ecsScaleService.check?.(params({ cluster: "nope" }), env.ctx) ?? Promise.resolve(),
    );
    expect(cluster.message).toBe("ECS cluster nope not found in us-west-2: Cluster not found.");
    expect(classifyError(cluster).class).toBe("fatal");
    const quota = await failure(ecsScaleService.run(params({ desiredCount: 6_000 }), env.ctx));
    expect(quota.message).toBe(
      "ECS refused the request for case/case-api in us-west-2: The desired count 6000 exceeds the limit of 5000 tasks per service.",
    );
    expect(classifyError(quota).class).toBe("fatal");
    // A 5xx stays retryable.
    const server = new ServerException({ message: "internal", $metadata: { httpStatusCode: 500 } });
    expect(ecsError(server, { region: REGION, cluster: "case", service: "case-api" })).toBe(server);
    expect(classifyError(server).class).toBe("retryable");
  });

  it("bad params are refused before any call", () => {
    const accepts = (over: Record<string, unknown>) =>
      ecsScaleService.params.safeParse({
        region: REGION,
        cluster: "case",
        service: "case-api",
        desiredCount: 2,
        ...over,
      }).success;
    expect(accepts({})).toBe(true);
    expect(accepts({ desiredCount: -1 })).toBe(false);
    // An empty rendered input must not quietly become 0.
    expect(accepts({ desiredCount: "" })).toBe(false);
    expect(accepts({ stallAfter: "soon" })).toBe(false);
    expect(ecsScaleService.describe(params({ desiredCount: 6 }))).toBe(
      "ECS UpdateService case/case-api desiredCount 6 in us-west-2, then wait until 6 tasks run and the deployment is COMPLETED (fails if no task starts for 1m00s)",
    );
  });

  it("throttled: a refused first read is retryable and sends nothing; throttled reads while waiting are waited out", async () => {
    emulator.throttle("ecs", 0);
    // The bucket's one token goes to this call; the executor's calls are refused (after the SDK's own retries).
    await fetch(`${emulator.url}/`, {
      method: "POST",
      headers: {
        "x-amz-target": "AmazonEC2ContainerServiceV20141113.DescribeClusters",
        "content-type": "application/x-amz-json-1.1",
      },
      body: "{}",
    });
    const err = await failure(ecsScaleService.run(params(), env.ctx));
    expect(err.name).toBe("ThrottlingException");
    expect(classifyError(err).class).toBe("retryable");
    expect(updates()).toHaveLength(0);

    emulator.throttle("ecs", undefined);
    emulator.throttle("ecs", 1, "DescribeServices");
    const out = await ecsScaleService.run(params({ desiredCount: 6 }), env.ctx);
    expect(out).toMatchObject({ runningCount: 6 });
    expect(updates()).toHaveLength(1);
    const reads = emulator.calls.filter((c) => c.operation === "DescribeServices").map((c) => c.outcome);
    expect(reads).toContain("ThrottlingException");
  });
});
