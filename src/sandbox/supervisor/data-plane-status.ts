import type { Emulator, EmulatorTopology } from "../emulator/index.js";
import type { SandboxEndpoints } from "../endpoints.js";
import type { SandboxStatus } from "./status.js";

/**
 * The sandbox's data plane and one-region jobs (the DynamoDB global table, the KMS
 * multi-Region key, secret replication, EventBridge rules) in endpoints.json, status and
 * their views: what a failover's pre-checks read, and where the nightly job runs.
 */

export function dataPlaneEndpoints(
  topology: EmulatorTopology,
): Pick<SandboxEndpoints, "dynamodbTable" | "kmsAlias" | "eventRules"> {
  const table = topology.globalTables?.[0]?.tableName;
  const alias = topology.kmsKeys?.[0]?.alias;
  return {
    ...(table ? { dynamodbTable: table } : {}),
    ...(alias ? { kmsAlias: alias } : {}),
    eventRules: [...new Set((topology.eventRules ?? []).map((r) => r.name))],
  };
}

export function dataPlaneStatus(emulator: Emulator): Pick<SandboxStatus, "dataPlane"> {
  return { dataPlane: emulator.dataPlane.status() };
}

type Row = [string, string];

/** `sandbox up`'s lines for them. */
export function dataPlaneEndpointRows(e: SandboxEndpoints): Row[] {
  return [
    ...(e.dynamodbTable
      ? [["DynamoDB", `global table ${e.dynamodbTable} (a replica in each region)`] as Row]
      : []),
    ...(e.kmsAlias
      ? [
          [
            "KMS",
            `multi-Region key ${e.kmsAlias} (primary in ${e.regions[0]}, replica in ${e.regions[1]})`,
          ] as Row,
        ]
      : []),
    ...(e.eventRules?.length
      ? [["event rules", `${e.eventRules.join(", ")} (enabled in ${e.regions[0]} only)`] as Row]
      : []),
  ];
}

/** `sandbox status`'s lines: replica states, key states, secret replication, where each job runs. */
export function dataPlaneStatusRows(s: SandboxStatus): Row[] {
  const d = s.dataPlane;
  if (!d) return [];
  const perRegion = <T>(byRegion: Record<string, T>, show: (v: T) => string) =>
    Object.entries(byRegion)
      .map(([region, v]) => `${region} ${show(v)}`)
      .join(", ");
  const tables = Object.entries(d.globalTables).map(
    ([name, replicas]) =>
      `${name}: ${perRegion(replicas, (r) => `${r.replicaStatus} (writes arrive in ~${r.replicationLatencyMs} ms)`)}`,
  );
  const keys = Object.entries(d.kmsKeys).map(
    ([alias, byRegion]) => `${alias}: ${perRegion(byRegion, (k) => `${k.multiRegionKeyType} ${k.keyState}`)}`,
  );
  const secrets = Object.entries(d.secretReplication).map(
    ([name, r]) =>
      `${name}: ${r.primaryRegion} → ${perRegion(r.replicas, (x) => (x.status === "InSync" ? x.status : `${x.status} (${x.statusMessage})`))}`,
  );
  const rules = Object.entries(d.eventRules).map(([name, byRegion]) => {
    const enabled = Object.keys(byRegion).filter((r) => byRegion[r] !== "DISABLED");
    return `${name} enabled in ${enabled.length ? enabled.join(", ") : "no region"}`;
  });
  return [
    ...(tables.length ? [["global tables", tables.join("; ")] as Row] : []),
    ...(keys.length ? [["KMS keys", keys.join("; ")] as Row] : []),
    ...(secrets.length ? [["secret replication", secrets.join("; ")] as Row] : []),
    ...(rules.length ? [["event rules", rules.join("; ")] as Row] : []),
  ];
}
