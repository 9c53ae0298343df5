import {
  type DbClusterSnapshotModel,
  type DbInstanceModel,
  type GlobalClusterModel,
  globalMembers,
  type MemberView,
} from "./rds-model.js";

/** The RDS model as the Query API words it (GlobalCluster, DBCluster, DBInstance, DBClusterSnapshot). */

export function renderGlobalCluster(model: GlobalClusterModel, views: MemberView[]): Record<string, unknown> {
  const members = globalMembers(views);
  const writer = members.find((v) => v.role === "writer");
  return {
    GlobalClusterIdentifier: model.identifier,
    GlobalClusterResourceId: model.resourceId,
    GlobalClusterArn: model.arn,
    Status: model.status,
    Engine: model.engine,
    EngineVersion: model.engineVersion,
    StorageEncrypted: true,
    DeletionProtection: false,
    GlobalClusterMembers: members.map((v) => ({
      DBClusterArn: v.cluster.arn,
      Readers: v.role === "writer" ? members.filter((o) => o !== v).map((o) => o.cluster.arn) : [],
      IsWriter: v.role === "writer",
      SynchronizationStatus: v.synchronization,
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
  // A global secondary has no writer instance; neither has an unpromoted replica.
  const writes = view.role === "writer" && cluster.replicationSourceArn === undefined;
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
    ClusterCreateTime: cluster.createdAt,
    ReplicationSourceIdentifier: cluster.replicationSourceArn,
    ReadReplicaIdentifiers: views
      .filter((o) => o.cluster.replicationSourceArn === cluster.arn)
      .map((o) => o.cluster.arn),
    DBClusterMembers: cluster.instances.map((instance, i) => ({
      DBInstanceIdentifier: instance.identifier,
      IsClusterWriter: writes && i === 0,
      DBClusterParameterGroupStatus: "in-sync",
      PromotionTier: 1,
    })),
    DBSubnetGroup: cluster.settings.subnetGroup,
    DBClusterParameterGroup: cluster.settings.parameterGroup,
    VpcSecurityGroups: cluster.settings.securityGroupIds.map((id) => ({
      VpcSecurityGroupId: id,
      Status: "active",
    })),
    StorageEncrypted: true,
    KmsKeyId: cluster.settings.kmsKeyId,
    DeletionProtection: false,
    GlobalClusterIdentifier: model.mode === "global" && cluster.globalMember ? model.identifier : undefined,
    TagList: cluster.tags,
  };
}

export function renderDbInstance(
  model: GlobalClusterModel,
  view: MemberView,
  instance: DbInstanceModel,
  views: MemberView[],
): object {
  const { cluster, endpoint } = view;
  const source = views.find((o) => o.cluster.arn === cluster.replicationSourceArn);
  return {
    DBInstanceIdentifier: instance.identifier,
    DBInstanceArn: instance.arn,
    DBInstanceClass: instance.instanceClass,
    Engine: model.engine,
    EngineVersion: model.engineVersion,
    DBInstanceStatus: instance.status,
    Endpoint: { Address: endpoint.host, Port: endpoint.port },
    AvailabilityZone: `${cluster.region}a`,
    MultiAZ: false,
    DBClusterIdentifier: cluster.identifier,
    ReadReplicaSourceDBInstanceIdentifier: source?.cluster.instances[0]?.arn,
    ReadReplicaDBInstanceIdentifiers: views
      .filter((o) => o.cluster.replicationSourceArn === cluster.arn)
      .flatMap((o) => o.cluster.instances.slice(0, 1).map((i) => i.arn)),
  };
}

export function renderSnapshot(model: GlobalClusterModel, snapshot: DbClusterSnapshotModel): object {
  return {
    DBClusterSnapshotIdentifier: snapshot.identifier,
    DBClusterSnapshotArn: snapshot.arn,
    DBClusterIdentifier: snapshot.clusterIdentifier,
    SnapshotCreateTime: snapshot.createdAt,
    Engine: model.engine,
    EngineVersion: model.engineVersion,
    Status: snapshot.status,
    SnapshotType: "manual",
    PercentProgress: snapshot.status === "available" ? 100 : 0,
    StorageEncrypted: true,
  };
}
