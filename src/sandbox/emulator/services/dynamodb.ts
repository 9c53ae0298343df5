import { createHash } from "node:crypto";
import { ApiError } from "../errors.js";
import type { ParamReader } from "../params.js";
import type { RequestContext, ServiceDefinition } from "../service.js";
import type { GlobalTableConfig } from "../topology.js";
import type { MetricDatum } from "./cloudwatch-metrics.js";

/**
 * DynamoDB (AWS JSON 1.0, `DynamoDB_20120810.*`): global tables of version 2019.11.21.
 * Each region holds a replica table of the same name; DescribeTable in a region describes
 * that region's table, and its `Replicas` lists the other regions' replicas, as AWS does.
 * Replication is not simulated item by item: what a failover needs to judge is each
 * replica's status and the `ReplicationLatency` metric, published in the source region
 * per receiving region.
 */

export const REPLICA_STATUSES = [
  "CREATING",
  "CREATION_FAILED",
  "UPDATING",
  "DELETING",
  "ACTIVE",
  "REGION_DISABLED",
  "INACCESSIBLE_ENCRYPTION_CREDENTIALS",
] as const;
export type ReplicaStatus = (typeof REPLICA_STATUSES)[number];

export const GLOBAL_TABLE_VERSION = "2019.11.21";
const DEFAULT_LATENCY_MS = 40;

export interface ReplicaModel {
  region: string;
  status: ReplicaStatus;
  statusDescription: string | undefined;
  /** ReplicationLatency of writes arriving in this region (the metric's ReceivingRegion), ms. */
  replicationLatencyMs: number;
  /** Each regional table has its own id. */
  tableId: string;
}

export interface GlobalTableModel {
  name: string;
  partitionKey: string;
  createdAt: Date;
  replicas: Map<string, ReplicaModel>;
}

export type DynamoDbState = Map<string, GlobalTableModel>;

export function createDynamoDbState(configs: readonly GlobalTableConfig[] | undefined): DynamoDbState {
  const state: DynamoDbState = new Map();
  resetDynamoDb(state, configs);
  return state;
}

/** Back to the configured tables, every replica ACTIVE with its usual latency. */
export function resetDynamoDb(state: DynamoDbState, configs: readonly GlobalTableConfig[] | undefined): void {
  state.clear();
  const createdAt = new Date();
  for (const c of configs ?? []) {
    const replicas = new Map<string, ReplicaModel>(
      c.regions.map((region) => [
        region,
        {
          region,
          status: "ACTIVE",
          statusDescription: undefined,
          replicationLatencyMs: c.replicationLatencyMs ?? DEFAULT_LATENCY_MS,
          tableId: uuidOf(`${c.tableName}/${region}`),
        },
      ]),
    );
    state.set(c.tableName, { name: c.tableName, partitionKey: c.partitionKey ?? "id", createdAt, replicas });
  }
}

/** The table's status as seen in the replica's own region. */
export function tableStatusOf(status: ReplicaStatus): string {
  switch (status) {
    case "CREATING":
    case "CREATION_FAILED":
      return "CREATING";
    case "UPDATING":
    case "DELETING":
    case "INACCESSIBLE_ENCRYPTION_CREDENTIALS":
      return status;
    default:
      return "ACTIVE";
  }
}

/**
 * `ReplicationLatency` as AWS publishes it: in the region a write comes from, one series per
 * receiving region. Nothing is published from or to a region that is down, nor towards a
 * replica that is not ACTIVE: no replicated writes arrive there.
 */
export function replicationLatencyMetrics(
  state: DynamoDbState,
  isRegionDown: (region: string) => boolean,
  random: () => number = Math.random,
): MetricDatum[] {
  const data: MetricDatum[] = [];
  for (const table of state.values()) {
    for (const receiving of table.replicas.values()) {
      if (receiving.status !== "ACTIVE" || isRegionDown(receiving.region)) continue;
      for (const source of table.replicas.values()) {
        if (source === receiving || isRegionDown(source.region)) continue;
        data.push({
          region: source.region,
          namespace: "AWS/DynamoDB",
          metricName: "ReplicationLatency",
          dimensions: { TableName: table.name, ReceivingRegion: receiving.region },
          // Real latency wanders around its typical value.
          value: Math.round(receiving.replicationLatencyMs * (0.8 + 0.4 * random())),
          unit: "Milliseconds",
        });
      }
    }
  }
  return data;
}

const notFound = (name: string) =>
  new ApiError("ResourceNotFoundException", `Requested resource not found: Table: ${name} not found`, 400);

const TABLE_NAME = /^[a-zA-Z0-9_.-]{3,255}$/;

function tableName(p: ParamReader): string {
  const name = p.string("TableName");
  if (!TABLE_NAME.test(name)) {
    throw new ApiError(
      "ValidationException",
      `1 validation error detected: Value '${name}' at 'tableName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+ and have length between 3 and 255`,
      400,
    );
  }
  return name;
}

export function dynamoDbService(state: DynamoDbState, accountId: string): ServiceDefinition {
  const describeTable = (p: ParamReader, ctx: RequestContext) => {
    const name = tableName(p);
    const table = state.get(name);
    const local = table?.replicas.get(ctx.region);
    if (!table || !local) throw notFound(name);
    const arn = `arn:aws:dynamodb:${ctx.region}:${accountId}:table/${name}`;
    const streamLabel = table.createdAt.toISOString().replace("Z", "");
    const others = [...table.replicas.values()].filter((r) => r.region !== ctx.region);
    return {
      Table: {
        AttributeDefinitions: [{ AttributeName: table.partitionKey, AttributeType: "S" }],
        TableName: name,
        KeySchema: [{ AttributeName: table.partitionKey, KeyType: "HASH" }],
        TableStatus: tableStatusOf(local.status),
        CreationDateTime: table.createdAt,
        ProvisionedThroughput: { NumberOfDecreasesToday: 0, ReadCapacityUnits: 0, WriteCapacityUnits: 0 },
        TableSizeBytes: 0,
        ItemCount: 0,
        TableArn: arn,
        TableId: local.tableId,
        BillingModeSummary: {
          BillingMode: "PAY_PER_REQUEST",
          LastUpdateToPayPerRequestDateTime: table.createdAt,
        },
        // Global tables replicate through the table's stream, with both images.
        StreamSpecification: { StreamEnabled: true, StreamViewType: "NEW_AND_OLD_IMAGES" },
        LatestStreamLabel: streamLabel,
        LatestStreamArn: `${arn}/stream/${streamLabel}`,
        // A table with no replica elsewhere is a plain regional table: neither field appears.
        GlobalTableVersion: others.length > 0 ? GLOBAL_TABLE_VERSION : undefined,
        Replicas:
          others.length > 0
            ? others.map((r) => ({
                RegionName: r.region,
                ReplicaStatus: r.status,
                ReplicaStatusDescription: r.statusDescription,
                ReplicaTableClassSummary: { TableClass: "STANDARD" },
              }))
            : undefined,
        TableClassSummary: { TableClass: "STANDARD" },
        DeletionProtectionEnabled: false,
      },
    };
  };

  const listTables = (p: ParamReader, ctx: RequestContext) => {
    const limit = p.optionalNumber("Limit") ?? 100;
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
      throw new ApiError(
        "ValidationException",
        `1 validation error detected: Value '${limit}' at 'limit' failed to satisfy constraint: Member must have value between 1 and 100`,
        400,
      );
    }
    const after = p.optionalString("ExclusiveStartTableName");
    const names = [...state.values()]
      .filter((t) => t.replicas.has(ctx.region))
      .map((t) => t.name)
      .sort()
      .filter((n) => after === undefined || n > after);
    const page = names.slice(0, limit);
    return {
      TableNames: page,
      ...(names.length > limit ? { LastEvaluatedTableName: page.at(-1) } : {}),
    };
  };

  return {
    name: "dynamodb",
    json: { target: "DynamoDB_20120810", version: "1.0", namespace: "com.amazonaws.dynamodb.v20120810" },
    errors: {
      missing: "ValidationException",
      invalid: "ValidationException",
      unknownOperation: "UnknownOperationException",
      throttling: "ThrottlingException",
    },
    iam: {
      resources: {
        DescribeTable: (p, ctx) => [
          `arn:aws:dynamodb:${ctx.region}:${accountId}:table/${p.string("TableName")}`,
        ],
      },
    },
    mutating: new Set(),
    operations: { DescribeTable: describeTable, ListTables: listTables },
  };
}

/** A stable UUID-shaped id (regional table ids are UUIDs in AWS). */
function uuidOf(seed: string): string {
  const h = createHash("sha256").update(seed).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
