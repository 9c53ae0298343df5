import type { ListenerMode } from "./listener.js";
import type { AlarmStateValue } from "./services/cloudwatch-alarms.js";
import { REPLICA_STATUSES, type ReplicaStatus } from "./services/dynamodb.js";
import { KEY_STATES, type KeyState } from "./services/kms.js";
import type { ReplicationStatus } from "./services/secrets.js";

/**
 * Game-day faults, as data: the admin API receives them as JSON from another process,
 * the Emulator object applies them directly.
 */
export type FaultRequest =
  | { kind: "regionDown"; region: string; down: boolean }
  | { kind: "arcEndpoint"; index: number; mode: ListenerMode; delayMs?: number }
  | { kind: "throttle"; service: string; rps?: number; operation?: string }
  | { kind: "removeSecret"; region: string; name: string }
  | { kind: "alarmState"; region: string; alarmName: string; state?: AlarmStateValue }
  | { kind: "capacityShortage"; region: string; on: boolean }
  // Data plane: what is left out goes back to normal (ACTIVE and usual latency, Enabled, InSync).
  | {
      kind: "globalTableReplica";
      table: string;
      region: string;
      status?: ReplicaStatus;
      replicationLatencyMs?: number;
    }
  | { kind: "kmsKeyState"; region: string; keyId: string; state?: KeyState }
  | { kind: "secretReplication"; region: string; name: string; status?: ReplicationStatus; message?: string }
  // S3: replication from the bucket stops (on) or flows again, draining its backlog (off).
  | { kind: "replicationStall"; bucket: string; on: boolean }
  // IAM: an explicit Deny of the action (or pattern) for one principal (default: all), or lifted (on: false; any principal).
  | { kind: "iamDeny"; action: string; principal?: string; on: boolean };

const MODES: readonly string[] = ["up", "down", "blackhole", "slow"];
const STATES: readonly string[] = ["OK", "ALARM", "INSUFFICIENT_DATA"];
const optional = (v: unknown, allowed: readonly string[]) => v === undefined || allowed.includes(v as string);

/** Checks untrusted JSON; returns the fault or a message saying what is wrong. */
export function parseFault(value: unknown): FaultRequest | string {
  if (typeof value !== "object" || value === null) return "fault must be a JSON object";
  const f = value as Record<string, unknown>;
  const str = (k: string) => typeof f[k] === "string";
  switch (f.kind) {
    case "regionDown":
      return str("region") && typeof f.down === "boolean"
        ? (f as FaultRequest)
        : "regionDown needs region and down";
    case "arcEndpoint":
      return typeof f.index === "number" && MODES.includes(f.mode as string)
        ? (f as FaultRequest)
        : "arcEndpoint needs index and mode (up|down|blackhole|slow)";
    case "throttle":
      return str("service") && (f.rps === undefined || typeof f.rps === "number")
        ? (f as FaultRequest)
        : "throttle needs service and optional rps";
    case "removeSecret":
      return str("region") && str("name") ? (f as FaultRequest) : "removeSecret needs region and name";
    case "alarmState":
      return str("region") &&
        str("alarmName") &&
        (f.state === undefined || STATES.includes(f.state as string))
        ? (f as FaultRequest)
        : "alarmState needs region, alarmName and optional state";
    case "capacityShortage":
      return str("region") && typeof f.on === "boolean"
        ? (f as FaultRequest)
        : "capacityShortage needs region and on";
    case "globalTableReplica":
      return str("table") &&
        str("region") &&
        optional(f.status, REPLICA_STATUSES) &&
        (f.replicationLatencyMs === undefined || typeof f.replicationLatencyMs === "number")
        ? (f as FaultRequest)
        : `globalTableReplica needs table, region, optional status (${REPLICA_STATUSES.join("|")}) and replicationLatencyMs`;
    case "kmsKeyState":
      return str("region") && str("keyId") && optional(f.state, KEY_STATES)
        ? (f as FaultRequest)
        : `kmsKeyState needs region, keyId and optional state (${KEY_STATES.join("|")})`;
    case "secretReplication":
      return str("region") &&
        str("name") &&
        optional(f.status, ["InSync", "Failed", "InProgress"]) &&
        (f.message === undefined || str("message"))
        ? (f as FaultRequest)
        : "secretReplication needs region, name, optional status (InSync|Failed|InProgress) and message";
    case "replicationStall":
      return str("bucket") && typeof f.on === "boolean"
        ? (f as FaultRequest)
        : "replicationStall needs bucket and on";
    case "iamDeny":
      return str("action") && typeof f.on === "boolean" && (f.principal === undefined || str("principal"))
        ? (f as FaultRequest)
        : "iamDeny needs action, on and optional principal";
    default:
      return `unknown fault kind ${String(f.kind)}`;
  }
}
