import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { rdsFailoverGlobalCluster } from "../../executors/rds-failover-global-cluster.js";
import { rdsSwitchoverGlobalCluster } from "../../executors/rds-switchover-global-cluster.js";
import { classifyError } from "../../src/executor.js";
import {
  createEmulator,
  type Emulator,
  InMemoryGlobalClusterBackend,
} from "../../src/sandbox/emulator/index.js";
import { contextFor } from "./context.js";

let emulator: Emulator;
let backend: InMemoryGlobalClusterBackend;
let env: ReturnType<typeof contextFor>;

beforeEach(async () => {
  backend = new InMemoryGlobalClusterBackend({ regions: ["us-east-1", "us-west-2"], lagMs: 50 });
  emulator = await createEmulator({ backend, rdsTransitionMs: 600 });
  env = contextFor(emulator.url);
});
afterEach(async () => {
  env.destroy();
  await emulator.close();
});

const failover = (allowDataLoss = true) =>
  rdsFailoverGlobalCluster.params.parse({
    globalClusterIdentifier: "case-global",
    targetRegion: "us-west-2",
    allowDataLoss,
  });
const calls = (op: string) => emulator.calls.filter((c) => c.operation === op && c.outcome === "ok");

describe("rds.failover-global-cluster", () => {
  it("fails over, waits for the new writer, records db_promoted, and is never promoted twice", async () => {
    expect((await rdsFailoverGlobalCluster.check!(failover(), env.ctx))?.inPlace).toBe(false);
    const out = await rdsFailoverGlobalCluster.run(failover(), env.ctx);
    expect(out.writerClusterArn).toMatch(/:us-west-2:.*cluster:case-us-west-2$/);
    expect(out.writerEndpoint).toBeTruthy();
    expect(calls("FailoverGlobalCluster")).toHaveLength(1);
    expect(backend.members().find((m) => m.role === "writer")?.region).toBe("us-west-2");
    expect(env.milestones.map((m) => m.name)).toEqual(["db_promoted"]);
    // The 600 ms transition is polled from 200 ms: the operator saw what it waited for.
    expect(env.progress.length).toBeGreaterThan(0);
    expect(env.progress[0]).toMatch(
      /^waiting for case-us-west-2 to be the writer: global cluster failing-over/,
    );
    // Resume's question, answered without a second promotion:
    expect((await rdsFailoverGlobalCluster.check!(failover(), env.ctx))?.inPlace).toBe(true);
    await rdsFailoverGlobalCluster.run(failover(), env.ctx);
    expect(calls("FailoverGlobalCluster")).toHaveLength(1);
  });

  it("waits for a failover already under way instead of starting a second one", async () => {
    const { FailoverGlobalClusterCommand } = await import("@aws-sdk/client-rds");
    const rds = await env.ctx.aws.client("rds", "us-west-2");
    const target = (await rdsFailoverGlobalCluster.check!(failover(), env.ctx))!;
    expect(target.inPlace).toBe(false);
    const arn = `arn:aws:rds:us-west-2:${emulator.accountId}:cluster:case-us-west-2`;
    await rds.send(
      new FailoverGlobalClusterCommand({
        GlobalClusterIdentifier: "case-global",
        TargetDbClusterIdentifier: arn,
        AllowDataLoss: true,
      }),
    );
    const out = await rdsFailoverGlobalCluster.run(failover(), env.ctx);
    expect(out.alreadyUnderWay).toBe(true);
    expect(calls("FailoverGlobalCluster")).toHaveLength(1);
  });

  it("refuses a no-loss failover while the primary region is down, as a fatal error", async () => {
    emulator.regionDown("us-east-1");
    backend.setRegionDown("us-east-1", true);
    const err = await rdsFailoverGlobalCluster.run(failover(false), env.ctx).catch((e) => e);
    expect(err).toBeInstanceOf(Error);
    expect(classifyError(err).class).toBe("fatal");
    expect(calls("FailoverGlobalCluster")).toHaveLength(0);
  });

  it("classifies throttling as retryable", async () => {
    emulator.throttle("rds", 0.001);
    await rdsFailoverGlobalCluster.check!(failover(), env.ctx).catch(() => undefined);
    const err = await rdsFailoverGlobalCluster.check!(failover(), env.ctx).catch((e) => e);
    expect(classifyError(err).class).toBe("retryable");
    emulator.throttle("rds", undefined);
  });
});

describe("rds.switchover-global-cluster", () => {
  it("switches over without data loss, and refuses while replication lags", async () => {
    const p = rdsSwitchoverGlobalCluster.params.parse({
      globalClusterIdentifier: "case-global",
      targetRegion: "us-west-2",
    });
    backend.lagMs = 5_000;
    const refused = await rdsSwitchoverGlobalCluster.run(p, env.ctx).catch((e) => e);
    expect(refused.name).toBe("InvalidGlobalClusterStateFault");
    backend.lagMs = 10;
    const out = await rdsSwitchoverGlobalCluster.run(p, env.ctx);
    expect(out.writerClusterArn).toMatch(/case-us-west-2$/);
    expect(calls("SwitchoverGlobalCluster")).toHaveLength(1);
  });
});
