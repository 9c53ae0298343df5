import { CloudWatchClient, GetMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import {
  DescribeTableCommand,
  DynamoDBClient,
  ListTablesCommand,
  ResourceNotFoundException,
} from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { adminClient, defaultTopology, type Emulator } from "../../../src/sandbox/emulator/index.js";
import { clientConfig, REGION_A, REGION_B, startEmulator } from "./helpers.js";

describe("DynamoDB global tables (JSON 1.0) through the real SDK", () => {
  let emulator: Emulator;
  beforeAll(async () => {
    const topology = defaultTopology();
    topology.globalTables = [
      { tableName: "case-sessions", regions: [REGION_A, REGION_B] },
      { tableName: "case-audit", regions: [REGION_A, REGION_B], partitionKey: "caseId" },
      { tableName: "case-local", regions: [REGION_A] },
    ];
    emulator = await startEmulator({ topology });
  });
  afterAll(() => emulator.close());
  beforeEach(() => {
    emulator.dataPlane.reset();
    emulator.regionDown(REGION_B, false);
    emulator.throttle("dynamodb", undefined);
  });

  const ddb = (region: string) => new DynamoDBClient(clientConfig(emulator.url, region));
  const describeIn = async (region: string, TableName = "case-sessions") =>
    (await ddb(region).send(new DescribeTableCommand({ TableName }))).Table;

  it("each region describes its own replica table and lists the others as Replicas", async () => {
    const a = await describeIn(REGION_A);
    expect(a).toMatchObject({
      TableName: "case-sessions",
      TableStatus: "ACTIVE",
      GlobalTableVersion: "2019.11.21",
      TableArn: `arn:aws:dynamodb:${REGION_A}:111111111111:table/case-sessions`,
      KeySchema: [{ AttributeName: "id", KeyType: "HASH" }],
      StreamSpecification: { StreamEnabled: true, StreamViewType: "NEW_AND_OLD_IMAGES" },
      BillingModeSummary: { BillingMode: "PAY_PER_REQUEST" },
      Replicas: [{ RegionName: REGION_B, ReplicaStatus: "ACTIVE" }],
    });
    expect(a?.CreationDateTime).toBeInstanceOf(Date);
    const b = await describeIn(REGION_B);
    expect(b?.TableArn).toBe(`arn:aws:dynamodb:${REGION_B}:111111111111:table/case-sessions`);
    expect(b?.Replicas?.map((r) => r.RegionName)).toEqual([REGION_A]);
    expect(b?.TableId).not.toBe(a?.TableId);
    expect((await describeIn(REGION_A, "case-audit"))?.KeySchema?.[0]?.AttributeName).toBe("caseId");
  });

  it("a table in one region only is a plain table: no GlobalTableVersion, no Replicas", async () => {
    const local = await describeIn(REGION_A, "case-local");
    expect(local?.TableStatus).toBe("ACTIVE");
    expect(local?.GlobalTableVersion).toBeUndefined();
    expect(local?.Replicas).toBeUndefined();
  });

  it("a table with no replica in the region is ResourceNotFoundException, worded as AWS does", async () => {
    const error = await ddb(REGION_B)
      .send(new DescribeTableCommand({ TableName: "case-local" }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResourceNotFoundException);
    expect((error as Error).message).toBe("Requested resource not found: Table: case-local not found");
    expect((error as { $metadata: { httpStatusCode: number } }).$metadata.httpStatusCode).toBe(400);
    await expect(
      ddb(REGION_A).send(new DescribeTableCommand({ TableName: "no-such-table" })),
    ).rejects.toBeInstanceOf(ResourceNotFoundException);
    expect(emulator.calls.at(-1)).toMatchObject({
      service: "dynamodb",
      operation: "DescribeTable",
      outcome: "ResourceNotFoundException",
    });
  });

  it("an invalid table name is a ValidationException naming the constraint", async () => {
    await expect(ddb(REGION_A).send(new DescribeTableCommand({ TableName: "ab" }))).rejects.toMatchObject({
      name: "ValidationException",
      message: expect.stringContaining("Value 'ab' at 'tableName' failed to satisfy constraint"),
    });
  });

  it("ListTables lists the region's tables in pages", async () => {
    expect((await ddb(REGION_B).send(new ListTablesCommand({}))).TableNames).toEqual([
      "case-audit",
      "case-sessions",
    ]);
    const first = await ddb(REGION_A).send(new ListTablesCommand({ Limit: 2 }));
    expect(first).toMatchObject({
      TableNames: ["case-audit", "case-local"],
      LastEvaluatedTableName: "case-local",
    });
    const next = await ddb(REGION_A).send(
      new ListTablesCommand({ Limit: 2, ExclusiveStartTableName: first.LastEvaluatedTableName }),
    );
    expect(next.TableNames).toEqual(["case-sessions"]);
    expect(next.LastEvaluatedTableName).toBeUndefined();
    await expect(ddb(REGION_A).send(new ListTablesCommand({ Limit: 0 }))).rejects.toMatchObject({
      name: "ValidationException",
    });
  });

  it("a replica's status shows in its own region's TableStatus and in the others' Replicas", async () => {
    await adminClient(emulator.url).fault({
      kind: "globalTableReplica",
      table: "case-sessions",
      region: REGION_B,
      status: "CREATING",
    });
    expect((await describeIn(REGION_B))?.TableStatus).toBe("CREATING");
    expect((await describeIn(REGION_A))?.Replicas).toEqual([
      expect.objectContaining({ RegionName: REGION_B, ReplicaStatus: "CREATING" }),
    ]);
    emulator.dataPlane.setReplica("case-sessions", REGION_B, {
      status: "INACCESSIBLE_ENCRYPTION_CREDENTIALS",
      statusDescription: "The AWS KMS key used to encrypt the replica is inaccessible",
    });
    expect((await describeIn(REGION_A))?.Replicas?.[0]).toMatchObject({
      ReplicaStatus: "INACCESSIBLE_ENCRYPTION_CREDENTIALS",
      ReplicaStatusDescription: "The AWS KMS key used to encrypt the replica is inaccessible",
    });
    await expect(
      adminClient(emulator.url).fault({ kind: "globalTableReplica", table: "nope", region: REGION_B }),
    ).rejects.toThrow(/no replica of the table nope/);
  });

  it("publishes ReplicationLatency in the source region per ReceivingRegion, none towards a region down", async () => {
    const latest = async (receiving: string, source: string) => {
      const out = await new CloudWatchClient(clientConfig(emulator.url, source)).send(
        new GetMetricDataCommand({
          StartTime: new Date(Date.now() - 60_000),
          EndTime: new Date(Date.now() + 1_000),
          ScanBy: "TimestampDescending",
          MetricDataQueries: [
            {
              Id: "m1",
              MetricStat: {
                Metric: {
                  Namespace: "AWS/DynamoDB",
                  MetricName: "ReplicationLatency",
                  Dimensions: [
                    { Name: "TableName", Value: "case-sessions" },
                    { Name: "ReceivingRegion", Value: receiving },
                  ],
                },
                Period: 60,
                Stat: "Maximum",
              },
            },
          ],
        }),
      );
      return out.MetricDataResults?.[0]?.Values?.[0];
    };
    emulator.clearMetrics();
    await emulator.sampleMetricSources();
    const normal = await latest(REGION_B, REGION_A);
    expect(normal).toBeGreaterThanOrEqual(32);
    expect(normal).toBeLessThanOrEqual(48);
    expect(await latest(REGION_A, REGION_B)).toBeGreaterThan(0);

    emulator.clearMetrics();
    emulator.dataPlane.setReplica("case-sessions", REGION_B, { replicationLatencyMs: 9_000 });
    await emulator.sampleMetricSources();
    expect(await latest(REGION_B, REGION_A)).toBeGreaterThan(7_000);

    emulator.clearMetrics();
    emulator.regionDown(REGION_B, true);
    await emulator.sampleMetricSources();
    expect(await latest(REGION_B, REGION_A)).toBeUndefined();

    // A reset (like the emulator's start) publishes a sample at once, without waiting for a tick.
    emulator.regionDown(REGION_B, false);
    emulator.clearMetrics();
    emulator.dataPlane.reset();
    expect(await latest(REGION_B, REGION_A)).toBeLessThanOrEqual(48);
  });

  it("throttles on demand, and unknown operations are answered as AWS does", async () => {
    emulator.throttle("dynamodb", 0.001);
    await describeIn(REGION_A);
    await expect(describeIn(REGION_A)).rejects.toMatchObject({
      name: "ThrottlingException",
      $metadata: { httpStatusCode: 429 },
    });
    const res = await fetch(`${emulator.url}/`, {
      method: "POST",
      headers: { "content-type": "application/x-amz-json-1.0", "x-amz-target": "DynamoDB_20120810.Nope" },
      body: "{}",
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      __type: "com.amazonaws.dynamodb.v20120810#UnknownOperationException",
    });
  });
});
