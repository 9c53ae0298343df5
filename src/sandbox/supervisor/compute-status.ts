import type { Emulator, EmulatorTopology } from "../emulator/index.js";
import type { SandboxEndpoints } from "../endpoints.js";
import type { SandboxStatus } from "./status.js";

/** The sandbox's compute (case-api's ECS service, the workers' Auto Scaling group) in endpoints.json, status and their views. */

export function computeEndpoints(
  topology: EmulatorTopology,
): Pick<SandboxEndpoints, "ecs" | "autoScalingGroups"> {
  // The same cluster and service names in every region, as a multi-region deployment names them.
  const service = topology.ecs?.services[0];
  return {
    ...(service ? { ecs: { cluster: service.cluster, service: service.service } } : {}),
    autoScalingGroups: Object.fromEntries(
      (topology.autoScaling?.groups ?? []).map((g) => [g.region, g.name]),
    ),
  };
}

export function computeStatus(emulator: Emulator): Pick<SandboxStatus, "ecs" | "autoScaling"> {
  const { ecs, autoScaling } = emulator.compute.summary();
  return {
    ecs: Object.fromEntries(ecs.map(({ region, ...rest }) => [region, rest] as const)),
    autoScaling: Object.fromEntries(autoScaling.map(({ region, ...rest }) => [region, rest] as const)),
  };
}

/** `sandbox up`'s lines for them. */
export function computeEndpointRows(e: SandboxEndpoints): [string, string][] {
  return [
    ...(e.ecs
      ? ([["ECS", `cluster ${e.ecs.cluster}, service ${e.ecs.service} in each region`]] as [string, string][])
      : []),
    ...(e.autoScalingGroups && Object.keys(e.autoScalingGroups).length > 0
      ? ([["Auto Scaling", Object.values(e.autoScalingGroups).join(", ")]] as [string, string][])
      : []),
  ];
}

/** `sandbox status`'s lines for them: running/desired tasks and InService/desired instances per region. */
export function computeStatusRows(s: SandboxStatus): [string, string][] {
  const tasks = s.regions.map((r) => {
    const e = s.ecs?.[r];
    if (!e) return `${r} ?`;
    const extra = [
      e.pending ? `${e.pending} pending` : "",
      e.rolloutState !== "COMPLETED" ? e.rolloutState : "",
    ];
    const detail = extra.filter(Boolean).join(", ");
    return `${r} ${e.running}/${e.desired} running${detail ? ` (${detail})` : ""}`;
  });
  const instances = s.regions.map((r) => {
    const g = s.autoScaling?.[r];
    if (!g) return `${r} ?`;
    return `${r} ${g.inService}/${g.desired} InService${g.pending ? ` (${g.pending} pending)` : ""}`;
  });
  const service = Object.values(s.ecs ?? {})[0]?.service ?? "ECS";
  return [
    [`${service} tasks`, tasks.join(", ")],
    ["workers", instances.join(", ")],
  ];
}
