import type { Emulator } from "./emulator.js";

/** A JSON-serialisable copy of the emulator's state (Maps flattened, handlers and promises left out). */
export function snapshotOf(
  e: Emulator,
  throttles: Record<string, number>,
  lastSourceError: string | undefined,
) {
  const s = e.state;
  return {
    accountId: e.accountId,
    regions: e.regions,
    url: e.url,
    arcEndpoints: e.arcClusterEndpoints,
    warnings: e.warnings,
    downRegions: [...s.downRegions],
    throttles,
    arc: {
      routingControls: [...s.arc.controls.values()],
      safetyRules: s.arc.rules,
    },
    globalCluster: s.globalCluster,
    backendMembers: e.backend.members(),
    alarms: [...s.cloudwatch.alarms.values()],
    metrics: s.cloudwatch.store.summary(),
    secrets: [...s.secrets.values()].map(({ value: _value, ...rest }) => rest),
    stateMachines: [...s.sfn.machines.values()].map((m) => ({
      arn: m.arn,
      name: m.name,
      region: m.region,
      roleArn: m.roleArn,
      createdAt: m.createdAt,
      updatedAt: m.updatedAt,
    })),
    executions: [...s.sfn.executions.values()].map(({ done: _done, stop: _stop, history, ...rest }) => ({
      ...rest,
      events: history.events.length,
    })),
    taskHandlers: [...s.sfn.handlers.keys()],
    compute: { ...e.compute.summary(), capacityShortage: e.compute.regionsShort },
    dataPlane: e.dataPlane.status(),
    s3: e.s3.status(),
    lambda: e.lambda.status(),
    iam: e.iam.view(),
    lastMetricSourceError: lastSourceError,
  };
}
