import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { dynamodbGlobalTableReady } from "../../executors/dynamodb-global-table-ready.js";
import { kmsKeyReady } from "../../executors/kms-key-ready.js";
import { secretsExists } from "../../executors/secrets-exists.js";
import { classifyError } from "../../src/executor.js";
import { createEmulator, defaultTopology, type Emulator } from "../../src/sandbox/emulator/index.js";
import { contextFor } from "./context.js";
import { unavailableAws } from "./unavailable-aws.js";

const A = "us-east-1";
const B = "us-west-2";

let emulator: Emulator;
let env: ReturnType<typeof contextFor>;
let broken: Awaited<ReturnType<typeof unavailableAws>>;
let brokenEnv: ReturnType<typeof contextFor>;

beforeAll(async () => {
  const topology = defaultTopology();
  topology.globalTables = [...(topology.globalTables ?? []), { tableName: "case-local", regions: [B] }];
  emulator = await createEmulator({ topology, evaluationIntervalMs: 100_000 });
  env = contextFor(emulator.url);
  broken = await unavailableAws();
  brokenEnv = contextFor(broken.url);
});
afterAll(async () => {
  env.destroy();
  brokenEnv.destroy();
  await broken.close();
  await emulator.close();
});
beforeEach(async () => {
  emulator.dataPlane.reset();
  emulator.clearMetrics();
  await emulator.sampleMetricSources();
});

/** Runs a probe and returns the error it failed with (and its class). */
async function failure(promise: Promise<unknown>): Promise<{ message: string; class: string }> {
  const err = await promise.then(
    () => {
      throw new Error("expected the probe to fail");
    },
    (e: unknown) => e,
  );
  return classifyError(err);
}

describe("dynamodb.global-table-ready", () => {
  const ready = (with_: Record<string, unknown>) =>
    dynamodbGlobalTableReady.params.parse({ region: B, tableName: "case-sessions", ...with_ });

  it("passes with the replica ACTIVE and the latency into the region under the threshold", async () => {
    const out = await dynamodbGlobalTableReady.run(
      ready({ sourceRegion: A, maxReplicationLatency: "5s" }),
      env.ctx,
    );
    expect(out).toMatchObject({ tableStatus: "ACTIVE", replicaStatus: "ACTIVE", replicaRegions: [A] });
    const latency = (out.replicationLatencyMs as Record<string, number>)[A];
    expect(latency).toBeGreaterThan(0);
    expect(latency).toBeLessThan(100);
    // Without sourceRegion: the region's own view, latency from every other replica.
    expect(await dynamodbGlobalTableReady.run(ready({ maxReplicationLatency: "1s" }), env.ctx)).toMatchObject(
      {
        replicaStatus: "ACTIVE",
        replicationLatencyMs: { [A]: expect.any(Number) },
      },
    );
    expect(dynamodbGlobalTableReady.describe(ready({ sourceRegion: A, maxReplicationLatency: "5s" }))).toBe(
      `DynamoDB DescribeTable case-sessions in ${B}: table and replica ACTIVE (ReplicaStatus as ${A} sees it); CloudWatch ReplicationLatency into ${B} < 5s`,
    );
  });

  it("a replica being created fails, retryably, naming both views of its status", async () => {
    emulator.dataPlane.setReplica("case-sessions", B, { status: "CREATING" });
    expect(await failure(dynamodbGlobalTableReady.run(ready({ sourceRegion: A }), env.ctx))).toEqual({
      message: `case-sessions in ${B} is not ready: table status is CREATING; replica status is CREATING as ${A} sees it`,
      class: "retryable",
    });
  });

  it("a replica that lost its KMS key fails fatally, with AWS's description", async () => {
    emulator.dataPlane.setReplica("case-sessions", B, {
      status: "INACCESSIBLE_ENCRYPTION_CREDENTIALS",
      statusDescription: "The KMS key is disabled",
    });
    const f = await failure(dynamodbGlobalTableReady.run(ready({ sourceRegion: A }), env.ctx));
    expect(f.class).toBe("fatal");
    expect(f.message).toContain(
      `replica status is INACCESSIBLE_ENCRYPTION_CREDENTIALS as ${A} sees it (The KMS key is disabled)`,
    );
  });

  it("latency above the threshold fails with the figure; no datapoint fails unless told to pass", async () => {
    emulator.dataPlane.setReplica("case-sessions", B, { replicationLatencyMs: 9_000 });
    emulator.clearMetrics();
    await emulator.sampleMetricSources();
    const high = await failure(
      dynamodbGlobalTableReady.run(ready({ sourceRegion: A, maxReplicationLatency: "5s" }), env.ctx),
    );
    expect(high.class).toBe("retryable");
    expect(high.message).toMatch(
      new RegExp(
        `^case-sessions in ${B} is not ready: ReplicationLatency ${A} → ${B} is \\d{4,5} ms \\(at .+\\), needs < 5000 ms$`,
      ),
    );
    emulator.clearMetrics();
    const none = await failure(dynamodbGlobalTableReady.run(ready({ maxReplicationLatency: "5s" }), env.ctx));
    expect(none).toEqual({
      message: `case-sessions in ${B} is not ready: no ReplicationLatency datapoint ${A} → ${B} in the last 5 minutes (no writes replicated lately?)`,
      class: "retryable",
    });
    const passed = await dynamodbGlobalTableReady.run(
      ready({ maxReplicationLatency: "5s", missingLatency: "pass" }),
      env.ctx,
    );
    expect(passed.replicationLatencyMs).toEqual({ [A]: null });
  });

  it("a missing table, a plain table and a source holding no replica are fatal, named", async () => {
    expect(await failure(dynamodbGlobalTableReady.run(ready({ tableName: "no-such" }), env.ctx))).toEqual({
      message: `table no-such does not exist in ${B}: add a replica there (UpdateTable ReplicaUpdates)`,
      class: "fatal",
    });
    const plain = await failure(dynamodbGlobalTableReady.run(ready({ tableName: "case-local" }), env.ctx));
    expect(plain.class).toBe("fatal");
    expect(plain.message).toContain("is not a global table of version 2019.11.21");
    const elsewhere = await failure(
      dynamodbGlobalTableReady.run(ready({ sourceRegion: "eu-west-1" }), env.ctx),
    );
    expect(elsewhere).toEqual({
      message: `eu-west-1 holds no replica of case-sessions as ${B} sees it (other replicas: ${A})`,
      class: "fatal",
    });
    expect(() => ready({ sourceRegion: B })).toThrow(/sourceRegion must be another region/);
  });

  it("throttling and 5xx are retryable", async () => {
    emulator.throttle("dynamodb", 0.001);
    try {
      await dynamodbGlobalTableReady.run(ready({}), env.ctx).catch(() => undefined);
      const throttled = await failure(dynamodbGlobalTableReady.run(ready({}), env.ctx));
      expect(throttled.class).toBe("retryable");
      expect(throttled.message).toContain(`dynamodb DescribeTable in ${B} failed: ThrottlingException`);
    } finally {
      emulator.throttle("dynamodb", undefined);
    }
    const unavailable = await failure(dynamodbGlobalTableReady.run(ready({}), brokenEnv.ctx));
    expect(unavailable.class).toBe("retryable");
    expect(unavailable.message).toContain("InternalFailure");
  });
});

describe("kms.key-ready", () => {
  const ready = (keyId = "alias/case-data", region = B) => kmsKeyReady.params.parse({ region, keyId });

  it("passes for the Enabled replica by alias, and for the primary by its ARN", async () => {
    const out = await kmsKeyReady.run(ready(), env.ctx);
    expect(out).toMatchObject({ keyState: "Enabled", multiRegionKeyType: "REPLICA", primaryRegion: A });
    expect(String(out.keyArn)).toMatch(new RegExp(`^arn:aws:kms:${B}:111111111111:key/mrk-`));
    const primary = await kmsKeyReady.run(ready(String(out.keyArn).replace(B, A), A), env.ctx);
    expect(primary.multiRegionKeyType).toBe("PRIMARY");
  });

  it("a key not found, disabled or pending deletion fails fatally, saying what to do", async () => {
    const missing = await failure(kmsKeyReady.run(ready("alias/nope"), env.ctx));
    expect(missing.class).toBe("fatal");
    expect(missing.message).toBe(
      `KMS key alias/nope not found in ${B} (Alias arn:aws:kms:${B}:111111111111:alias/nope is not found.): replicate the multi-Region key there (ReplicateKey) and give the replica the alias`,
    );
    emulator.dataPlane.setKeyState(B, "alias/case-data", "Disabled");
    const disabled = await failure(kmsKeyReady.run(ready(), env.ctx));
    expect(disabled.class).toBe("fatal");
    expect(disabled.message).toMatch(
      /^alias\/case-data in us-west-2 \(arn:aws:kms:.+\) is Disabled, not Enabled$/,
    );
    emulator.dataPlane.setKeyState(B, "alias/case-data", "PendingDeletion");
    expect((await failure(kmsKeyReady.run(ready(), env.ctx))).message).toMatch(
      /is PendingDeletion \(deletion on \d{4}-.+; CancelKeyDeletion\), not Enabled$/,
    );
    emulator.dataPlane.setKeyState(B, "alias/case-data", "Updating");
    expect((await failure(kmsKeyReady.run(ready(), env.ctx))).class).toBe("retryable");
  });

  it("throttling and 5xx are retryable", async () => {
    emulator.throttle("kms", 0.001);
    try {
      await kmsKeyReady.run(ready(), env.ctx).catch(() => undefined);
      expect((await failure(kmsKeyReady.run(ready(), env.ctx))).class).toBe("retryable");
    } finally {
      emulator.throttle("kms", undefined);
    }
    const unavailable = await failure(kmsKeyReady.run(ready(), brokenEnv.ctx));
    expect(unavailable).toMatchObject({ class: "retryable" });
    expect(unavailable.message).toContain(`kms DescribeKey in ${B} failed`);
  });
});

describe("secrets.exists with replication", () => {
  const p = (extra: Record<string, unknown> = {}) =>
    secretsExists.params.parse({ region: B, secretIds: ["case-api/db"], replication: { from: A }, ...extra });

  it("passes while the replica is InSync, and says so", async () => {
    expect(await secretsExists.run(p({ readable: true }), env.ctx)).toEqual({
      checked: 1,
      replication: { "case-api/db": "InSync" },
    });
    expect(secretsExists.describe(p())).toBe(
      `Secrets Manager DescribeSecret case-api/db in ${B}; ReplicationStatus for ${B} InSync (DescribeSecret in ${A})`,
    );
    expect(() => p({ replication: { from: B } })).toThrow(/another region than region/);
  });

  it("Failed is fatal and InProgress retryable, each naming the secret, the region and AWS's message", async () => {
    emulator.dataPlane.setSecretReplication("case-api/db", B, "Failed");
    const failed = await failure(secretsExists.run(p(), env.ctx));
    expect(failed.class).toBe("fatal");
    expect(failed.message).toMatch(
      /^case-api\/db replication to us-west-2 is Failed: Access to KMS is not allowed\. The replica may hold an old value/,
    );
    emulator.dataPlane.setSecretReplication("case-api/db", B, "InProgress");
    const inProgress = await failure(secretsExists.run(p(), env.ctx));
    expect(inProgress.class).toBe("retryable");
    expect(inProgress.message).toContain(
      "case-api/db replication to us-west-2 is InProgress: Replication in progress",
    );
  });

  it("a secret that is not replicated there, or missing in the primary region, is fatal", async () => {
    emulator.putSecret(B, "case-api/standalone", "x");
    const standalone = await failure(
      secretsExists.run(p({ secretIds: ["case-api/db", "case-api/standalone"] }), env.ctx),
    );
    expect(standalone.class).toBe("fatal");
    expect(standalone.message).toContain(
      `case-api/standalone does not exist in ${A}, given as its primary region`,
    );
    emulator.putSecret(A, "case-api/standalone", "x");
    expect(
      (await failure(secretsExists.run(p({ secretIds: ["case-api/standalone"] }), env.ctx))).message,
    ).toContain(`case-api/standalone is not replicated from ${A} to ${B} (replica regions: none)`);
    emulator.removeSecret(A, "case-api/standalone");
    emulator.removeSecret(B, "case-api/standalone");
  });

  it("the replica missing in the region is still reported as missing, as before", async () => {
    emulator.removeSecret(B, "case-api/db");
    try {
      expect((await failure(secretsExists.run(p(), env.ctx))).message).toContain(
        `missing in ${B}: case-api/db`,
      );
    } finally {
      emulator.putSecret(B, "case-api/db", '{"username":"app","password":"sandbox"}', { primaryRegion: A });
    }
  });

  it("a primary region that answers 5xx is retryable", async () => {
    const unavailable = await failure(secretsExists.run(p(), brokenEnv.ctx));
    expect(unavailable.class).toBe("retryable");
  });
});
