import type { RDSClient } from "@aws-sdk/client-rds";
import { type CheckResult, type ExecutorContext, fatal, type Outputs } from "../executor.js";
import { poll } from "./poll.js";

/**
 * What the RDS executors share: reading an Aurora global cluster's members, and waiting
 * until the target cluster is the writer with the global cluster `available`.
 */

export interface GlobalView {
  status: string;
  writerArn?: string;
  members: { arn: string; isWriter: boolean }[];
  /** An operation in progress (FailoverState), e.g. failing-over towards a member. */
  failover?: { status?: string; toArn?: string };
}

export async function describeGlobal(rds: RDSClient, id: string, signal: AbortSignal): Promise<GlobalView> {
  const { DescribeGlobalClustersCommand } = await import("@aws-sdk/client-rds");
  const out = await rds.send(new DescribeGlobalClustersCommand({ GlobalClusterIdentifier: id }), {
    abortSignal: signal,
  });
  const g = out.GlobalClusters?.[0];
  if (!g) throw fatal(`global cluster ${id} not found`);
  const members = (g.GlobalClusterMembers ?? []).map((m) => ({
    arn: m.DBClusterArn ?? "",
    isWriter: Boolean(m.IsWriter),
  }));
  return {
    status: g.Status ?? "unknown",
    members,
    ...(members.find((m) => m.isWriter) ? { writerArn: members.find((m) => m.isWriter)!.arn } : {}),
    ...(g.FailoverState
      ? {
          failover: {
            ...(g.FailoverState.Status ? { status: g.FailoverState.Status } : {}),
            ...(g.FailoverState.ToDbClusterArn ? { toArn: g.FailoverState.ToDbClusterArn } : {}),
          },
        }
      : {}),
  };
}

/** The member the runbook means: an ARN as given, or the one whose ARN names the target region. */
export function resolveTarget(view: GlobalView, target: { clusterArn?: string; region: string }): string {
  if (target.clusterArn) {
    if (!view.members.some((m) => m.arn === target.clusterArn)) {
      throw fatal(
        `${target.clusterArn} is not a member of the global cluster (members: ${view.members.map((m) => m.arn).join(", ")})`,
      );
    }
    return target.clusterArn;
  }
  const inRegion = view.members.filter((m) => m.arn.split(":")[3] === target.region);
  if (inRegion.length !== 1) {
    throw fatal(
      `cannot tell which member of the global cluster is in ${target.region}: name it with targetClusterArn`,
    );
  }
  return inRegion[0]!.arn;
}

export const isDone = (v: GlobalView, targetArn: string) =>
  v.writerArn === targetArn && v.status === "available";

/** Wait until `targetArn` is the writer and the global cluster is available; return when that was seen. */
export async function waitForWriter(
  rds: RDSClient,
  id: string,
  targetArn: string,
  signal: AbortSignal,
  onProgress: (status: string) => void,
): Promise<Date> {
  return poll(
    async () => {
      const v = await describeGlobal(rds, id, signal);
      if (isDone(v, targetArn)) return { state: "SUCCESS", value: new Date() };
      return { state: "RETRY", detail: `${v.status}${v.failover?.status ? ` (${v.failover.status})` : ""}` };
    },
    // Start sub-second and cap at one second: completion is noticed within a second of AWS reporting it.
    { signal, minDelayMs: 200, maxDelayMs: 1000, onRetry: (d) => onProgress(d ?? "") },
  );
}

/** The writer endpoint of a cluster (DescribeDBClusters), for outputs and the next steps. */
export async function clusterEndpoint(
  rds: RDSClient,
  arn: string,
  signal: AbortSignal,
): Promise<string | undefined> {
  const { DescribeDBClustersCommand } = await import("@aws-sdk/client-rds");
  const out = await rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: arn }), {
    abortSignal: signal,
  });
  const c = out.DBClusters?.[0];
  return c?.Endpoint ? `${c.Endpoint}${c.Port ? `:${c.Port}` : ""}` : undefined;
}

export interface WriterTarget {
  globalClusterIdentifier: string;
  targetRegion: string;
  targetClusterArn?: string;
}

async function locate(p: WriterTarget, ctx: ExecutorContext) {
  const rds = await ctx.aws.client("rds", p.targetRegion);
  const view = await describeGlobal(rds, p.globalClusterIdentifier, ctx.signal);
  const target = resolveTarget(view, {
    region: p.targetRegion,
    ...(p.targetClusterArn ? { clusterArn: p.targetClusterArn } : {}),
  });
  return { rds, view, target };
}

/** `check` of the global-cluster executors: is the target already the writer? */
export async function checkWriter(p: WriterTarget, ctx: ExecutorContext): Promise<CheckResult> {
  const { rds, view, target } = await locate(p, ctx);
  if (!isDone(view, target))
    return { inPlace: false, detail: `writer is ${view.writerArn ?? "none"}, status ${view.status}` };
  return {
    inPlace: true,
    detail: `${target} is already the writer`,
    outputs: { writerClusterArn: target, writerEndpoint: await clusterEndpoint(rds, target, ctx.signal) },
  };
}

/**
 * `run` of the global-cluster executors: start the operation unless one towards the same
 * target is under way (started before a crash) or done, then wait for the new writer.
 */
export async function moveWriter(
  p: WriterTarget,
  ctx: ExecutorContext,
  start: (rds: RDSClient, targetArn: string) => Promise<void>,
): Promise<Outputs> {
  const { rds, view, target } = await locate(p, ctx);
  const underWay = view.failover?.toArn === target && view.status !== "available";
  if (!underWay && !isDone(view, target)) await start(rds, target);
  const promotedAt = await waitForWriter(rds, p.globalClusterIdentifier, target, ctx.signal, (status) => {
    ctx.logger.info({ status }, "waiting for the new writer");
    ctx.progress(`waiting for ${target.split(":").at(-1)} to be the writer: global cluster ${status}`);
  });
  ctx.milestone("db_promoted", promotedAt);
  return {
    writerClusterArn: target,
    writerEndpoint: await clusterEndpoint(rds, target, ctx.signal),
    promotedAt: promotedAt.toISOString(),
    alreadyUnderWay: underWay,
  };
}
