import type { GlobalClusterBackend } from "../backend.js";
import { ApiError } from "../errors.js";
import type { ParamReader } from "../params.js";
import type { RequestContext, ServiceDefinition } from "../service.js";
import { RdsCreation } from "./rds-creation.js";
import { clusterNotFound, clusterState, globalState, instanceNotFound } from "./rds-errors.js";
import { rdsIamResources } from "./rds-iam.js";
import { clusterIn, globalCluster, sleep } from "./rds-lookup.js";
import {
  type DbClusterModel,
  type GlobalClusterModel,
  globalMembers,
  memberViews,
  RDS_MEMBER_NAMES,
} from "./rds-model.js";
import { RdsRemoval } from "./rds-removal.js";
import { renderDbCluster, renderDbInstance, renderGlobalCluster } from "./rds-render.js";

/**
 * RDS (AWS Query): describe the global database, fail it over, switch it over, promote a
 * read replica; rebuilding a secondary is in rds-removal.ts and rds-creation.ts.
 * State changes take `transitionMs` at least (AWS's intermediate statuses are observable)
 * and as long as the backend needs to really promote the standby.
 */
export interface RdsOptions {
  model: GlobalClusterModel | undefined;
  backend: GlobalClusterBackend;
  /** Minimum time a failover/switchover/promotion/creation/deletion stays in its intermediate status. */
  transitionMs: number;
  /** Switchover is refused while replication lags more than this. */
  switchoverMaxLagMs: number;
  /** Emulator-level region outages (the backend has its own view too). */
  isRegionDown: (region: string) => boolean;
  /** For the ARNs of identifiers the model does not hold (IAM authorises on them anyway). */
  accountId: string;
}

export class RdsService {
  /** Transitions in flight, so close() can wait for them instead of leaving promises dangling. */
  readonly pending = new Set<Promise<void>>();
  private readonly removal: RdsRemoval;
  private readonly creation: RdsCreation;

  constructor(private readonly o: RdsOptions) {
    this.removal = new RdsRemoval(o, (work) => this.track(work));
    this.creation = new RdsCreation(o, (work) => this.track(work));
  }

  definition(): ServiceDefinition {
    return {
      name: "rds",
      query: {
        version: "2014-10-31",
        xmlns: "http://rds.amazonaws.com/doc/2014-10-31/",
        members: RDS_MEMBER_NAMES,
      },
      errors: {
        missing: "MissingParameter",
        invalid: "InvalidParameterValue",
        unknownOperation: "InvalidAction",
        throttling: "Throttling",
      },
      iam: { resources: rdsIamResources(this.o.model, this.o.accountId) },
      mutating: new Set([
        "FailoverGlobalCluster",
        "SwitchoverGlobalCluster",
        "PromoteReadReplicaDBCluster",
        "PromoteReadReplica",
        ...RdsRemoval.mutating,
        ...RdsCreation.mutating,
      ]),
      operations: {
        DescribeGlobalClusters: (p) => this.describeGlobalClusters(p),
        DescribeDBClusters: (p, ctx) => this.describeDbClusters(p, ctx),
        DescribeDBInstances: (p, ctx) => this.describeDbInstances(p, ctx),
        FailoverGlobalCluster: (p) => this.failover(p),
        SwitchoverGlobalCluster: (p) => this.switchover(p),
        PromoteReadReplicaDBCluster: (p, ctx) => this.promoteCluster(p, ctx),
        PromoteReadReplica: (p, ctx) => this.promoteInstance(p, ctx),
        ...this.removal.operations(),
        ...this.creation.operations(),
      },
    };
  }

  private views(model: GlobalClusterModel) {
    return memberViews(model, this.o.backend);
  }

  private global(id: string): GlobalClusterModel {
    return globalCluster(this.o.model, id);
  }

  private describeGlobalClusters(p: ParamReader) {
    const id = p.optionalString("GlobalClusterIdentifier");
    const model = this.o.model;
    if (id !== undefined) this.global(id);
    if (model?.mode !== "global") return { GlobalClusters: [] };
    return { GlobalClusters: [renderGlobalCluster(model, this.views(model))] };
  }

  private describeDbClusters(p: ParamReader, ctx: RequestContext) {
    // An identifier that matches nothing is a fault; a filter that matches nothing is an empty list.
    const id = p.optionalString("DBClusterIdentifier");
    const filtered = filterValue(p, "db-cluster-id");
    const model = this.o.model;
    const views = model ? this.views(model) : [];
    const selected = views.filter(
      (v) =>
        v.cluster.region === ctx.region &&
        [id, filtered].every((x) => x === undefined || v.cluster.identifier === x || v.cluster.arn === x),
    );
    if (id !== undefined && selected.length === 0) throw clusterNotFound(id);
    return { DBClusters: model ? selected.map((v) => renderDbCluster(model, v, views)) : [] };
  }

  private describeDbInstances(p: ParamReader, ctx: RequestContext) {
    const id = p.optionalString("DBInstanceIdentifier");
    const filtered = filterValue(p, "db-instance-id");
    const ofCluster = filterValue(p, "db-cluster-id");
    const model = this.o.model;
    const views = model ? this.views(model) : [];
    const selected = views
      .filter(
        (v) =>
          v.cluster.region === ctx.region &&
          (ofCluster === undefined || v.cluster.identifier === ofCluster || v.cluster.arn === ofCluster),
      )
      .flatMap((v) => v.cluster.instances.map((instance) => ({ v, instance })))
      .filter(({ instance }) =>
        [id, filtered].every((x) => x === undefined || instance.identifier === x || instance.arn === x),
      );
    if (id !== undefined && selected.length === 0) throw instanceNotFound(id);
    return {
      DBInstances: model
        ? selected.map(({ v, instance }) => renderDbInstance(model, v, instance, views))
        : [],
    };
  }

  /** The target secondary (by ARN or identifier) and the current writer, checked for a role swap. */
  private swapTargets(model: GlobalClusterModel, target: string) {
    if (model.status !== "available") {
      throw globalState(`Global cluster ${model.identifier} is in state ${model.status}, not available`);
    }
    // A cluster removed from the global cluster is no longer one it can fail over to.
    const views = globalMembers(this.views(model));
    const to = views.find((v) => v.cluster.arn === target || v.cluster.identifier === target);
    if (!to) throw clusterNotFound(target);
    const from = views.find((v) => v.role === "writer");
    if (!from) throw globalState(`Global cluster ${model.identifier} has no writer`);
    if (to === from) throw clusterState(`DB cluster ${to.cluster.identifier} is already the primary cluster`);
    if (this.regionDown(to.cluster.region)) {
      throw clusterState(`DB cluster ${to.cluster.identifier} in ${to.cluster.region} is unavailable`);
    }
    return { from: from.cluster, to: to.cluster };
  }

  private regionDown(region: string): boolean {
    return this.o.isRegionDown(region) || this.o.backend.isRegionDown(region);
  }

  private async failover(p: ParamReader) {
    const model = this.global(p.string("GlobalClusterIdentifier"));
    const target = p.string("TargetDbClusterIdentifier");
    const allowDataLoss = p.boolean("AllowDataLoss") ?? false;
    const switchover = p.boolean("Switchover") ?? false;
    if (allowDataLoss && switchover) {
      throw new ApiError(
        "InvalidParameterCombination",
        "AllowDataLoss and Switchover can't be specified together",
        400,
      );
    }
    if (!allowDataLoss) return this.switchover(p, "FailoverGlobalCluster");
    const { from, to } = this.swapTargets(model, target);
    model.failover = { status: "failing-over", fromArn: from.arn, toArn: to.arn, allowDataLoss: true };
    this.transition(model, "failing-over", [from, to], () =>
      this.o.backend.promote(to.region, { allowDataLoss: true }),
    );
    return { GlobalCluster: renderGlobalCluster(model, this.views(model)) };
  }

  /** A planned swap (SwitchoverGlobalCluster, or FailoverGlobalCluster without AllowDataLoss). */
  private async switchover(p: ParamReader, operation = "SwitchoverGlobalCluster") {
    const model = this.global(p.string("GlobalClusterIdentifier"));
    const { from, to } = this.swapTargets(model, p.string("TargetDbClusterIdentifier"));
    if (this.regionDown(from.region)) {
      throw globalState(
        `${operation} without AllowDataLoss needs the primary cluster ${from.identifier} in ${from.region}, ` +
          "which is unavailable; use AllowDataLoss to fail over",
      );
    }
    const lag = await this.o.backend.replicationLagMs();
    if (lag === undefined || lag > this.o.switchoverMaxLagMs) {
      throw globalState(
        `Global cluster ${model.identifier} can't switch over: replication lag ` +
          `${lag === undefined ? "unknown" : `${Math.round(lag)} ms`} exceeds ${this.o.switchoverMaxLagMs} ms`,
      );
    }
    model.failover = { status: "failing-over", fromArn: from.arn, toArn: to.arn, allowDataLoss: false };
    this.transition(model, "switching-over", [from, to], () => this.o.backend.switchover(to.region));
    return { GlobalCluster: renderGlobalCluster(model, this.views(model)) };
  }

  private clusterHere(id: string, region: string): DbClusterModel {
    return clusterIn(this.o.model, id, region);
  }

  private async promoteCluster(p: ParamReader, ctx: RequestContext) {
    const model = this.o.model;
    const cluster = this.clusterHere(p.string("DBClusterIdentifier"), ctx.region);
    if (!model || cluster.replicationSourceArn === undefined) {
      throw clusterState(`DB cluster ${cluster.identifier} is not a read replica`);
    }
    if (cluster.status !== "available")
      throw clusterState(`DB cluster ${cluster.identifier} is ${cluster.status}`);
    this.promoteReplica(model, cluster, "promoting");
    const views = this.views(model);
    const view = views.find((v) => v.cluster === cluster);
    return { DBCluster: view && renderDbCluster(model, view, views) };
  }

  private async promoteInstance(p: ParamReader, ctx: RequestContext) {
    const id = p.string("DBInstanceIdentifier");
    const model = this.o.model;
    const cluster = model?.clusters.find(
      (c) => c.region === ctx.region && c.instances.some((i) => i.identifier === id || i.arn === id),
    );
    const instance = cluster?.instances.find((i) => i.identifier === id || i.arn === id);
    if (!model || !cluster || !instance) throw instanceNotFound(id);
    if (cluster.replicationSourceArn === undefined || instance.status !== "available") {
      throw new ApiError(
        "InvalidDBInstanceState",
        `DB instance ${id} is not a read replica that can be promoted`,
        400,
      );
    }
    this.promoteReplica(model, cluster, "modifying");
    const views = this.views(model);
    const view = views.find((v) => v.cluster === cluster);
    return { DBInstance: view && renderDbInstance(model, view, instance, views) };
  }

  /** Promoting a replica breaks replication for good: it becomes a standalone writer. */
  private promoteReplica(model: GlobalClusterModel, cluster: DbClusterModel, status: string): void {
    const setStatus = (to: string) => {
      cluster.status = to;
      for (const i of cluster.instances) i.status = to;
    };
    setStatus(status);
    this.track(async () => {
      try {
        await Promise.all([
          sleep(this.o.transitionMs),
          this.o.backend.promote(cluster.region, { allowDataLoss: true }),
        ]);
        cluster.replicationSourceArn = undefined;
        model.lastError = undefined;
      } catch (error) {
        model.lastError = String(error);
      } finally {
        setStatus("available");
      }
    });
  }

  private transition(
    model: GlobalClusterModel,
    status: string,
    clusters: DbClusterModel[],
    act: () => Promise<void>,
  ) {
    model.status = status;
    for (const c of clusters) c.status = status;
    this.track(async () => {
      try {
        await Promise.all([sleep(this.o.transitionMs), act()]);
        model.lastError = undefined;
      } catch (error) {
        model.lastError = String(error);
      } finally {
        model.status = "available";
        model.failover = undefined;
        for (const c of clusters) c.status = "available";
      }
    });
  }

  private track(work: () => Promise<void>): void {
    const p = work();
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  }
}

/** The first value of a Describe* filter (`Filters.Filter.1.Name=db-cluster-id`), if given. */
function filterValue(p: ParamReader, name: string): string | undefined {
  const filter = p.items("Filters").find((f) => f.optionalString("Name") === name);
  return filter?.stringList("Values")[0];
}
