import type { FaultRequest } from "./faults.js";
import type { ServiceDefinition } from "./service.js";
import type { MetricDatum, MetricStore } from "./services/cloudwatch-metrics.js";
import {
  createDynamoDbState,
  type DynamoDbState,
  dynamoDbService,
  type ReplicaStatus,
  replicationLatencyMetrics,
  resetDynamoDb,
  tableStatusOf,
} from "./services/dynamodb.js";
import { createEventsState, type EventsState, eventsService, resetEvents } from "./services/events.js";
import {
  createKmsState,
  type KeyState,
  type KmsState,
  kmsService,
  resetKms,
  resolveKey,
  setKeyState,
} from "./services/kms.js";
import {
  type ReplicationStatus,
  replicasOf,
  type SecretsState,
  setReplicationStatus,
} from "./services/secrets.js";
import type { EmulatorTopology } from "./topology.js";

/**
 * The data plane a failover must find ready in the recovery region, and the one-region
 * jobs it moves: DynamoDB global tables, KMS multi-Region keys, Secrets Manager
 * replication (the secrets themselves live in the secrets service) and EventBridge rules.
 * One object so the emulator wires them in one place, faults and tests reach them, and a
 * sandbox reset puts them back as the topology says.
 */

export interface DataPlaneStatus {
  /** Table → region → its replica's status and the latency of writes arriving there. */
  globalTables: Record<
    string,
    Record<string, { tableStatus: string; replicaStatus: string; replicationLatencyMs: number }>
  >;
  /** Alias → region → the key it names there. */
  kmsKeys: Record<string, Record<string, { keyId: string; keyState: string; multiRegionKeyType: string }>>;
  /** Secret → its primary region and each replica's ReplicationStatus. */
  secretReplication: Record<
    string,
    { primaryRegion: string; replicas: Record<string, { status: string; statusMessage: string }> }
  >;
  /** Rule → region → State. */
  eventRules: Record<string, Record<string, string>>;
}

export class DataPlane {
  readonly dynamodb: DynamoDbState;
  readonly kms: KmsState;
  readonly events: EventsState;

  constructor(
    private readonly topology: EmulatorTopology,
    private readonly accountId: string,
    private readonly secrets: SecretsState,
    private readonly metricStore: MetricStore,
    private readonly isRegionDown: (region: string) => boolean,
  ) {
    this.dynamodb = createDynamoDbState(topology.globalTables);
    this.kms = createKmsState(topology.kmsKeys, accountId);
    this.events = createEventsState(topology.eventRules, accountId);
    this.publishLatency();
  }

  services(): ServiceDefinition[] {
    return [
      dynamoDbService(this.dynamodb, this.accountId),
      kmsService(this.kms, this.accountId),
      eventsService(this.events, this.accountId),
    ];
  }

  /** `AWS/DynamoDB ReplicationLatency`, sampled with the emulator's other metric sources. */
  metrics(): MetricDatum[] {
    return replicationLatencyMetrics(this.dynamodb, this.isRegionDown);
  }

  /**
   * A replica's status and the latency of writes arriving in its region; what is left
   * undefined goes back to the topology's value (ACTIVE, its usual latency).
   */
  setReplica(
    tableName: string,
    region: string,
    change: { status?: ReplicaStatus; statusDescription?: string; replicationLatencyMs?: number },
  ): void {
    const replica = this.dynamodb.get(tableName)?.replicas.get(region);
    if (!replica) throw new Error(`no replica of the table ${tableName} in ${region}`);
    const config = this.topology.globalTables?.find((t) => t.tableName === tableName);
    replica.status = change.status ?? "ACTIVE";
    replica.statusDescription = change.statusDescription;
    replica.replicationLatencyMs = change.replicationLatencyMs ?? config?.replicationLatencyMs ?? 40;
  }

  /** A key's state in one region (`keyId`: id, ARN or alias); undefined: Enabled again. */
  setKeyState(region: string, keyId: string, state: KeyState | undefined): void {
    let key: ReturnType<typeof resolveKey>;
    try {
      key = resolveKey(this.kms, region, this.accountId, keyId);
    } catch {
      throw new Error(`no KMS key ${keyId} in ${region}`);
    }
    setKeyState(key, state ?? "Enabled");
  }

  /** The ReplicationStatus of a secret's replica in `region`; undefined when there is no replica there. */
  secretReplicationStatus(name: string, region: string): ReplicationStatus | undefined {
    return [...this.secrets.values()].find((s) => s.name === name && s.region === region)?.replica?.status;
  }

  /** A secret replica's ReplicationStatus; undefined: InSync again. */
  setSecretReplication(name: string, region: string, status?: ReplicationStatus, message?: string): void {
    setReplicationStatus(this.secrets, region, name, status ?? "InSync", message);
  }

  /** The admin API's data-plane faults (see faults.ts). */
  applyFault(
    f: Extract<FaultRequest, { kind: "globalTableReplica" | "kmsKeyState" | "secretReplication" }>,
  ): void {
    switch (f.kind) {
      case "globalTableReplica":
        this.setReplica(f.table, f.region, {
          ...(f.status ? { status: f.status } : {}),
          ...(f.replicationLatencyMs === undefined ? {} : { replicationLatencyMs: f.replicationLatencyMs }),
        });
        return;
      case "kmsKeyState":
        this.setKeyState(f.region, f.keyId, f.state);
        return;
      case "secretReplication":
        this.setSecretReplication(f.name, f.region, f.status, f.message);
        return;
    }
  }

  /** Everything back to the topology (secrets are put back by whoever resets them). */
  reset(): void {
    resetDynamoDb(this.dynamodb, this.topology.globalTables);
    resetKms(this.kms, this.topology.kmsKeys, this.accountId);
    resetEvents(this.events, this.topology.eventRules, this.accountId);
    this.publishLatency();
  }

  /**
   * A first ReplicationLatency sample right away, not one evaluation interval later: a
   * pre-check run just after `sandbox up` or a reset (which clears the metrics first) must
   * not meet "no datapoint" that only the sandbox's own start produced.
   */
  private publishLatency(): void {
    for (const datum of this.metrics()) this.metricStore.put(datum);
  }

  status(): DataPlaneStatus {
    const globalTables: DataPlaneStatus["globalTables"] = {};
    for (const table of this.dynamodb.values()) {
      globalTables[table.name] = Object.fromEntries(
        [...table.replicas.values()].map((r) => [
          r.region,
          {
            tableStatus: tableStatusOf(r.status),
            replicaStatus: r.status,
            replicationLatencyMs: r.replicationLatencyMs,
          },
        ]),
      );
    }
    const kmsKeys: DataPlaneStatus["kmsKeys"] = {};
    for (const alias of this.kms.aliases.values()) {
      const key = this.kms.keys.get(`${alias.region}/${alias.targetKeyId}`);
      if (!key) continue;
      kmsKeys[alias.name] ??= {};
      kmsKeys[alias.name]![alias.region] = {
        keyId: key.keyId,
        keyState: key.state,
        multiRegionKeyType: key.multiRegionKeyType,
      };
    }
    const secretReplication: DataPlaneStatus["secretReplication"] = {};
    for (const secret of this.secrets.values()) {
      const replicas = replicasOf(this.secrets, secret);
      if (secret.replica || replicas.length === 0) continue;
      secretReplication[secret.name] = {
        primaryRegion: secret.region,
        replicas: Object.fromEntries(
          replicas.map((r) => [
            r.region,
            { status: r.replica?.status ?? "InSync", statusMessage: r.replica?.message ?? "" },
          ]),
        ),
      };
    }
    const eventRules: DataPlaneStatus["eventRules"] = {};
    for (const rule of this.events.values()) {
      eventRules[rule.name] ??= {};
      eventRules[rule.name]![rule.region] = rule.state;
    }
    return { globalTables, kmsKeys, secretReplication, eventRules };
  }
}
