import type {
  BackendEndpoint,
  GlobalClusterBackend,
  GlobalClusterMember,
  SynchronizationStatus,
} from "../backend.js";
import type { DatabaseConfig } from "../topology.js";

/**
 * The emulated RDS resources: one global cluster, DB clusters in its regions (one each to
 * begin with, each with one instance), and the snapshots DeleteDBCluster leaves. Which cluster
 * is the writer, where it listens and whether it replicates is never stored here: it is read
 * from the backend every time, so the API always reports the real primary.
 */

export interface Tag {
  Key: string;
  Value: string;
}

export interface DbInstanceModel {
  identifier: string;
  arn: string;
  status: string;
  instanceClass: string;
}

/** What a cluster was created with, echoed by DescribeDBClusters (and carried to a rebuilt one). */
export interface ClusterSettings {
  subnetGroup: string;
  parameterGroup: string;
  securityGroupIds: string[];
  kmsKeyId: string | undefined;
}

export interface DbClusterModel {
  identifier: string;
  arn: string;
  region: string;
  status: string;
  /** Aurora secondaries may have none (headless); every cluster of the topology starts with one. */
  instances: DbInstanceModel[];
  /** Read-replica mode: ARN of the cluster this one replicates from, until promoted. */
  replicationSourceArn: string | undefined;
  /** Listed in the global cluster; false once RemoveFromGlobalCluster detached it. */
  globalMember: boolean;
  tags: Tag[];
  createdAt: Date;
  settings: ClusterSettings;
}

export interface DbClusterSnapshotModel {
  identifier: string;
  arn: string;
  region: string;
  clusterIdentifier: string;
  status: string;
  createdAt: Date;
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
  snapshots: DbClusterSnapshotModel[];
  /** Why the last failover/switchover/promotion/rebuild failed in the backend, for inspection. */
  lastError: string | undefined;
}

export const DEFAULT_INSTANCE_CLASS = "db.r6g.large";

export const clusterArnOf = (account: string, region: string, id: string) =>
  `arn:aws:rds:${region}:${account}:cluster:${id}`;
export const instanceArnOf = (account: string, region: string, id: string) =>
  `arn:aws:rds:${region}:${account}:db:${id}`;
export const snapshotArnOf = (account: string, region: string, id: string) =>
  `arn:aws:rds:${region}:${account}:cluster-snapshot:${id}`;

export function defaultSettings(engine: string, engineVersion: string, region: string, account: string) {
  return {
    subnetGroup: "default",
    parameterGroup: `default.${engine}${engineVersion.split(".")[0]}`,
    securityGroupIds: ["sg-0sandbox"],
    kmsKeyId: `arn:aws:kms:${region}:${account}:key/sandbox-${region}`,
  };
}

export function createRdsModel(
  config: DatabaseConfig | undefined,
  accountId: string,
  backend: GlobalClusterBackend,
): GlobalClusterModel | undefined {
  if (!config) return undefined;
  const writerRegion = backend.members().find((m) => m.role === "writer")?.region;
  const writer = Object.entries(config.clusters).find(([region]) => region === writerRegion);
  const mode = config.mode ?? "global";
  const engine = config.engine ?? "aurora-postgresql";
  const engineVersion = config.engineVersion ?? "16.4";
  const createdAt = new Date();
  return {
    identifier: config.globalClusterIdentifier,
    arn: `arn:aws:rds::${accountId}:global-cluster:${config.globalClusterIdentifier}`,
    resourceId: `cluster-${config.globalClusterIdentifier.replace(/[^a-z0-9]/gi, "").toLowerCase()}`,
    mode,
    engine,
    engineVersion,
    status: "available",
    failover: undefined,
    lastError: undefined,
    snapshots: [],
    clusters: Object.entries(config.clusters).map(([region, id]) => ({
      identifier: id,
      arn: clusterArnOf(accountId, region, id),
      region,
      status: "available",
      instances: [
        {
          identifier: `${id}-instance-1`,
          arn: instanceArnOf(accountId, region, `${id}-instance-1`),
          status: "available",
          instanceClass: DEFAULT_INSTANCE_CLASS,
        },
      ],
      replicationSourceArn:
        mode === "read-replica" && writer && writer[0] !== region
          ? clusterArnOf(accountId, writer[0], writer[1])
          : undefined,
      globalMember: mode === "global",
      tags: [],
      createdAt,
      settings: defaultSettings(engine, engineVersion, region, accountId),
    })),
  };
}

export interface MemberView {
  cluster: DbClusterModel;
  role: "writer" | "reader";
  endpoint: BackendEndpoint;
  synchronization: SynchronizationStatus;
}

/** Each cluster joined with its region's backend member (role, real address, replication). */
export function memberViews(model: GlobalClusterModel, backend: GlobalClusterBackend): MemberView[] {
  const members = new Map<string, GlobalClusterMember>(backend.members().map((m) => [m.region, m]));
  return model.clusters.map((cluster) => {
    const m = members.get(cluster.region);
    return {
      cluster,
      role: m?.role ?? "reader",
      endpoint: m?.endpoint ?? { host: "127.0.0.1", port: 0 },
      synchronization: m ? backend.synchronization(cluster.region) : "pending-resync",
    };
  });
}

/** The views of the clusters the global cluster lists (a detached cluster is standalone). */
export const globalMembers = (views: MemberView[]) => views.filter((v) => v.cluster.globalMember);

export const RDS_MEMBER_NAMES = {
  GlobalClusters: "GlobalClusterMember",
  GlobalClusterMembers: "GlobalClusterMember",
  DBClusters: "DBCluster",
  DBInstances: "DBInstance",
  DBClusterMembers: "DBClusterMember",
  DBClusterSnapshots: "DBClusterSnapshot",
  ReadReplicaIdentifiers: "ReadReplicaIdentifier",
  ReadReplicaDBInstanceIdentifiers: "ReadReplicaDBInstanceIdentifier",
  ReadReplicaDBClusterIdentifiers: "ReadReplicaDBClusterIdentifier",
  TagList: "Tag",
  VpcSecurityGroups: "VpcSecurityGroupMembership",
} as const;
