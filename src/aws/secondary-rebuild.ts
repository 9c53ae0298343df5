import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { RDSClient } from "@aws-sdk/client-rds";
import type { ExecutorContext } from "../executor.js";
import { pollStep } from "./poll-step.js";
import {
  type ClusterSettings,
  type ClusterView,
  describeCluster,
  describeSecondary,
  finalSnapshotName,
  type GlobalSecondaryView,
} from "./secondary-cluster.js";

/**
 * The steps of rebuilding an Aurora global database's secondary (rds.rebuild-secondary), each
 * called only when AWS does not show its effect yet, and what a resume needs to finish the
 * same way: the names chosen and what was done, kept in the step's scratch folder.
 */

/** Tag of a cluster a rebuild created: its value is the execution that created it. */
export const REBUILD_TAG = "runbook:rebuild-secondary";

export interface RebuildTarget {
  globalClusterIdentifier: string;
  region: string;
  dbClusterIdentifier: string;
  dbInstanceIdentifier?: string;
  dbInstanceClass?: string;
  finalSnapshotIdentifier?: string;
  dbSubnetGroupName?: string;
  vpcSecurityGroupIds?: string[];
  kmsKeyId?: string;
  dbClusterParameterGroupName?: string;
}

/** What the step did so far and chose (names and outputs only: decisions come from AWS). */
export interface Progress {
  finalSnapshot?: string;
  settings?: ClusterSettings;
  removed?: boolean;
  deletedInstances?: string[];
  deleted?: boolean;
  created?: boolean;
  createdInstance?: string;
}

const progressFile = (ctx: ExecutorContext) => join(ctx.scratchDir, "rds-rebuild-secondary.json");

export async function readProgress(ctx: ExecutorContext): Promise<Progress> {
  try {
    return JSON.parse(await readFile(progressFile(ctx), "utf8")) as Progress;
  } catch {
    return {};
  }
}

async function saveProgress(ctx: ExecutorContext, progress: Progress): Promise<void> {
  await mkdir(ctx.scratchDir, { recursive: true });
  const tmp = `${progressFile(ctx)}.tmp`;
  await writeFile(tmp, JSON.stringify(progress));
  await rename(tmp, progressFile(ctx));
}

/**
 * The cluster a rebuild created, never to be deleted again: tagged by this execution, or
 * by another one still creating it. Anything else under that name is the diverged one.
 */
export const isRebuilt = (c: ClusterView, executionId: string) =>
  c.globalClusterIdentifier !== undefined &&
  REBUILD_TAG in c.tags &&
  (c.tags[REBUILD_TAG] === executionId || c.status !== "available");

/** Detach, delete the instances, delete the cluster with a final snapshot: each unless done. */
export async function removeDiverged(
  rds: RDSClient,
  p: RebuildTarget,
  ctx: ExecutorContext,
  found: ClusterView,
  progress: Progress,
): Promise<void> {
  const sdk = await import("@aws-sdk/client-rds");
  const opts = { abortSignal: ctx.signal };
  // Chosen before the first side effect, so a resume uses the same name and settings.
  progress.settings ??= found.settings;
  progress.finalSnapshot ??= p.finalSnapshotIdentifier ?? finalSnapshotName(p.dbClusterIdentifier, ctx.now());
  await saveProgress(ctx, progress);
  let cluster = found;
  if (cluster.globalClusterIdentifier !== undefined) {
    await rds.send(
      new sdk.RemoveFromGlobalClusterCommand({
        GlobalClusterIdentifier: p.globalClusterIdentifier,
        DbClusterIdentifier: cluster.arn,
      }),
      opts,
    );
    progress.removed = true;
    await saveProgress(ctx, progress);
    ctx.logger.info({ cluster: cluster.arn }, "removed from the global cluster");
  }
  if (cluster.status !== "deleting") {
    cluster = await waitCluster(rds, p, ctx, "to be detached", (c) =>
      c.globalClusterIdentifier === undefined && c.status === "available" ? c : undefined,
    );
    for (const instance of cluster.instances.filter((i) => i.status !== "deleting")) {
      await rds.send(new sdk.DeleteDBInstanceCommand({ DBInstanceIdentifier: instance.id }), opts);
      progress.deletedInstances = [...(progress.deletedInstances ?? []), instance.id];
      await saveProgress(ctx, progress);
    }
    // Deleting the cluster needs its instances gone (or going); waiting for gone holds everywhere.
    cluster = await waitCluster(rds, p, ctx, "to have no instances", (c) =>
      c.instances.length === 0 ? c : undefined,
    );
    await rds.send(
      new sdk.DeleteDBClusterCommand({
        DBClusterIdentifier: p.dbClusterIdentifier,
        FinalDBSnapshotIdentifier: progress.finalSnapshot,
      }),
      opts,
    );
    progress.deleted = true;
    await saveProgress(ctx, progress);
    ctx.logger.info({ snapshot: progress.finalSnapshot }, "DeleteDBCluster accepted, final snapshot kept");
  }
  await pollStep(ctx, async () => {
    const c = await describeCluster(rds, p.dbClusterIdentifier, ctx.signal);
    if (!c) return { state: "SUCCESS", value: undefined };
    return { state: "RETRY", detail: `waiting for ${p.dbClusterIdentifier} to be deleted: ${c.status}` };
  });
}

/** Polls the cluster until `ready` says so; a cluster gone meanwhile cannot come back. */
function waitCluster(
  rds: RDSClient,
  p: RebuildTarget,
  ctx: ExecutorContext,
  what: string,
  ready: (c: ClusterView) => ClusterView | undefined,
): Promise<ClusterView> {
  return pollStep(ctx, async () => {
    const c = await describeCluster(rds, p.dbClusterIdentifier, ctx.signal);
    if (!c)
      return {
        state: "FAILURE",
        reason: `${p.dbClusterIdentifier} disappeared while waiting for it ${what}`,
      };
    const done = ready(c);
    if (done) return { state: "SUCCESS", value: done };
    return { state: "RETRY", detail: `waiting for ${p.dbClusterIdentifier} ${what}: ${c.status}` };
  });
}

export async function createCluster(
  rds: RDSClient,
  p: RebuildTarget,
  ctx: ExecutorContext,
  view: GlobalSecondaryView,
  progress: Progress,
): Promise<void> {
  const { CreateDBClusterCommand } = await import("@aws-sdk/client-rds");
  const kept = progress.settings ?? {};
  const securityGroups = p.vpcSecurityGroupIds ?? kept.vpcSecurityGroupIds;
  const subnetGroup = p.dbSubnetGroupName ?? kept.dbSubnetGroupName;
  const kmsKeyId = p.kmsKeyId ?? kept.kmsKeyId;
  const parameterGroup = p.dbClusterParameterGroupName ?? kept.dbClusterParameterGroupName;
  await rds.send(
    new CreateDBClusterCommand({
      DBClusterIdentifier: p.dbClusterIdentifier,
      GlobalClusterIdentifier: p.globalClusterIdentifier,
      Engine: view.engine,
      EngineVersion: view.engineVersion,
      ...(subnetGroup ? { DBSubnetGroupName: subnetGroup } : {}),
      ...(securityGroups ? { VpcSecurityGroupIds: securityGroups } : {}),
      ...(kmsKeyId ? { KmsKeyId: kmsKeyId } : {}),
      ...(parameterGroup ? { DBClusterParameterGroupName: parameterGroup } : {}),
      // How a resume tells the cluster it created from the diverged one it deleted.
      Tags: [{ Key: REBUILD_TAG, Value: ctx.executionId }],
    }),
    { abortSignal: ctx.signal },
  );
  progress.created = true;
  await saveProgress(ctx, progress);
  ctx.logger.info({ cluster: p.dbClusterIdentifier }, "CreateDBCluster accepted into the global cluster");
}

export async function createInstance(
  rds: RDSClient,
  p: RebuildTarget,
  ctx: ExecutorContext,
  view: GlobalSecondaryView,
  progress: Progress,
): Promise<void> {
  const { CreateDBInstanceCommand } = await import("@aws-sdk/client-rds");
  const id = p.dbInstanceIdentifier ?? `${p.dbClusterIdentifier}-instance-1`;
  await rds.send(
    new CreateDBInstanceCommand({
      DBInstanceIdentifier: id,
      DBClusterIdentifier: p.dbClusterIdentifier,
      Engine: view.engine,
      DBInstanceClass: p.dbInstanceClass ?? progress.settings?.dbInstanceClass ?? "db.r6g.large",
    }),
    { abortSignal: ctx.signal },
  );
  progress.createdInstance = id;
  await saveProgress(ctx, progress);
}

/** Until Aurora says the member is connected and the cluster and its instances are available. */
export async function waitConnected(rds: RDSClient, p: RebuildTarget, ctx: ExecutorContext) {
  return pollStep(ctx, async () => {
    const view = await describeSecondary(rds, p.globalClusterIdentifier, p.region, ctx.signal);
    const cluster = await describeCluster(rds, p.dbClusterIdentifier, ctx.signal);
    if (!cluster)
      return { state: "FAILURE", reason: `${p.dbClusterIdentifier} disappeared while being created` };
    const ready =
      view.member?.synchronization === "connected" &&
      cluster.status === "available" &&
      cluster.instances.length > 0 &&
      cluster.instances.every((i) => i.status === "available");
    if (ready) return { state: "SUCCESS", value: { arn: cluster.arn, at: ctx.now() } };
    const instances = cluster.instances.map((i) => `${i.id} ${i.status}`).join(", ") || "no instance";
    return {
      state: "RETRY",
      detail: `waiting for ${p.dbClusterIdentifier} to be a connected secondary: ${view.member?.synchronization ?? "not a member"}, cluster ${cluster.status}, ${instances}`,
    };
  });
}
