import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import {
  GetBucketLocationCommand,
  GetBucketReplicationCommand,
  GetBucketTaggingCommand,
  GetBucketVersioningCommand,
  HeadBucketCommand,
  ListBucketsCommand,
  NoSuchBucket,
  S3Client,
  type S3ServiceException,
} from "@aws-sdk/client-s3";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { latestDatapoint } from "../../../src/aws/latest-metric.js";
import { classifyError } from "../../../src/executor.js";
import type { Emulator } from "../../../src/sandbox/emulator/index.js";
import {
  advanceReplication,
  DRAIN_OPS_PER_SECOND,
  type ReplicationModel,
  replicationFigures,
  STALL_OPS_PER_SECOND,
} from "../../../src/sandbox/emulator/services/s3-model.js";
import { clientConfig, REGION_A, REGION_B, startEmulator } from "./helpers.js";

const SOURCE = `case-evidence-${REGION_A}`;
const DESTINATION = `case-evidence-${REGION_B}`;
const RULE = `case-evidence-to-${REGION_B}`;

const failure = (p: Promise<unknown>) =>
  p.then(() => undefined).catch((e: unknown) => e as S3ServiceException);

describe("S3 (rest-xml, path-style) through the real SDK", () => {
  let emulator: Emulator;
  const s3 = (region = REGION_A) =>
    new S3Client({ ...clientConfig(emulator.url, region), forcePathStyle: true });
  beforeAll(async () => {
    emulator = await startEmulator();
  });
  afterAll(() => emulator.close());
  beforeEach(() => {
    emulator.s3.reset();
    emulator.clearCalls();
  });

  it("HeadBucket answers with the bucket's region; a missing bucket is a bodiless 404 (NotFound)", async () => {
    const head = await s3().send(new HeadBucketCommand({ Bucket: SOURCE }));
    expect(head).toMatchObject({ BucketRegion: REGION_A, AccessPointAlias: false });
    expect(head.$metadata.httpStatusCode).toBe(200);
    const missing = await failure(s3().send(new HeadBucketCommand({ Bucket: "no-such-evidence" })));
    expect(missing?.name).toBe("NotFound");
    expect(missing?.$metadata.httpStatusCode).toBe(404);
    expect(emulator.calls.at(-1)).toMatchObject({ operation: "HeadBucket", outcome: "NoSuchBucket" });
  });

  it("GetBucketLocation: empty for us-east-1 (as S3 says it), the region otherwise, asked from any region", async () => {
    expect(
      (await s3().send(new GetBucketLocationCommand({ Bucket: SOURCE }))).LocationConstraint,
    ).toBeUndefined();
    const b = await s3(REGION_A).send(new GetBucketLocationCommand({ Bucket: DESTINATION }));
    expect(b.LocationConstraint).toBe(REGION_B);
  });

  it("GetBucketVersioning: Enabled, as replication requires on both buckets", async () => {
    for (const [bucket, region] of [
      [SOURCE, REGION_A],
      [DESTINATION, REGION_B],
    ] as const) {
      const v = await s3(region).send(new GetBucketVersioningCommand({ Bucket: bucket }));
      expect({ Status: v.Status, MFADelete: v.MFADelete }).toEqual({
        Status: "Enabled",
        MFADelete: "Disabled",
      });
    }
  });

  it("GetBucketReplication: one Enabled rule to the recovery bucket, with RTC and metrics", async () => {
    const out = await s3().send(new GetBucketReplicationCommand({ Bucket: SOURCE }));
    expect(out.ReplicationConfiguration).toEqual({
      Role: `arn:aws:iam::111111111111:role/${SOURCE}-replication`,
      Rules: [
        {
          ID: RULE,
          Priority: 1,
          Filter: { Prefix: "" },
          Status: "Enabled",
          DeleteMarkerReplication: { Status: "Disabled" },
          Destination: {
            Bucket: `arn:aws:s3:::${DESTINATION}`,
            StorageClass: "STANDARD",
            ReplicationTime: { Status: "Enabled", Time: { Minutes: 15 } },
            Metrics: { Status: "Enabled", EventThreshold: { Minutes: 15 } },
          },
        },
      ],
    });
  });

  it("GetBucketReplication errors: no configuration, no bucket, the wrong region, another owner", async () => {
    const none = await failure(s3(REGION_B).send(new GetBucketReplicationCommand({ Bucket: DESTINATION })));
    expect(none).toMatchObject({
      name: "ReplicationConfigurationNotFoundError",
      message: "The replication configuration was not found",
      BucketName: DESTINATION,
    });
    expect(none?.$metadata.httpStatusCode).toBe(404);
    const missing = await failure(s3().send(new GetBucketReplicationCommand({ Bucket: "no-such-evidence" })));
    expect(missing).toBeInstanceOf(NoSuchBucket);
    expect(missing?.message).toBe("The specified bucket does not exist");
    const wrongRegion = await failure(
      s3(REGION_A).send(new GetBucketReplicationCommand({ Bucket: DESTINATION })),
    );
    expect(wrongRegion).toMatchObject({
      name: "AuthorizationHeaderMalformed",
      message: `The authorization header is malformed; the region '${REGION_A}' is wrong; expecting '${REGION_B}'`,
      Region: REGION_B,
    });
    expect(wrongRegion?.$metadata.httpStatusCode).toBe(400);
    const otherOwner = await failure(
      s3().send(new GetBucketReplicationCommand({ Bucket: SOURCE, ExpectedBucketOwner: "222222222222" })),
    );
    expect(otherOwner).toMatchObject({ name: "AccessDenied", message: "Access Denied" });
    expect(otherOwner?.$metadata.httpStatusCode).toBe(403);
  });

  it("ListBuckets: every region's buckets, filtered by prefix and region, paged", async () => {
    const all = await s3().send(new ListBucketsCommand({}));
    expect(all.Buckets?.map((b) => [b.Name, b.BucketRegion])).toEqual([
      [SOURCE, REGION_A],
      [DESTINATION, REGION_B],
    ]);
    expect(all.Buckets?.[0]?.CreationDate).toBeInstanceOf(Date);
    expect(all.Owner?.ID).toMatch(/^[0-9a-f]{64}$/);
    const west = await s3().send(new ListBucketsCommand({ BucketRegion: REGION_B, Prefix: "case-" }));
    expect(west.Buckets?.map((b) => b.Name)).toEqual([DESTINATION]);
    expect(west.Prefix).toBe("case-");
    const first = await s3().send(new ListBucketsCommand({ MaxBuckets: 1 }));
    expect(first.Buckets?.map((b) => b.Name)).toEqual([SOURCE]);
    const second = await s3().send(
      new ListBucketsCommand({ MaxBuckets: 1, ContinuationToken: first.ContinuationToken }),
    );
    expect(second.Buckets?.map((b) => b.Name)).toEqual([DESTINATION]);
    expect(second.ContinuationToken).toBeUndefined();
    const badToken = await failure(s3().send(new ListBucketsCommand({ ContinuationToken: "nope" })));
    expect(badToken).toMatchObject({ name: "InvalidArgument" });
    const badMax = await failure(s3().send(new ListBucketsCommand({ MaxBuckets: 0 })));
    expect(badMax?.message).toBe("max-buckets must be an integer between 1 and 10000");
  });

  it("an operation the SDK has but the sandbox does not: NotImplemented, logged", async () => {
    const e = await failure(s3().send(new GetBucketTaggingCommand({ Bucket: SOURCE })));
    expect(e?.name).toBe("NotImplemented");
    expect(emulator.calls.at(-1)).toMatchObject({
      service: "s3",
      operation: "GetBucketTagging",
      outcome: "NotImplemented",
    });
  });

  it("throttling is SlowDown (503), which the SDK retries as throttling; a down region drops the connection", async () => {
    emulator.throttle("s3", 0.001);
    try {
      await failure(s3().send(new GetBucketReplicationCommand({ Bucket: SOURCE })));
      emulator.clearCalls();
      const retrying = new S3Client({
        ...clientConfig(emulator.url, REGION_A),
        forcePathStyle: true,
        maxAttempts: 2,
      });
      const slow = await failure(retrying.send(new GetBucketReplicationCommand({ Bucket: SOURCE })));
      expect(slow?.name).toBe("SlowDown");
      expect(slow?.$metadata).toMatchObject({ httpStatusCode: 503, attempts: 2 });
      expect(emulator.calls.map((c) => c.outcome)).toEqual(["SlowDown", "SlowDown"]);
      expect(classifyError(slow).class).toBe("retryable");
    } finally {
      emulator.throttle("s3", undefined);
    }
    emulator.regionDown(REGION_A);
    try {
      const dropped = await failure(s3().send(new GetBucketReplicationCommand({ Bucket: SOURCE })));
      expect(String((dropped as { code?: string }).code ?? dropped)).toMatch(/ECONNRESET|socket hang up/);
      expect(emulator.calls.at(-1)).toMatchObject({
        operation: "GetBucketReplication",
        outcome: "RegionDown",
      });
    } finally {
      emulator.regionDown(REGION_A, false);
    }
  });
});

describe("S3 replication metrics and the replication-stall fault", () => {
  let emulator: Emulator;
  let cw: CloudWatchClient;
  beforeAll(async () => {
    emulator = await startEmulator();
    cw = new CloudWatchClient(clientConfig(emulator.url, REGION_A));
  });
  afterAll(() => emulator.close());
  beforeEach(() => {
    emulator.clearMetrics();
    emulator.s3.reset();
  });

  const latest = async (metricName: string) =>
    (
      await latestDatapoint(
        cw,
        {
          namespace: "AWS/S3",
          metricName,
          dimensions: { SourceBucket: SOURCE, DestinationBucket: DESTINATION, RuleId: RULE },
        },
        // EndTime is exclusive: a sample taken this very millisecond must be inside the window.
        new Date(Date.now() + 1_000),
        new AbortController().signal,
      )
    )?.value;
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  it("normally a handful of pending operations and a few seconds, in the source bucket's region, from the start", async () => {
    // reset() published a datapoint: a probe right after it finds one.
    expect(await latest("OperationsPendingReplication")).toBeLessThanOrEqual(5);
    expect(await latest("ReplicationLatency")).toBeGreaterThanOrEqual(2);
    expect(await latest("ReplicationLatency")).toBeLessThanOrEqual(8);
    await emulator.sampleMetricSources();
    const inB = new CloudWatchClient(clientConfig(emulator.url, REGION_B));
    const elsewhere = await latestDatapoint(
      inB,
      {
        namespace: "AWS/S3",
        metricName: "ReplicationLatency",
        dimensions: { SourceBucket: SOURCE, DestinationBucket: DESTINATION, RuleId: RULE },
      },
      new Date(),
      new AbortController().signal,
    );
    expect(elsewhere).toBeUndefined();
  });

  it("a stall piles operations up and ages the oldest; lifted, the backlog drains (through the admin API's fault)", async () => {
    const fault = (on: boolean) =>
      fetch(`${emulator.url}/_sandbox/fault`, {
        method: "POST",
        body: JSON.stringify({ kind: "replicationStall", bucket: SOURCE, on }),
      });
    const before = Date.now();
    expect((await fault(true)).status).toBe(200);
    await sleep(1_100);
    await emulator.sampleMetricSources();
    const elapsed = (Date.now() - before) / 1000;
    const pending = (await latest("OperationsPendingReplication")) ?? 0;
    // 20 more each second of the stall (at least the 1.1 s slept), on top of the usual 0–5.
    expect(pending).toBeGreaterThanOrEqual(STALL_OPS_PER_SECOND * 1.1 - 1);
    expect(pending).toBeLessThanOrEqual(Math.ceil(STALL_OPS_PER_SECOND * elapsed) + 6);
    expect(emulator.s3.status()[SOURCE]?.replication).toMatchObject({ stalled: true });
    expect((await latest("ReplicationLatency")) ?? 0).toBeGreaterThanOrEqual(3);

    expect((await fault(false)).status).toBe(200);
    await sleep(400); // a backlog of ~25 drains at 200/s
    const after = emulator.s3.status()[SOURCE]?.replication;
    expect(after).toMatchObject({ stalled: false });
    expect(after?.operationsPending).toBeLessThanOrEqual(5);
    expect(after?.replicationLatencySeconds).toBeLessThanOrEqual(8);
    const refused = await fetch(`${emulator.url}/_sandbox/fault`, {
      method: "POST",
      body: JSON.stringify({ kind: "replicationStall", bucket: DESTINATION, on: true }),
    });
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain(`${DESTINATION} has no replication configuration`);
  });

  it("the destination's region down stalls replication too; the source's region down publishes nothing", async () => {
    emulator.regionDown(REGION_B);
    try {
      emulator.s3.metrics();
      await sleep(300);
      expect(emulator.s3.status()[SOURCE]?.replication?.stalled).toBe(true);
    } finally {
      emulator.regionDown(REGION_B, false);
    }
    emulator.regionDown(REGION_A);
    try {
      expect(emulator.s3.metrics()).toEqual([]);
    } finally {
      emulator.regionDown(REGION_A, false);
    }
  });
});

describe("the replication backlog model (a FIFO queue over time)", () => {
  const rule = (): ReplicationModel => ({
    ruleId: RULE,
    status: "Enabled",
    role: "arn:aws:iam::111111111111:role/r",
    replicationTimeControl: true,
    destinationBucket: DESTINATION,
    destinationRegion: REGION_B,
    stallFault: false,
    backlog: 0,
    oldestPendingAt: undefined,
    updatedAt: 0,
  });
  const noNoise = () => 0;

  it("stalled for 10 s: 200 more operations pending, the oldest 10 s old", () => {
    const r = rule();
    advanceReplication(r, 10_000, false);
    expect(replicationFigures(r, 10_000, noNoise)).toEqual({
      operationsPending: 10 * STALL_OPS_PER_SECOND,
      latencySeconds: 2 + 10,
    });
  });

  it("flowing again, it drains oldest first, then is back to normal", () => {
    const r = rule();
    advanceReplication(r, 10_000, false);
    advanceReplication(r, 10_500, true);
    // 0.5 s at 200/s took 100 operations: the first 5 s' worth of arrivals.
    expect(r.backlog).toBe(10 * STALL_OPS_PER_SECOND - 0.5 * DRAIN_OPS_PER_SECOND);
    expect(replicationFigures(r, 10_500, noNoise)).toEqual({ operationsPending: 100, latencySeconds: 2 + 6 });
    advanceReplication(r, 11_500, true);
    expect(r).toMatchObject({ backlog: 0, oldestPendingAt: undefined });
    expect(replicationFigures(r, 11_500, noNoise)).toEqual({ operationsPending: 0, latencySeconds: 2 });
  });
});
