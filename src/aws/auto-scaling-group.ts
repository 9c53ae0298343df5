import type { AutoScalingClient } from "@aws-sdk/client-auto-scaling";
import { fatal, retryable } from "../executor.js";

/**
 * Reading an EC2 Auto Scaling group for the executors: its sizes, its instances' lifecycle
 * and health, and the scaling activities that failed, with Auto Scaling's errors turned
 * into ones an operator can act on.
 */

export interface GroupTarget {
  region: string;
  group: string;
}

export interface GroupView {
  minSize: number;
  maxSize: number;
  desiredCapacity: number;
  /** Instances InService and Healthy: the ones serving. */
  ready: string[];
  pending: number;
  /** Any other lifecycle state (Terminating, Pending:Wait, Standby, …) or an Unhealthy instance. */
  other: number;
}

const where = (t: GroupTarget) => `${t.group} in ${t.region}`;

/**
 * Auto Scaling answers every bad request (unknown group, sizes out of bounds) with
 * ValidationError: fatal, with its message. ResourceContention ("a pending update") passes.
 * Anything else (Throttling, 5xx, network) is left for `classifyError`: retryable.
 */
export function autoScalingError(err: unknown, t: GroupTarget): unknown {
  const e = err as { name?: string; message?: string };
  if (e?.name === "ValidationError")
    return fatal(`Auto Scaling refused the request for ${where(t)}: ${e.message}`, err);
  if (e?.name === "ResourceContentionFault")
    return retryable(`Auto Scaling group ${where(t)} is busy: ${e.message}`, err);
  return err;
}

export async function describeGroup(
  asg: AutoScalingClient,
  t: GroupTarget,
  signal: AbortSignal,
): Promise<GroupView> {
  const { DescribeAutoScalingGroupsCommand } = await import("@aws-sdk/client-auto-scaling");
  const out = await asg
    .send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [t.group] }), { abortSignal: signal })
    .catch((err: unknown) => {
      throw autoScalingError(err, t);
    });
  const g = out.AutoScalingGroups?.find(
    (x) => x.AutoScalingGroupName === t.group || x.AutoScalingGroupARN === t.group,
  );
  if (!g) throw fatal(`Auto Scaling group ${where(t)} not found`);
  const instances = g.Instances ?? [];
  const ready = instances.filter((i) => i.LifecycleState === "InService" && i.HealthStatus === "Healthy");
  const pending = instances.filter((i) => i.LifecycleState?.startsWith("Pending")).length;
  return {
    minSize: g.MinSize ?? 0,
    maxSize: g.MaxSize ?? 0,
    desiredCapacity: g.DesiredCapacity ?? 0,
    ready: ready.map((i) => i.InstanceId ?? ""),
    pending,
    other: instances.length - ready.length - pending,
  };
}

/** The newest scaling activity that Failed since `since` (a launch that could not happen), if any. */
export async function failedActivitySince(
  asg: AutoScalingClient,
  t: GroupTarget,
  since: Date,
  signal: AbortSignal,
): Promise<{ description: string; statusMessage: string } | undefined> {
  const { DescribeScalingActivitiesCommand } = await import("@aws-sdk/client-auto-scaling");
  const out = await asg
    .send(new DescribeScalingActivitiesCommand({ AutoScalingGroupName: t.group, MaxRecords: 20 }), {
      abortSignal: signal,
    })
    .catch((err: unknown) => {
      throw autoScalingError(err, t);
    });
  const failed = (out.Activities ?? []).find(
    (a) => a.StatusCode === "Failed" && (a.StartTime === undefined || a.StartTime >= since),
  );
  if (!failed) return undefined;
  return {
    description: failed.Description ?? "",
    statusMessage: failed.StatusMessage ?? failed.Description ?? "the activity failed with no message",
  };
}

/** "case-workers-us-west-2 2/6 InService, 4 pending". */
export function describeGroupProgress(group: string, v: GroupView, desired: number): string {
  const other = v.other ? `, ${v.other} other (terminating or unhealthy)` : "";
  return `${group} ${v.ready.length}/${desired} InService, ${v.pending} pending${other}`;
}
