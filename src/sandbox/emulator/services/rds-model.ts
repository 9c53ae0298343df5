import type { BackendEndpoint, GlobalClusterBackend, GlobalClusterMember } from "../backend.js";
import type { DatabaseConfig } from "../topology.js";

/**
 * The emulated RDS resources: one global cluster, one DB cluster per region with one
 * instance each. Which cluster is the writer and where it listens is never stored here:
 * it is read from the backend every time, so the API always reports the real primary.
 */

export interface DbClusterModel {
  identifier: string;
  arn: string;
  region: string;
  status: string;
  instanceIdentifier: string;
  instanceArn: string;
  instanceStatus: string;
  /** Read-replica mode: ARN of the cluster this one replicates from, until promoted. */
  replicationSourceArn: string | undefined;
}

export interface FailoverStateModel {
  status: "pending" | "failing-over" | "cancelling";
  fromArn: string;
  toArn: string;
  allowDataLoss: boolean;
}

export interface GlobalClusterModel {
  identifier: string;
  arn: string;
  resourceId: string;
  mode: "global" | "read-replica";
  engine: string;
  engineVersion: string;
  status: string;
  failover: FailoverStateModel | undefined;
  clusters: DbClusterModel[];
  /** Why the last failover/switchover/promotion failed in the backend, for inspection. */
  lastError: string | undefined;
}

export function createRdsModel(
  config: DatabaseConfig | undefined,
  accountId: string,
  backend: GlobalClusterBackend,
): GlobalClusterModel | undefined {
  if (!config) return undefined;
  const writerRegion = backend.members().find((m) => m.role === "writer")?.region;
  const clusterArn = (region: string, id: string) => `arn:aws:rds:${region}:${accountId}:cluster:${id}`;
  const writer = Object.entries(config.clusters).find(([region]) => region === writerRegion);
  const mode = config.mode ?? "global";
  return {
    identifier: config.globalClusterIdentifier,
    arn: `arn:aws:rds::${accountId}:global-cluster:${config.globalClusterIdentifier}`,
    resourceId: `cluster-${config.globalClusterIdentifier.replace(/[^a-z0-9]/gi, "").toLowerCase()}`,
    mode,
    engine: config.engine ?? "aurora-postgresql",
    engineVersion: config.engineVersion ?? "16.4",
    status: "available",
    failover: undefined,
    lastError: undefined,
    clusters: Object.entries(config.clusters).map(([region, id]) => ({
      identifier: id,
      arn: clusterArn(region, id),
      region,
      status: "available",
      instanceIdentifier: `${id}-instance-1`,
      instanceArn: `arn:aws:rds:${region}:${accountId}:db:${id}-instance-1`,
      instanceStatus: "available",
      replicationSourceArn:
        mode === "read-replica" && writer && writer[0] !== region
          ? clusterArn(writer[0], writer[1])
          : undefined,
    })),
  };
}

export interface MemberView {
  cluster: DbClusterModel;
  role: "writer" | "reader";
  endpoint: BackendEndpoint;
}

/** Each cluster joined with its backend member (role and real address). */
export function memberViews(model: GlobalClusterModel, backend: GlobalClusterBackend): MemberView[] {
  const members = new Map<string, GlobalClusterMember>(backend.members().map((m) => [m.region, m]));
  return model.clusters.map((cluster) => {
    const m = members.get(cluster.region);
    return { cluster, role: m?.role ?? "reader", endpoint: m?.endpoint ?? { host: "127.0.0.1", port: 0 } };
  });
}

export function renderGlobalCluster(model: GlobalClusterModel, views: MemberView[]): Record<string, unknown> {
  const writer = views.find((v) => v.role === "writer");
  return {
    GlobalClusterIdentifier: model.identifier,
    GlobalClusterResourceId: model.resourceId,
    GlobalClusterArn: model.arn,
    Status: model.status,
    Engine: model.engine,
    EngineVersion: model.engineVersion,
    StorageEncrypted: true,
    DeletionProtection: false,
    GlobalClusterMembers: views.map((v) => ({
      DBClusterArn: v.cluster.arn,
      Readers: v.role === "writer" ? views.filter((o) => o !== v).map((o) => o.cluster.arn) : [],
      IsWriter: v.role === "writer",
      SynchronizationStatus: "connected",
    })),
    Endpoint: writer?.endpoint.host,
    FailoverState: model.failover && {
      Status: model.failover.status,
      FromDbClusterArn: model.failover.fromArn,
      ToDbClusterArn: model.failover.toArn,
      IsDataLossAllowed: model.failover.allowDataLoss,
    },
  };
}

export function renderDbCluster(model: GlobalClusterModel, view: MemberView, views: MemberView[]): object {
  const { cluster, endpoint } = view;
  const isWriter = view.role === "writer";
  return {
    DBClusterIdentifier: cluster.identifier,
    DBClusterArn: cluster.arn,
    Status: cluster.status,
    Engine: model.engine,
    EngineVersion: model.engineVersion,
    Endpoint: endpoint.host,
    ReaderEndpoint: endpoint.host,
    Port: endpoint.port,
    MultiAZ: false,
    ReplicationSourceIdentifier: cluster.replicationSourceArn,
    ReadReplicaIdentifiers: views
      .filter((o) => o.cluster.replicationSourceArn === cluster.arn)
      .map((o) => o.cluster.arn),
    DBClusterMembers: [
      {
        DBInstanceIdentifier: cluster.instanceIdentifier,
        // A global secondary has no writer instance; neither has an unpromoted replica.
        IsClusterWriter: isWriter && cluster.replicationSourceArn === undefined,
        DBClusterParameterGroupStatus: "in-sync",
        PromotionTier: 1,
      },
    ],
    StorageEncrypted: true,
    DeletionProtection: false,
    GlobalClusterIdentifier: model.mode === "global" ? model.identifier : undefined,
  };
}

export function renderDbInstance(model: GlobalClusterModel, view: MemberView, views: MemberView[]): object {
  const { cluster, endpoint } = view;
  const source = views.find((o) => o.cluster.arn === cluster.replicationSourceArn);
  return {
    DBInstanceIdentifier: cluster.instanceIdentifier,
    DBInstanceArn: cluster.instanceArn,
    DBInstanceClass: "db.r6g.large",
    Engine: model.engine,
    EngineVersion: model.engineVersion,
    DBInstanceStatus: cluster.instanceStatus,
    Endpoint: { Address: endpoint.host, Port: endpoint.port },
    AvailabilityZone: `${cluster.region}a`,
    MultiAZ: false,
    DBClusterIdentifier: cluster.identifier,
    ReadReplicaSourceDBInstanceIdentifier: source?.cluster.instanceArn,
    ReadReplicaDBInstanceIdentifiers: views
      .filter((o) => o.cluster.replicationSourceArn === cluster.arn)
      .map((o) => o.cluster.instanceArn),
  };
}

export const RDS_MEMBER_NAMES = {
  GlobalClusters: "GlobalClusterMember",
  GlobalClusterMembers: "GlobalClusterMember",
  DBClusters: "DBCluster",
  DBInstances: "DBInstance",
  DBClusterMembers: "DBClusterMember",
  ReadReplicaIdentifiers: "ReadReplicaIdentifier",
  ReadReplicaDBInstanceIdentifiers: "ReadReplicaDBInstanceIdentifier",
  ReadReplicaDBClusterIdentifiers: "ReadReplicaDBClusterIdentifier",
} as const;
