import type { ParamReader } from "../params.js";
import type { IamResources, RequestContext } from "../service.js";
import type { GlobalClusterModel } from "./rds-model.js";

/**
 * The ARNs IAM authorises an RDS request on: the global cluster and the target cluster of a
 * failover or switchover, the cluster, instance or snapshot a request names (an identifier
 * the model does not hold still has its ARN: IAM decides before RDS looks). A Describe
 * without an identifier is authorised on `*`.
 */
export function rdsIamResources(model: GlobalClusterModel | undefined, account: string): IamResources {
  const arn = (id: string | undefined, of: (id: string) => string) =>
    id === undefined ? [] : [id.startsWith("arn:") ? id : of(id)];
  const global = (id: string) => `arn:aws:rds::${account}:global-cluster:${id}`;
  const cluster = (region: string) => (id: string) =>
    model?.clusters.find((c) => c.identifier === id)?.arn ?? `arn:aws:rds:${region}:${account}:cluster:${id}`;
  const db = (region: string) => (id: string) => `arn:aws:rds:${region}:${account}:db:${id}`;
  const snapshot = (region: string) => (id: string) =>
    `arn:aws:rds:${region}:${account}:cluster-snapshot:${id}`;
  // Creating names a cluster that does not exist yet: its ARN is built, never looked up.
  const newCluster = (region: string) => (id: string) => `arn:aws:rds:${region}:${account}:cluster:${id}`;
  const failover = (p: ParamReader, ctx: RequestContext) => [
    ...arn(p.string("GlobalClusterIdentifier"), global),
    ...arn(p.string("TargetDbClusterIdentifier"), cluster(ctx.region)),
  ];
  return {
    DescribeGlobalClusters: (p) => arn(p.optionalString("GlobalClusterIdentifier"), global),
    DescribeDBClusters: (p, ctx) => arn(p.optionalString("DBClusterIdentifier"), cluster(ctx.region)),
    DescribeDBInstances: (p, ctx) => arn(p.optionalString("DBInstanceIdentifier"), db(ctx.region)),
    FailoverGlobalCluster: failover,
    SwitchoverGlobalCluster: failover,
    PromoteReadReplicaDBCluster: (p, ctx) => arn(p.string("DBClusterIdentifier"), cluster(ctx.region)),
    PromoteReadReplica: (p, ctx) => arn(p.string("DBInstanceIdentifier"), db(ctx.region)),
    RemoveFromGlobalCluster: (p, ctx) => [
      ...arn(p.string("DbClusterIdentifier"), cluster(ctx.region)),
      ...arn(p.string("GlobalClusterIdentifier"), global),
    ],
    DeleteDBInstance: (p, ctx) => arn(p.string("DBInstanceIdentifier"), db(ctx.region)),
    DeleteDBCluster: (p, ctx) => [
      ...arn(p.string("DBClusterIdentifier"), cluster(ctx.region)),
      ...arn(p.optionalString("FinalDBSnapshotIdentifier"), snapshot(ctx.region)),
    ],
    CreateDBCluster: (p, ctx) => [
      ...arn(p.string("DBClusterIdentifier"), newCluster(ctx.region)),
      ...arn(p.optionalString("GlobalClusterIdentifier"), global),
    ],
    CreateDBInstance: (p, ctx) => [
      ...arn(p.string("DBInstanceIdentifier"), db(ctx.region)),
      ...arn(p.optionalString("DBClusterIdentifier"), cluster(ctx.region)),
    ],
    DescribeDBClusterSnapshots: (p, ctx) => [
      ...arn(p.optionalString("DBClusterSnapshotIdentifier"), snapshot(ctx.region)),
      ...arn(p.optionalString("DBClusterIdentifier"), cluster(ctx.region)),
    ],
  };
}
