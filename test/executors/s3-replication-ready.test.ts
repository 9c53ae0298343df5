import { beforeEach, describe, expect, it } from "vitest";
import { s3ReplicationReady } from "../../executors/s3-replication-ready.js";
import { classifyError } from "../../src/executor.js";
import type { Emulator } from "../../src/sandbox/emulator/index.js";
import { contextFor } from "./context.js";
import { emulatorWithContext } from "./emulator-context.js";
import { unavailableAws } from "./unavailable-aws.js";

const A = "us-east-1";
const B = "us-west-2";
const SOURCE = `case-evidence-${A}`;
const DESTINATION = `case-evidence-${B}`;
const RULE = `case-evidence-to-${B}`;

const running = emulatorWithContext((topology) => {
  topology.s3 = {
    buckets: [
      ...(topology.s3?.buckets ?? []),
      // Replicated without RTC: S3 publishes no replication metrics for it.
      {
        region: A,
        name: `case-archive-${A}`,
        replication: {
          ruleId: "archive-to-recovery",
          destinationBucket: `case-archive-${B}`,
          replicationTimeControl: false,
        },
      },
      { region: B, name: `case-archive-${B}` },
    ],
  };
});
let emulator: Emulator;
let env: ReturnType<typeof contextFor>;

beforeEach(() => {
  ({ emulator, env } = running);
  emulator.clearMetrics();
  emulator.s3.reset();
  emulator.clearCalls();
});

const p = (with_: Record<string, unknown> = {}) =>
  s3ReplicationReady.params.parse({ region: A, bucket: SOURCE, destinationBucket: DESTINATION, ...with_ });
const failure = async (params: ReturnType<typeof p>) =>
  classifyError(await s3ReplicationReady.run(params, env.ctx).catch((e: unknown) => e));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("s3.replication-ready", () => {
  it("passes with an Enabled RTC rule to the recovery bucket and a small backlog; read-only", async () => {
    const out = await s3ReplicationReady.run(
      p({ maxPendingOperations: 50, maxReplicationLatency: "30s" }),
      env.ctx,
    );
    expect(out).toEqual({
      ruleId: RULE,
      destinationBucket: `arn:aws:s3:::${DESTINATION}`,
      replicationTimeControl: true,
      backlog: {
        [RULE]: { operationsPending: expect.any(Number), replicationLatencySeconds: expect.any(Number) },
      },
    });
    const backlog = (out.backlog as Record<string, { operationsPending: number }>)[RULE];
    expect(backlog?.operationsPending).toBeLessThanOrEqual(5);
    // The destination given as an ARN, and no thresholds: the rule alone.
    const byArn = await s3ReplicationReady.run(
      p({ destinationBucket: `arn:aws:s3:::${DESTINATION}` }),
      env.ctx,
    );
    expect(byArn).toEqual({
      ruleId: RULE,
      destinationBucket: `arn:aws:s3:::${DESTINATION}`,
      replicationTimeControl: true,
    });
    expect(s3ReplicationReady).toMatchObject({ readOnly: true, idempotent: true });
    expect(emulator.calls.map((c) => `${c.service} ${c.operation}`)).toEqual([
      "s3 GetBucketReplication",
      "monitoring GetMetricData",
      "monitoring GetMetricData",
      "s3 GetBucketReplication",
    ]);
    expect(emulator.mutatingCalls()).toEqual([]);
    expect(s3ReplicationReady.describe(p({ maxPendingOperations: 50, maxReplicationLatency: "30s" }))).toBe(
      `S3 GetBucketReplication ${SOURCE} in ${A}: an Enabled rule replicating to ${DESTINATION}; CloudWatch OperationsPendingReplication ≤ 50, ReplicationLatency ≤ 30s`,
    );
  });

  it("a stalled replication is retryable, naming each threshold exceeded with its figures", async () => {
    await emulator.applyFault({ kind: "replicationStall", bucket: SOURCE, on: true });
    await sleep(1_100);
    await emulator.sampleMetricSources();
    const err = await failure(p({ maxPendingOperations: 10, maxReplicationLatency: "1s" }));
    expect(err.class).toBe("retryable");
    expect(err.message).toMatch(
      new RegExp(
        `^replication of ${SOURCE} to ${DESTINATION} is not ready: OperationsPendingReplication is \\d+ \\(at [0-9T:.Z-]+\\), needs ≤ 10; ReplicationLatency is \\d+ s \\(at [0-9T:.Z-]+\\), needs ≤ 1.0s$`,
      ),
    );
    // Only the pending count over its threshold: only it is named.
    const pendingOnly = await failure(p({ maxPendingOperations: 10, maxReplicationLatency: "10m" }));
    expect(pendingOnly.message).not.toContain("ReplicationLatency is");
  });

  it("no datapoint is retryable, unless missingMetrics: pass", async () => {
    emulator.clearMetrics();
    const err = await failure(p({ maxPendingOperations: 10 }));
    expect(err).toEqual({
      class: "retryable",
      message: `replication of ${SOURCE} to ${DESTINATION} is not ready: no OperationsPendingReplication datapoint for rule ${RULE} in the last 5 minutes`,
    });
    const out = await s3ReplicationReady.run(
      p({ maxPendingOperations: 10, missingMetrics: "pass" }),
      env.ctx,
    );
    expect(out.backlog).toEqual({ [RULE]: { operationsPending: null } });
  });

  it("fatal, each named: no configuration, no bucket, no rule to that bucket, a Disabled rule, metrics off", async () => {
    expect(await failure(p({ region: B, bucket: DESTINATION, destinationBucket: SOURCE }))).toEqual({
      class: "fatal",
      message: `${DESTINATION} has no replication configuration: nothing replicates to ${SOURCE} (PutBucketReplication)`,
    });
    expect(await failure(p({ bucket: "case-nothing" }))).toEqual({
      class: "fatal",
      message: `bucket case-nothing does not exist (asked in ${A}): nothing can replicate from it`,
    });
    expect(await failure(p({ destinationBucket: "case-elsewhere" }))).toEqual({
      class: "fatal",
      message: `no replication rule of ${SOURCE} replicates to case-elsewhere (its rules: ${RULE} → arn:aws:s3:::${DESTINATION})`,
    });
    const rule = emulator.s3.state.buckets.get(SOURCE)?.replication;
    if (!rule) throw new Error("the sandbox's bucket replicates");
    rule.status = "Disabled";
    expect(await failure(p())).toEqual({
      class: "fatal",
      message: `replication of ${SOURCE} to ${DESTINATION} is off: rule ${RULE} is Disabled`,
    });
    const archive = await failure(
      p({ bucket: `case-archive-${A}`, destinationBucket: `case-archive-${B}`, maxPendingOperations: 10 }),
    );
    expect(archive.class).toBe("fatal");
    expect(archive.message).toMatch(
      /^rule archive-to-recovery of case-archive-us-east-1 has replication metrics disabled/,
    );
    // Without thresholds, a rule without metrics is fine.
    expect(
      (
        await s3ReplicationReady.run(
          p({ bucket: `case-archive-${A}`, destinationBucket: `case-archive-${B}` }),
          env.ctx,
        )
      ).replicationTimeControl,
    ).toBe(false);
  });

  it("the bucket asked in another region is fatal, in S3's words", async () => {
    const err = await failure(p({ region: B }));
    expect(err.class).toBe("fatal");
    expect(err.message).toMatch(
      /^s3 GetBucketReplication in us-west-2 failed: AuthorizationHeaderMalformed: The authorization header is malformed; the region 'us-west-2' is wrong; expecting 'us-east-1'/,
    );
  });

  it("throttled S3 or CloudWatch, a 5xx, the source region down: retried by the engine", async () => {
    for (const service of ["s3", "monitoring"]) {
      emulator.throttle(service, 0.001);
      try {
        await s3ReplicationReady.run(p({ maxPendingOperations: 10 }), env.ctx).catch(() => undefined);
        const err = await failure(p({ maxPendingOperations: 10 }));
        expect(err.class, service).toBe("retryable");
        expect(err.message).toMatch(service === "s3" ? /SlowDown/ : /Throttling/);
      } finally {
        emulator.throttle(service, undefined);
      }
    }
    const broken = await unavailableAws();
    const brokenEnv = contextFor(broken.url);
    try {
      const err = classifyError(await s3ReplicationReady.run(p(), brokenEnv.ctx).catch((e: unknown) => e));
      expect(err.class).toBe("retryable");
      expect(broken.requests()).toBeGreaterThan(0);
    } finally {
      brokenEnv.destroy();
      await broken.close();
    }
    // A dropped connection: the SDK says TimeoutError (socket hang up); the engine retries both classes.
    emulator.regionDown(A);
    try {
      expect(["retryable", "timeout"]).toContain((await failure(p())).class);
    } finally {
      emulator.regionDown(A, false);
    }
  }, 30_000);

  it("bad params are refused before anything runs", () => {
    for (const bad of [
      { bucket: "Not_A_Bucket" },
      { destinationBucket: "arn:aws:s3:::" },
      { destinationBucket: SOURCE },
      { maxPendingOperations: -1 },
      { maxReplicationLatency: "soon" },
    ]) {
      expect(
        s3ReplicationReady.params.safeParse({
          region: A,
          bucket: SOURCE,
          destinationBucket: DESTINATION,
          ...bad,
        }).success,
        JSON.stringify(bad),
      ).toBe(false);
    }
  });
});
