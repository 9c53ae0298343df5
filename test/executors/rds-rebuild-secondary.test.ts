import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DescribeDBClusterSnapshotsCommand, DescribeDBClustersCommand } from "@aws-sdk/client-rds";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { rdsFailoverGlobalCluster } from "../../executors/rds-failover-global-cluster.js";
import { rdsRebuildSecondary } from "../../executors/rds-rebuild-secondary.js";
import { REBUILD_TAG } from "../../src/aws/secondary-rebuild.js";
import { classifyError } from "../../src/executor.js";
import {
  createEmulator,
  type Emulator,
  InMemoryGlobalClusterBackend,
} from "../../src/sandbox/emulator/index.js";
import { contextFor } from "./context.js";

const EAST = "us-east-1";
const WEST = "us-west-2";
const OLD = `case-${EAST}`;
const OPERATIONS = [
  "RemoveFromGlobalCluster",
  "DeleteDBInstance",
  "DeleteDBCluster",
  "CreateDBCluster",
  "CreateDBInstance",
];

let emulator: Emulator;
let backend: InMemoryGlobalClusterBackend;
const contexts: ReturnType<typeof contextFor>[] = [];

beforeEach(async () => {
  backend = new InMemoryGlobalClusterBackend({ regions: [EAST, WEST], lagMs: 50 });
  emulator = await createEmulator({ backend, rdsTransitionMs: 200, evaluationIntervalMs: 100_000 });
});
afterEach(async () => {
  for (const env of contexts.splice(0)) env.destroy();
  await emulator.close();
});

/** A context of one execution; a second one with the same `scratchDir` is that execution resumed. */
function context(options: { scratchDir?: string; abortWhen?: RegExp; executionId?: string } = {}) {
  const controller = new AbortController();
  const scratchDir = options.scratchDir ?? join(mkdtempSync(join(tmpdir(), "runbook-rebuild-")), "step");
  const progress: string[] = [];
  const env = contextFor(emulator.url, {
    signal: controller.signal,
    scratchDir,
    executionId: options.executionId ?? "failback-case-api-20261127T030000Z-ab12",
    progress: (message) => {
      progress.push(message);
      // A crash of the engine at this point: the step stops mid-call, nothing is cleaned up.
      if (options.abortWhen?.test(message)) controller.abort(new Error("engine crashed"));
    },
  });
  contexts.push(env);
  return { ctx: env.ctx, progress, scratchDir };
}

const params = (region = EAST) =>
  rdsRebuildSecondary.params.parse({
    globalClusterIdentifier: "case-global",
    region,
    dbClusterIdentifier: `case-${region}`,
  });
const okCalls = (op: string) => emulator.calls.filter((c) => c.operation === op && c.outcome === "ok");
const counts = () => OPERATIONS.map((op) => [op, okCalls(op).length]);

/** An unplanned failover to us-west-2: us-east-1 is the diverged old primary. */
async function failedOver() {
  const { ctx } = context();
  const p = rdsFailoverGlobalCluster.params.parse({
    globalClusterIdentifier: "case-global",
    targetRegion: WEST,
    allowDataLoss: true,
  });
  await rdsFailoverGlobalCluster.run(p, ctx);
  emulator.clearCalls();
}

describe("rds.rebuild-secondary", () => {
  it("is in place when the region's member is a connected secondary, and then calls nothing", async () => {
    const { ctx } = context();
    const check = await rdsRebuildSecondary.check!(params(WEST), ctx);
    expect(check).toMatchObject({
      inPlace: true,
      outputs: { removed: false, deleted: false, created: false },
    });
    const out = await rdsRebuildSecondary.run(params(WEST), ctx);
    expect(out).toMatchObject({ removed: false, deleted: false, created: false, snapshot: undefined });
    expect(emulator.mutatingCalls()).toEqual([]);
  });

  it("rebuilds the diverged old primary: detach, delete with a final snapshot, create into the global cluster, connected", async () => {
    await failedOver();
    const { ctx, progress } = context();
    expect(await rdsRebuildSecondary.check!(params(), ctx)).toMatchObject({
      inPlace: false,
      detail: `${OLD} is pending-resync`,
    });
    const out = await rdsRebuildSecondary.run(params(), ctx);
    expect(out).toMatchObject({
      clusterArn: `arn:aws:rds:${EAST}:${emulator.accountId}:cluster:${OLD}`,
      removed: true,
      deletedInstances: [`${OLD}-instance-1`],
      deleted: true,
      created: true,
      createdInstance: `${OLD}-instance-1`,
    });
    expect(out.snapshot).toMatch(new RegExp(`^${OLD}-pre-rebuild-\\d{8}-\\d{6}$`));
    expect(Date.parse(String(out.connectedAt))).not.toBeNaN();
    expect(counts()).toEqual(OPERATIONS.map((op) => [op, 1]));
    // The order AWS requires, and the data rebuilt only by the creation.
    expect(emulator.mutatingCalls().map((c) => c.operation)).toEqual(OPERATIONS);
    expect(backend.actions.filter((a) => a.kind === "rebuild-secondary")).toEqual([
      { kind: "rebuild-secondary", targetRegion: EAST },
    ]);
    expect(backend.synchronization(EAST)).toBe("connected");
    expect(progress.some((m) => m.startsWith(`waiting for ${OLD} to be deleted`))).toBe(true);
    expect(progress.some((m) => m.startsWith(`waiting for ${OLD} to be a connected secondary`))).toBe(true);

    const rds = await ctx.aws.client("rds", EAST);
    const snapshots = await rds.send(new DescribeDBClusterSnapshotsCommand({ DBClusterIdentifier: OLD }));
    expect(snapshots.DBClusterSnapshots?.map((s) => s.DBClusterSnapshotIdentifier)).toEqual([out.snapshot]);
    const cluster = (await rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: OLD })))
      .DBClusters?.[0];
    expect(cluster?.TagList).toEqual([{ Key: REBUILD_TAG, Value: ctx.executionId }]);
    // The old cluster's settings carried over.
    expect(cluster).toMatchObject({
      DBSubnetGroup: "default",
      KmsKeyId: expect.stringContaining(`:kms:${EAST}:`),
    });

    expect((await rdsRebuildSecondary.check!(params(), ctx))?.inPlace).toBe(true);
    await rdsRebuildSecondary.run(params(), ctx);
    expect(counts()).toEqual(OPERATIONS.map((op) => [op, 1]));
  });

  it("resumed after a crash between DeleteDBCluster and CreateDBCluster, makes every call once", async () => {
    await failedOver();
    const first = context({ abortWhen: /to be deleted/ });
    const crashed = await rdsRebuildSecondary.run(params(), first.ctx).catch((e: unknown) => e);
    expect(crashed).toBeInstanceOf(Error);
    expect(counts()).toEqual([
      ["RemoveFromGlobalCluster", 1],
      ["DeleteDBInstance", 1],
      ["DeleteDBCluster", 1],
      ["CreateDBCluster", 0],
      ["CreateDBInstance", 0],
    ]);
    const snapshot = (
      await (
        await first.ctx.aws.client("rds", EAST)
      ).send(new DescribeDBClusterSnapshotsCommand({ DBClusterIdentifier: OLD }))
    ).DBClusterSnapshots?.[0]?.DBClusterSnapshotIdentifier;

    const resumed = context({ scratchDir: first.scratchDir });
    expect((await rdsRebuildSecondary.check!(params(), resumed.ctx))?.inPlace).toBe(false);
    const out = await rdsRebuildSecondary.run(params(), resumed.ctx);
    expect(counts()).toEqual(OPERATIONS.map((op) => [op, 1]));
    // What the whole step did, not only its second half.
    expect(out).toMatchObject({ removed: true, deleted: true, created: true, snapshot });
    expect(backend.synchronization(EAST)).toBe("connected");
  });

  it("resumed after a crash once the new cluster exists, waits for it instead of deleting it again", async () => {
    await failedOver();
    backend.actionDelayMs = 600;
    const first = context({ abortWhen: /to be a connected secondary/ });
    await expect(rdsRebuildSecondary.run(params(), first.ctx)).rejects.toThrow();
    expect(okCalls("CreateDBCluster")).toHaveLength(1);

    const resumed = context({ scratchDir: first.scratchDir });
    const out = await rdsRebuildSecondary.run(params(), resumed.ctx);
    expect(counts()).toEqual(OPERATIONS.map((op) => [op, 1]));
    expect(out).toMatchObject({ removed: true, deleted: true, created: true });
    expect(backend.actions.filter((a) => a.kind === "rebuild-secondary")).toHaveLength(1);
  });

  it("refuses the writer's region as a fatal error, and calls nothing", async () => {
    const { ctx } = context();
    const checked = await rdsRebuildSecondary.check!(params(EAST), ctx).catch((e: unknown) => e);
    expect(classifyError(checked).class).toBe("fatal");
    const err = await rdsRebuildSecondary.run(params(EAST), ctx).catch((e: unknown) => e);
    expect(classifyError(err)).toEqual({
      class: "fatal",
      message:
        `${EAST} holds the writer of global cluster case-global (arn:aws:rds:${EAST}:${emulator.accountId}:cluster:${OLD}): ` +
        "only a secondary can be rebuilt; fail over or switch over first",
    });
    expect(emulator.mutatingCalls()).toEqual([]);
  });

  it("refuses a cluster that is not the region's member, naming the one that is", async () => {
    await failedOver();
    const { ctx } = context();
    const p = rdsRebuildSecondary.params.parse({ ...params(), dbClusterIdentifier: "case-other" });
    await expect(rdsRebuildSecondary.run(p, ctx)).rejects.toThrow(
      `the member of case-global in ${EAST} is ${OLD}, not case-other`,
    );
    expect(emulator.mutatingCalls()).toEqual([]);
  });

  it("validates identifiers as RDS does", () => {
    const bad = rdsRebuildSecondary.params.safeParse({ ...params(), finalSnapshotIdentifier: "keep--me" });
    expect(bad.success).toBe(false);
    expect(rdsRebuildSecondary.describe(params())).toContain(
      `DeleteDBCluster (final snapshot ${OLD}-pre-rebuild-<time>)`,
    );
  });
});
