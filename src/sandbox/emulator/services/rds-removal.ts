import { ApiError } from "../errors.js";
import type { ParamReader } from "../params.js";
import type { OperationHandler, RequestContext } from "../service.js";
import type { RdsOptions } from "./rds.js";
import {
  clusterNotFound,
  clusterState,
  combination,
  globalState,
  instanceNotFound,
  instanceState,
  requireIdentifier,
  snapshotNotFound,
} from "./rds-errors.js";
import { clusterIn, globalCluster, sandboxDatabase, sleep, viewsWith } from "./rds-lookup.js";
import { memberViews, snapshotArnOf } from "./rds-model.js";
import { renderDbCluster, renderDbInstance, renderGlobalCluster, renderSnapshot } from "./rds-render.js";

/**
 * The first half of rebuilding a diverged secondary as AWS does it by hand:
 * RemoveFromGlobalCluster (the cluster becomes standalone), DeleteDBInstance and DeleteDBCluster
 * (a final snapshot kept, listed by DescribeDBClusterSnapshots). None of them touches the data:
 * what the old primary lost can be read from it until CreateDBCluster (rds-creation.ts).
 */
export class RdsRemoval {
  static readonly mutating = ["RemoveFromGlobalCluster", "DeleteDBInstance", "DeleteDBCluster"];

  constructor(
    private readonly o: RdsOptions,
    private readonly track: (work: () => Promise<void>) => void,
  ) {}

  operations(): Record<string, OperationHandler> {
    return {
      RemoveFromGlobalCluster: (p, ctx) => this.removeFromGlobal(p, ctx),
      DeleteDBInstance: (p, ctx) => this.deleteInstance(p, ctx),
      DeleteDBCluster: (p, ctx) => this.deleteCluster(p, ctx),
      DescribeDBClusterSnapshots: (p, ctx) => this.describeSnapshots(p, ctx),
    };
  }

  private removeFromGlobal(p: ParamReader, ctx: RequestContext) {
    const model = globalCluster(this.o.model, p.string("GlobalClusterIdentifier"));
    const id = p.string("DbClusterIdentifier");
    // AWS names the cluster by ARN (any region); its identifier is accepted in its own region.
    const cluster = model.clusters.find(
      (c) => c.arn === id || (c.region === ctx.region && c.identifier === id),
    );
    if (!cluster) throw clusterNotFound(id);
    if (!cluster.globalMember) {
      throw globalState(
        `DB cluster ${cluster.identifier} is not a member of global cluster ${model.identifier}`,
      );
    }
    if (model.status !== "available") {
      throw globalState(`Global cluster ${model.identifier} is in state ${model.status}, not available`);
    }
    if (cluster.status !== "available") {
      throw clusterState(`DB cluster ${cluster.identifier} is in state ${cluster.status}, not available`);
    }
    const { views, view } = viewsWith(model, this.o.backend, cluster);
    const others = views.filter((v) => v.cluster.globalMember && v.cluster !== cluster);
    if (view?.role === "writer" && others.length > 0) {
      throw globalState(
        `DB cluster ${cluster.identifier} is the primary cluster of global cluster ${model.identifier}: ` +
          "remove its secondary clusters first",
      );
    }
    cluster.globalMember = false;
    return { GlobalCluster: renderGlobalCluster(model, memberViews(model, this.o.backend)) };
  }

  private deleteInstance(p: ParamReader, ctx: RequestContext) {
    const id = p.string("DBInstanceIdentifier");
    const model = sandboxDatabase(this.o.model);
    const cluster = model.clusters.find(
      (c) => c.region === ctx.region && c.instances.some((i) => i.identifier === id || i.arn === id),
    );
    const instance = cluster?.instances.find((i) => i.identifier === id || i.arn === id);
    if (!cluster || !instance) throw instanceNotFound(id);
    if (instance.status !== "available") {
      throw instanceState(`DB instance ${id} is in state ${instance.status}, not available`);
    }
    const { views, view } = viewsWith(model, this.o.backend, cluster);
    if (cluster.globalMember && view?.role === "writer") {
      throw clusterState(
        `DB instance ${id} belongs to the primary cluster of global cluster ${model.identifier}: ` +
          "remove the cluster from the global cluster first",
      );
    }
    instance.status = "deleting";
    this.track(async () => {
      await sleep(this.o.transitionMs);
      const at = cluster.instances.indexOf(instance);
      if (at >= 0) cluster.instances.splice(at, 1);
    });
    return { DBInstance: view && renderDbInstance(model, view, instance, views) };
  }

  private deleteCluster(p: ParamReader, ctx: RequestContext) {
    const model = sandboxDatabase(this.o.model);
    const cluster = clusterIn(this.o.model, p.string("DBClusterIdentifier"), ctx.region);
    const skip = p.boolean("SkipFinalSnapshot") ?? false;
    const finalSnapshot = p.optionalString("FinalDBSnapshotIdentifier");
    if (skip && finalSnapshot !== undefined) {
      throw combination("FinalDBSnapshotIdentifier can't be specified when SkipFinalSnapshot is enabled");
    }
    if (!skip && finalSnapshot === undefined) {
      throw combination("FinalDBSnapshotIdentifier is required unless SkipFinalSnapshot is specified");
    }
    if (finalSnapshot !== undefined) {
      requireIdentifier("FinalDBSnapshotIdentifier", finalSnapshot, 255);
      if (model.snapshots.some((s) => s.region === ctx.region && s.identifier === finalSnapshot)) {
        throw new ApiError(
          "DBClusterSnapshotAlreadyExistsFault",
          `Cannot create the cluster snapshot because one with the identifier ${finalSnapshot} already exists.`,
          400,
        );
      }
    }
    if (cluster.globalMember && model.mode === "global") {
      throw clusterState(
        `This cluster is a part of a global cluster, please remove it from globalcluster first: ${cluster.identifier}`,
      );
    }
    if (cluster.status !== "available") {
      throw clusterState(`DB cluster ${cluster.identifier} is in state ${cluster.status}, not available`);
    }
    if (cluster.instances.some((i) => i.status !== "deleting")) {
      throw clusterState("Cluster cannot be deleted, it still contains DB instances in non-deleting state.");
    }
    cluster.status = "deleting";
    const snapshot =
      finalSnapshot === undefined
        ? undefined
        : {
            identifier: finalSnapshot,
            arn: snapshotArnOf(this.o.accountId, ctx.region, finalSnapshot),
            region: ctx.region,
            clusterIdentifier: cluster.identifier,
            status: "creating",
            createdAt: new Date(),
          };
    if (snapshot) model.snapshots.push(snapshot);
    const { views, view } = viewsWith(model, this.o.backend, cluster);
    this.track(async () => {
      await sleep(this.o.transitionMs);
      if (snapshot) snapshot.status = "available";
      const at = model.clusters.indexOf(cluster);
      if (at >= 0) model.clusters.splice(at, 1);
    });
    return { DBCluster: view && renderDbCluster(model, view, views) };
  }

  private describeSnapshots(p: ParamReader, ctx: RequestContext) {
    const model = this.o.model;
    const id = p.optionalString("DBClusterSnapshotIdentifier");
    const ofCluster = p.optionalString("DBClusterIdentifier");
    const type = p.optionalString("SnapshotType");
    const selected = (model?.snapshots ?? []).filter(
      (s) =>
        s.region === ctx.region &&
        (id === undefined || s.identifier === id || s.arn === id) &&
        (ofCluster === undefined || s.clusterIdentifier === ofCluster) &&
        (type === undefined || type === "manual"),
    );
    if (id !== undefined && selected.length === 0) throw snapshotNotFound(id);
    return { DBClusterSnapshots: model ? selected.map((s) => renderSnapshot(model, s)) : [] };
  }
}
