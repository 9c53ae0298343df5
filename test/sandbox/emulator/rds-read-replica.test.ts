import {
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  DescribeGlobalClustersCommand,
  InvalidDBClusterStateFault,
  InvalidDBInstanceStateFault,
  PromoteReadReplicaCommand,
  PromoteReadReplicaDBClusterCommand,
} from "@aws-sdk/client-rds";
import { afterEach, describe, expect, it } from "vitest";
import { REGION_A, REGION_B, waitFor } from "./helpers.js";
import { CLUSTER_A, CLUSTER_B, closeEmulator, setup } from "./rds-setup.js";

afterEach(closeEmulator);

describe("RDS read replicas (read-replica mode)", () => {
  it("PromoteReadReplicaDBCluster: promoting → available, replication source cleared", async () => {
    const { rds, backend } = await setup({ mode: "read-replica" });
    const before = await rds().send(new DescribeDBClustersCommand({ DBClusterIdentifier: CLUSTER_B }));
    expect(before.DBClusters?.[0]?.ReplicationSourceIdentifier).toContain(CLUSTER_A);
    const out = await rds().send(new PromoteReadReplicaDBClusterCommand({ DBClusterIdentifier: CLUSTER_B }));
    expect(out.DBCluster?.Status).toBe("promoting");
    const after = await waitFor("promotion", async () => {
      const c = (await rds().send(new DescribeDBClustersCommand({ DBClusterIdentifier: CLUSTER_B })))
        .DBClusters?.[0];
      return c?.Status === "available" ? c : undefined;
    });
    expect(after.ReplicationSourceIdentifier).toBeUndefined();
    expect(backend.actions).toEqual([{ kind: "promote", targetRegion: REGION_B, allowDataLoss: true }]);
    // The global cluster API does not know a read-replica pair.
    const none = await rds().send(new DescribeGlobalClustersCommand({}));
    expect(none.GlobalClusters).toEqual([]);
  });

  it("PromoteReadReplica promotes the instance; promoting a non-replica is refused", async () => {
    const { rds } = await setup({ mode: "read-replica" });
    const primary = rds(REGION_A).send(
      new PromoteReadReplicaCommand({ DBInstanceIdentifier: `${CLUSTER_A}-instance-1` }),
    );
    await expect(primary).rejects.toBeInstanceOf(InvalidDBInstanceStateFault);
    const out = await rds().send(
      new PromoteReadReplicaCommand({ DBInstanceIdentifier: `${CLUSTER_B}-instance-1` }),
    );
    expect(out.DBInstance?.DBInstanceStatus).toBe("modifying");
    expect(out.DBInstance?.ReadReplicaSourceDBInstanceIdentifier).toContain(`${CLUSTER_A}-instance-1`);
    await waitFor("instance promoted", async () => {
      const i = (await rds().send(new DescribeDBInstancesCommand({}))).DBInstances?.[0];
      return i?.DBInstanceStatus === "available" && i.ReadReplicaSourceDBInstanceIdentifier === undefined
        ? true
        : undefined;
    });
    const clusterNotReplica = rds(REGION_A).send(
      new PromoteReadReplicaDBClusterCommand({ DBClusterIdentifier: CLUSTER_A }),
    );
    await expect(clusterNotReplica).rejects.toBeInstanceOf(InvalidDBClusterStateFault);
  });
});
