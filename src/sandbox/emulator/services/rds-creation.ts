import { ApiError } from "../errors.js";
import type { ParamReader } from "../params.js";
import type { OperationHandler, RequestContext } from "../service.js";
import type { RdsOptions } from "./rds.js";
import { clusterState, combination, globalState, invalidValue, requireIdentifier } from "./rds-errors.js";
import { clusterIn, globalCluster, sandboxDatabase, sleep, viewsWith } from "./rds-lookup.js";
import {
  clusterArnOf,
  type DbClusterModel,
  type DbInstanceModel,
  DEFAULT_INSTANCE_CLASS,
  defaultSettings,
  instanceArnOf,
  memberViews,
} from "./rds-model.js";
import { renderDbCluster, renderDbInstance } from "./rds-render.js";

/**
 * The second half of rebuilding a secondary (after rds-removal.ts): CreateDBCluster into the
 * global cluster, which is when the backend re-makes that region's database as a replica of
 * the writer (Aurora fills a new secondary from the primary), and CreateDBInstance.
 */
export class RdsCreation {
  static readonly mutating = ["CreateDBCluster", "CreateDBInstance"];
  /** A cluster's creation under way, so an instance added meanwhile becomes available after it. */
  private readonly creations = new WeakMap<DbClusterModel, Promise<void>>();

  constructor(
    private readonly o: RdsOptions,
    private readonly track: (work: () => Promise<void>) => void,
  ) {}

  operations(): Record<string, OperationHandler> {
    return {
      CreateDBCluster: (p, ctx) => this.createCluster(p, ctx),
      CreateDBInstance: (p, ctx) => this.createInstance(p, ctx),
    };
  }

  private createCluster(p: ParamReader, ctx: RequestContext) {
    const id = p.string("DBClusterIdentifier");
    const engine = p.string("Engine");
    const globalId = p.optionalString("GlobalClusterIdentifier");
    requireIdentifier("DBClusterIdentifier", id, 63);
    if (globalId === undefined) {
      throw invalidValue(
        "The sandbox creates DB clusters only as secondaries of its global database: give GlobalClusterIdentifier",
      );
    }
    const model = globalCluster(this.o.model, globalId);
    if (model.clusters.some((c) => c.region === ctx.region && c.identifier === id)) {
      throw new ApiError("DBClusterAlreadyExistsFault", "DB Cluster already exists", 400);
    }
    const version = p.optionalString("EngineVersion") ?? model.engineVersion;
    if (engine !== model.engine || version !== model.engineVersion) {
      throw combination(
        `The engine ${engine} ${version} doesn't match global cluster ${model.identifier}'s ${model.engine} ${model.engineVersion}`,
      );
    }
    if (model.status !== "available") {
      throw globalState(`Global cluster ${model.identifier} is in state ${model.status}, not available`);
    }
    const views = memberViews(model, this.o.backend);
    const here = views.find((v) => v.cluster.globalMember && v.cluster.region === ctx.region);
    if (here) {
      throw globalState(
        `Global cluster ${model.identifier} already has a member in ${ctx.region}: ${here.cluster.identifier}`,
      );
    }
    const member = this.o.backend.members().find((m) => m.region === ctx.region);
    if (!member || member.role === "writer") {
      throw globalState(`The sandbox has no database in ${ctx.region} that can become a secondary`);
    }
    if (this.o.isRegionDown(ctx.region) || this.o.backend.isRegionDown(ctx.region)) {
      throw globalState(`The database in ${ctx.region} is unavailable`);
    }
    const defaults = defaultSettings(model.engine, model.engineVersion, ctx.region, this.o.accountId);
    const cluster: DbClusterModel = {
      identifier: id,
      arn: clusterArnOf(this.o.accountId, ctx.region, id),
      region: ctx.region,
      status: "creating",
      instances: [],
      replicationSourceArn: undefined,
      globalMember: true,
      tags: p.items("Tags").map((t) => ({ Key: t.string("Key"), Value: t.optionalString("Value") ?? "" })),
      createdAt: new Date(),
      settings: {
        subnetGroup: p.optionalString("DBSubnetGroupName") ?? defaults.subnetGroup,
        parameterGroup: p.optionalString("DBClusterParameterGroupName") ?? defaults.parameterGroup,
        securityGroupIds: p.has("VpcSecurityGroupIds")
          ? p.stringList("VpcSecurityGroupIds")
          : defaults.securityGroupIds,
        kmsKeyId: p.optionalString("KmsKeyId") ?? defaults.kmsKeyId,
      },
    };
    model.clusters.push(cluster);
    const creation = (async () => {
      try {
        // Aurora fills a new secondary from the writer: the backend re-makes the database here.
        await Promise.all([sleep(this.o.transitionMs), this.o.backend.rebuildSecondary(ctx.region)]);
        model.lastError = undefined;
      } catch (error) {
        // The cluster exists but does not replicate: DescribeGlobalClusters keeps saying pending-resync.
        model.lastError = String(error);
      } finally {
        cluster.status = "available";
      }
    })();
    this.creations.set(cluster, creation);
    this.track(() => creation);
    const rendered = viewsWith(model, this.o.backend, cluster);
    return { DBCluster: rendered.view && renderDbCluster(model, rendered.view, rendered.views) };
  }

  private createInstance(p: ParamReader, ctx: RequestContext) {
    const id = p.string("DBInstanceIdentifier");
    const instanceClass = p.optionalString("DBInstanceClass") ?? DEFAULT_INSTANCE_CLASS;
    const engine = p.string("Engine");
    requireIdentifier("DBInstanceIdentifier", id, 63);
    const model = sandboxDatabase(this.o.model);
    if (model.clusters.some((c) => c.region === ctx.region && c.instances.some((i) => i.identifier === id))) {
      throw new ApiError("DBInstanceAlreadyExists", "DB instance already exists", 400);
    }
    const clusterId = p.optionalString("DBClusterIdentifier");
    if (clusterId === undefined) {
      throw invalidValue("The sandbox creates DB instances only in a DB cluster: give DBClusterIdentifier");
    }
    const cluster = clusterIn(this.o.model, clusterId, ctx.region);
    if (engine !== model.engine) {
      throw combination(
        `The engine ${engine} doesn't match DB cluster ${cluster.identifier}'s ${model.engine}`,
      );
    }
    if (cluster.status !== "available" && cluster.status !== "creating") {
      throw clusterState(`DB cluster ${cluster.identifier} is in state ${cluster.status}`);
    }
    const instance: DbInstanceModel = {
      identifier: id,
      arn: instanceArnOf(this.o.accountId, ctx.region, id),
      status: "creating",
      instanceClass,
    };
    cluster.instances.push(instance);
    const creation = this.creations.get(cluster);
    this.track(async () => {
      await Promise.all([sleep(this.o.transitionMs), creation]);
      instance.status = "available";
    });
    const { views, view } = viewsWith(model, this.o.backend, cluster);
    return { DBInstance: view && renderDbInstance(model, view, instance, views) };
  }
}
