import { effectiveSplit } from "../apps/weighted-spread.js";
import type { Emulator, EmulatorTopology } from "../emulator/index.js";
import type { SandboxEndpoints } from "../endpoints.js";
import type { SandboxStatus } from "./status.js";

/** The sandbox's Route 53 zone and weighted record in endpoints.json, status and their views. */

/** The first weighted record of the topology's first zone: the name the edge resolves. */
export function weightedRecordOf(topology: EmulatorTopology): SandboxEndpoints["route53"] {
  const zone = topology.route53?.hostedZones[0];
  const record = zone?.records.find((r) => r.setIdentifier !== undefined && r.weight !== undefined);
  if (!zone || !record) return undefined;
  return { hostedZoneId: zone.id, zoneName: zone.name, recordName: record.name };
}

export function dnsEndpoints(topology: EmulatorTopology): Pick<SandboxEndpoints, "route53"> {
  const route53 = weightedRecordOf(topology);
  return route53 ? { route53 } : {};
}

export function dnsStatus(
  emulator: Emulator,
  topology: EmulatorTopology,
  onRegions: readonly string[],
): Pick<SandboxStatus, "route53"> {
  const record = weightedRecordOf(topology);
  const configured = record ? emulator.route53.configured(record.recordName) : undefined;
  if (!record || !configured) return {};
  const answered = emulator.route53.weightedAnswer(record.recordName);
  const split = effectiveSplit(onRegions, answered);
  return {
    route53: {
      hostedZoneId: record.hostedZoneId,
      recordName: record.recordName,
      ttlSeconds: configured.ttlSeconds,
      weights: configured.weights,
      change: configured.change,
      edgeSplit: Object.fromEntries(
        Object.entries(split).map(([r, share]) => [r, Math.round(share * 1000) / 10]),
      ),
    },
  };
}

/** `sandbox up`'s line for it. */
export function dnsEndpointRows(e: SandboxEndpoints): [string, string][] {
  if (!e.route53) return [];
  return [
    [
      "Route 53",
      `zone ${e.route53.zoneName} (${e.route53.hostedZoneId}), weighted record ${e.route53.recordName} (set identifier = region)`,
    ],
  ];
}

/** `sandbox status`'s line: the weights, their TTL, and the split the edge gives among the On regions. */
export function dnsStatusRows(s: SandboxStatus): [string, string][] {
  const d = s.route53;
  if (!d) return [];
  const weights = Object.entries(d.weights)
    .map(([r, w]) => `${r} ${w}`)
    .join(" / ");
  const split = Object.entries(d.edgeSplit)
    .map(([r, pct]) => `${r} ${pct}%`)
    .join(", ");
  return [
    [
      "DNS weights",
      `${d.recordName} ${weights} (TTL ${d.ttlSeconds} s${d.change === "PENDING" ? ", change PENDING" : ""})  → edge splits clients ${split || "nowhere (no control On)"}`,
    ],
  ];
}
