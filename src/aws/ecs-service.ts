import type { ECSClient } from "@aws-sdk/client-ecs";
import { fatal } from "../executor.js";

/**
 * Reading an ECS service for the executors: its counts, its PRIMARY deployment and its
 * events, with ECS's errors turned into ones an operator can act on.
 */

export interface EcsServiceTarget {
  region: string;
  cluster: string;
  service: string;
}

export interface EcsServiceView {
  desiredCount: number;
  runningCount: number;
  pendingCount: number;
  primary:
    | { id: string; rolloutState?: string; rolloutStateReason?: string; taskDefinition?: string }
    | undefined;
  deployments: number;
  /** Newest first, as ECS lists them. */
  events: { at: Date | undefined; message: string }[];
}

const where = (t: EcsServiceTarget) => `${t.cluster}/${t.service} in ${t.region}`;

/**
 * A missing cluster or service and a refused parameter are fatal, named; anything else
 * (throttling, ServerException and other 5xx, network errors) is left for `classifyError`,
 * which calls them retryable.
 */
export function ecsError(err: unknown, t: EcsServiceTarget): unknown {
  const e = err as { name?: string; message?: string };
  switch (e?.name) {
    case "ClusterNotFoundException":
      return fatal(`ECS cluster ${t.cluster} not found in ${t.region}: ${e.message}`, err);
    case "ServiceNotFoundException":
    case "ServiceNotActiveException":
      return fatal(`ECS service ${where(t)}: ${e.message}`, err);
    case "InvalidParameterException":
    case "ClientException":
      return fatal(`ECS refused the request for ${where(t)}: ${e.message}`, err);
    default:
      return err;
  }
}

export async function describeEcsService(
  ecs: ECSClient,
  t: EcsServiceTarget,
  signal: AbortSignal,
): Promise<EcsServiceView> {
  const { DescribeServicesCommand } = await import("@aws-sdk/client-ecs");
  const out = await ecs
    .send(new DescribeServicesCommand({ cluster: t.cluster, services: [t.service] }), { abortSignal: signal })
    .catch((err: unknown) => {
      throw ecsError(err, t);
    });
  const s = out.services?.[0];
  if (!s) {
    const reason = out.failures?.[0]?.reason;
    throw fatal(`ECS service ${where(t)} not found${reason ? ` (${reason})` : ""}`);
  }
  if (s.status !== "ACTIVE") throw fatal(`ECS service ${where(t)} is ${s.status}, not ACTIVE`);
  const primary = s.deployments?.find((d) => d.status === "PRIMARY");
  return {
    desiredCount: s.desiredCount ?? 0,
    runningCount: s.runningCount ?? 0,
    pendingCount: s.pendingCount ?? 0,
    primary: primary
      ? {
          id: primary.id ?? "",
          ...(primary.rolloutState ? { rolloutState: primary.rolloutState } : {}),
          ...(primary.rolloutStateReason ? { rolloutStateReason: primary.rolloutStateReason } : {}),
          ...(primary.taskDefinition ? { taskDefinition: primary.taskDefinition } : {}),
        }
      : undefined,
    deployments: s.deployments?.length ?? 0,
    events: (s.events ?? []).map((e) => ({ at: e.createdAt, message: e.message ?? "" })),
  };
}

/**
 * The end state: `desired` tasks running, none pending, one deployment and it COMPLETED.
 * ECS reports no rolloutState for services behind a Classic Load Balancer or deployed by
 * CodeDeploy; for those the counts alone decide.
 */
export function hasReached(v: EcsServiceView, desired: number): boolean {
  return (
    v.desiredCount === desired &&
    v.runningCount === desired &&
    v.pendingCount === 0 &&
    v.deployments === 1 &&
    (v.primary?.rolloutState ?? "COMPLETED") === "COMPLETED"
  );
}

/** Why tasks do not start, in ECS's words: the newest "unable to place a task" event since `since`. */
export function placementFailure(v: EcsServiceView, since: Date): string | undefined {
  return v.events.find((e) => /unable to place a task/.test(e.message) && (!e.at || e.at >= since))?.message;
}

/** "case-api 3/6 running, 3 pending", and the deployment's state while it is not COMPLETED. */
export function describeProgress(service: string, v: EcsServiceView, desired: number): string {
  const rollout =
    v.primary?.rolloutState && v.primary.rolloutState !== "COMPLETED"
      ? `, deployment ${v.primary.rolloutState}`
      : "";
  const old = v.deployments > 1 ? `, ${v.deployments - 1} older deployment(s) draining` : "";
  return `${service} ${v.runningCount}/${desired} running, ${v.pendingCount} pending${rollout}${old}`;
}
