import type { RDSClient } from "@aws-sdk/client-rds";
import { fatal } from "../executor.js";

/**
 * What rebuilding an Aurora global database's secondary reads: the global cluster's view of
 * the member in one region (writer? replicating?), and that region's DB cluster with its
 * instances, its tags and the settings a rebuilt cluster should keep.
 */

export interface RegionMember {
  arn: string;
  isWriter: boolean;
  /** `connected`, or `pending-resync` for a member that does not replicate from the writer. */
  synchronization: string;
}

export interface GlobalSecondaryView {
  status: string;
  engine: string;
  engineVersion: string;
  writerArn: string | undefined;
  /** The member in the region, if the global cluster lists one there. */
  member: RegionMember | undefined;
}

const regionOf = (arn: string) => arn.split(":")[3];
export const clusterIdOf = (arn: string) => arn.split(":").at(-1) ?? arn;

/** DescribeGlobalClusters, narrowed to the member in `region`. */
export async function describeSecondary(
  rds: RDSClient,
  globalId: string,
  region: string,
  signal: AbortSignal,
): Promise<GlobalSecondaryView> {
  const { DescribeGlobalClustersCommand } = await import("@aws-sdk/client-rds");
  const out = await rds.send(new DescribeGlobalClustersCommand({ GlobalClusterIdentifier: globalId }), {
    abortSignal: signal,
  });
  const g = out.GlobalClusters?.[0];
  if (!g) throw fatal(`global cluster ${globalId} not found`);
  const members = g.GlobalClusterMembers ?? [];
  const here = members.filter((m) => regionOf(m.DBClusterArn ?? "") === region);
  if (here.length > 1) {
    throw fatal(
      `global cluster ${globalId} has ${here.length} members in ${region}; rds.rebuild-secondary rebuilds one`,
    );
  }
  const m = here[0];
  return {
    status: g.Status ?? "unknown",
    engine: g.Engine ?? "",
    engineVersion: g.EngineVersion ?? "",
    writerArn: members.find((x) => x.IsWriter)?.DBClusterArn,
    member: m && {
      arn: m.DBClusterArn ?? "",
      isWriter: Boolean(m.IsWriter),
      synchronization: m.SynchronizationStatus ?? "unknown",
    },
  };
}

/** What a rebuilt cluster keeps from the one it replaces (absent: AWS's defaults). */
export interface ClusterSettings {
  dbSubnetGroupName?: string;
  vpcSecurityGroupIds?: string[];
  kmsKeyId?: string;
  dbClusterParameterGroupName?: string;
  dbInstanceClass?: string;
}

export interface ClusterView {
  arn: string;
  status: string;
  /** The global cluster it is a member of, if any. */
  globalClusterIdentifier: string | undefined;
  tags: Record<string, string>;
  instances: { id: string; status: string; instanceClass: string | undefined }[];
  settings: ClusterSettings;
}

/** DescribeDBClusters and DescribeDBInstances for one cluster; undefined when it does not exist (any more). */
export async function describeCluster(
  rds: RDSClient,
  id: string,
  signal: AbortSignal,
): Promise<ClusterView | undefined> {
  const sdk = await import("@aws-sdk/client-rds");
  let c: import("@aws-sdk/client-rds").DBCluster | undefined;
  try {
    const out = await rds.send(new sdk.DescribeDBClustersCommand({ DBClusterIdentifier: id }), {
      abortSignal: signal,
    });
    c = out.DBClusters?.[0];
  } catch (err) {
    // A deleted cluster is not an error here: it is how a finished DeleteDBCluster looks.
    if (err instanceof sdk.DBClusterNotFoundFault || (err as Error)?.name === "DBClusterNotFoundFault") {
      return undefined;
    }
    throw err;
  }
  if (!c) return undefined;
  const out = await rds.send(
    new sdk.DescribeDBInstancesCommand({ Filters: [{ Name: "db-cluster-id", Values: [id] }] }),
    { abortSignal: signal },
  );
  const instances = (out.DBInstances ?? []).map((i) => ({
    id: i.DBInstanceIdentifier ?? "",
    status: i.DBInstanceStatus ?? "unknown",
    instanceClass: i.DBInstanceClass,
  }));
  const securityGroups = (c.VpcSecurityGroups ?? []).flatMap((g) =>
    g.VpcSecurityGroupId ? [g.VpcSecurityGroupId] : [],
  );
  const instanceClass = instances.find((i) => i.instanceClass)?.instanceClass;
  return {
    arn: c.DBClusterArn ?? "",
    status: c.Status ?? "unknown",
    globalClusterIdentifier: c.GlobalClusterIdentifier || undefined,
    tags: Object.fromEntries((c.TagList ?? []).map((t) => [t.Key ?? "", t.Value ?? ""])),
    instances,
    settings: {
      ...(c.DBSubnetGroup ? { dbSubnetGroupName: c.DBSubnetGroup } : {}),
      ...(securityGroups.length > 0 ? { vpcSecurityGroupIds: securityGroups } : {}),
      ...(c.KmsKeyId ? { kmsKeyId: c.KmsKeyId } : {}),
      ...(c.DBClusterParameterGroup ? { dbClusterParameterGroupName: c.DBClusterParameterGroup } : {}),
      ...(instanceClass ? { dbInstanceClass: instanceClass } : {}),
    },
  };
}

/**
 * The default final snapshot's name: the cluster's, then when it was taken (UTC, to the
 * second), valid as an RDS identifier (letters, digits, single hyphens, at most 255).
 */
export function finalSnapshotName(clusterId: string, at: Date): string {
  const stamp = at
    .toISOString()
    .replace(/\.\d+Z$/, "")
    .replace(/[-:]/g, "")
    .replace("T", "-");
  return `${clusterId}-pre-rebuild-${stamp}`.replace(/-+/g, "-");
}
