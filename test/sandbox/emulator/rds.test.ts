import {
  DBClusterNotFoundFault,
  DBInstanceNotFoundFault,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  DescribeGlobalClustersCommand,
  FailoverGlobalClusterCommand,
  GlobalClusterNotFoundFault,
  InvalidDBClusterStateFault,
  InvalidGlobalClusterStateFault,
  type RDSClient,
  SwitchoverGlobalClusterCommand,
} from "@aws-sdk/client-rds";
import { afterEach, describe, expect, it } from "vitest";
import { REGION_A, REGION_B, waitFor } from "./helpers.js";
import { ARN_B, CLUSTER_A, CLUSTER_B, closeEmulator, GLOBAL, setup } from "./rds-setup.js";

async function globalCluster(rds: RDSClient) {
  const out = await rds.send(new DescribeGlobalClustersCommand({ GlobalClusterIdentifier: GLOBAL }));
  return out.GlobalClusters?.[0];
}

afterEach(closeEmulator);

describe("RDS global cluster through the real SDK (Query/XML)", () => {
  it("describes the global cluster, its DB clusters and instances with the backend's real writer address", async () => {
    const { rds } = await setup();
    const gc = await globalCluster(rds());
    expect(gc).toMatchObject({
      GlobalClusterIdentifier: GLOBAL,
      Status: "available",
      Engine: "aurora-postgresql",
    });
    expect(gc?.GlobalClusterMembers?.map((m) => [m.DBClusterArn?.split(":").at(-1), m.IsWriter])).toEqual([
      [CLUSTER_A, true],
      [CLUSTER_B, false],
    ]);
    expect(gc?.GlobalClusterMembers?.[0]?.Readers).toEqual([ARN_B]);

    const a = await rds(REGION_A).send(new DescribeDBClustersCommand({}));
    expect(a.DBClusters).toHaveLength(1);
    expect(a.DBClusters?.[0]).toMatchObject({
      DBClusterIdentifier: CLUSTER_A,
      Status: "available",
      Endpoint: "127.0.0.1",
      Port: 25432,
      GlobalClusterIdentifier: GLOBAL,
    });
    expect(a.DBClusters?.[0]?.DBClusterMembers?.[0]?.IsClusterWriter).toBe(true);
    const b = await rds(REGION_B).send(new DescribeDBClustersCommand({ DBClusterIdentifier: ARN_B }));
    expect(b.DBClusters?.[0]?.DBClusterMembers?.[0]?.IsClusterWriter).toBe(false);
    const inst = await rds(REGION_B).send(
      new DescribeDBInstancesCommand({ DBInstanceIdentifier: `${CLUSTER_B}-instance-1` }),
    );
    expect(inst.DBInstances?.[0]).toMatchObject({
      DBClusterIdentifier: CLUSTER_B,
      Endpoint: { Address: "127.0.0.1", Port: 25433 },
    });
  });

  it("Describe* filters (Query list encoding Filters.Filter.N.Values.Value.N) select resources", async () => {
    const { rds } = await setup();
    const byFilter = await rds(REGION_A).send(
      new DescribeDBInstancesCommand({ Filters: [{ Name: "db-cluster-id", Values: [CLUSTER_A] }] }),
    );
    expect(byFilter.DBInstances?.map((i) => i.DBInstanceIdentifier)).toEqual([`${CLUSTER_A}-instance-1`]);
    const none = await rds(REGION_A).send(
      new DescribeDBClustersCommand({ Filters: [{ Name: "db-cluster-id", Values: ["other"] }] }),
    );
    expect(none.DBClusters).toEqual([]);
  });

  it("not-found faults are typed exceptions", async () => {
    const { rds } = await setup();
    await expect(
      rds().send(new DescribeGlobalClustersCommand({ GlobalClusterIdentifier: "nope" })),
    ).rejects.toBeInstanceOf(GlobalClusterNotFoundFault);
    // A cluster of another region is not visible from this one, as in AWS.
    await expect(
      rds(REGION_B).send(new DescribeDBClustersCommand({ DBClusterIdentifier: CLUSTER_A })),
    ).rejects.toBeInstanceOf(DBClusterNotFoundFault);
    await expect(
      rds().send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: "nope" })),
    ).rejects.toBeInstanceOf(DBInstanceNotFoundFault);
  });

  it("FailoverGlobalCluster with AllowDataLoss: failing-over → available, writer moved, backend promoted", async () => {
    const { rds, backend } = await setup({ actionDelayMs: 50 });
    const out = await rds().send(
      new FailoverGlobalClusterCommand({
        GlobalClusterIdentifier: GLOBAL,
        TargetDbClusterIdentifier: ARN_B,
        AllowDataLoss: true,
      }),
    );
    expect(out.GlobalCluster?.Status).toBe("failing-over");
    expect(out.GlobalCluster?.FailoverState).toMatchObject({
      Status: "failing-over",
      ToDbClusterArn: ARN_B,
      IsDataLossAllowed: true,
    });
    // A second failover while one is in progress is refused.
    await expect(
      rds().send(
        new FailoverGlobalClusterCommand({
          GlobalClusterIdentifier: GLOBAL,
          TargetDbClusterIdentifier: ARN_B,
          AllowDataLoss: true,
        }),
      ),
    ).rejects.toBeInstanceOf(InvalidGlobalClusterStateFault);
    const done = await waitFor("failover to finish", async () => {
      const gc = await globalCluster(rds());
      return gc?.Status === "available" ? gc : undefined;
    });
    expect(done.FailoverState).toBeUndefined();
    expect(done.GlobalClusterMembers?.find((m) => m.IsWriter)?.DBClusterArn).toBe(ARN_B);
    expect(backend.actions).toEqual([{ kind: "promote", targetRegion: REGION_B, allowDataLoss: true }]);
    const b = await rds(REGION_B).send(new DescribeDBClustersCommand({}));
    expect(b.DBClusters?.[0]).toMatchObject({ Status: "available", Port: 25433 });
    expect(b.DBClusters?.[0]?.DBClusterMembers?.[0]?.IsClusterWriter).toBe(true);
  });

  it("failover with AllowDataLoss works while the primary region is down", async () => {
    const { rds, backend, emulator } = await setup();
    emulator.regionDown(REGION_A);
    backend.setRegionDown(REGION_A, true);
    await rds().send(
      new FailoverGlobalClusterCommand({
        GlobalClusterIdentifier: GLOBAL,
        TargetDbClusterIdentifier: ARN_B,
        AllowDataLoss: true,
      }),
    );
    await waitFor("writer in B", async () =>
      (await globalCluster(rds()))?.Status === "available" ? true : undefined,
    );
    expect(backend.members().find((m) => m.role === "writer")?.region).toBe(REGION_B);
  });

  it("failover without AllowDataLoss is refused when the primary region is down", async () => {
    const { rds, emulator, backend } = await setup();
    emulator.regionDown(REGION_A);
    const error = await rds()
      .send(
        new FailoverGlobalClusterCommand({
          GlobalClusterIdentifier: GLOBAL,
          TargetDbClusterIdentifier: ARN_B,
        }),
      )
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidGlobalClusterStateFault);
    expect((error as Error).message).toMatch(/AllowDataLoss/);
    expect(backend.actions).toEqual([]);
    // Both flags together are an invalid combination.
    const both = rds().send(
      new FailoverGlobalClusterCommand({
        GlobalClusterIdentifier: GLOBAL,
        TargetDbClusterIdentifier: ARN_B,
        AllowDataLoss: true,
        Switchover: true,
      }),
    );
    await expect(both).rejects.toMatchObject({ name: "InvalidParameterCombination" });
  });

  it("SwitchoverGlobalCluster: refused while lag is too high, then switching-over → available", async () => {
    const { rds, backend } = await setup({ lagMs: 5_000 });
    const refused = rds().send(
      new SwitchoverGlobalClusterCommand({
        GlobalClusterIdentifier: GLOBAL,
        TargetDbClusterIdentifier: ARN_B,
      }),
    );
    await expect(refused).rejects.toThrow(/replication lag 5000 ms/);
    backend.lagMs = 10;
    const out = await rds().send(
      new SwitchoverGlobalClusterCommand({
        GlobalClusterIdentifier: GLOBAL,
        TargetDbClusterIdentifier: ARN_B,
      }),
    );
    expect(out.GlobalCluster?.Status).toBe("switching-over");
    expect(out.GlobalCluster?.FailoverState?.IsDataLossAllowed).toBe(false);
    await waitFor("switchover", async () =>
      (await globalCluster(rds()))?.Status === "available" ? true : undefined,
    );
    expect(backend.actions).toEqual([{ kind: "switchover", targetRegion: REGION_B }]);
    // Switching over to the cluster that is already primary is an invalid cluster state.
    const again = rds().send(
      new SwitchoverGlobalClusterCommand({
        GlobalClusterIdentifier: GLOBAL,
        TargetDbClusterIdentifier: ARN_B,
      }),
    );
    await expect(again).rejects.toBeInstanceOf(InvalidDBClusterStateFault);
  });

  it("failover to a secondary whose database is down is refused", async () => {
    const { rds, backend } = await setup();
    backend.setRegionDown(REGION_B, true);
    const refused = rds(REGION_A).send(
      new FailoverGlobalClusterCommand({
        GlobalClusterIdentifier: GLOBAL,
        TargetDbClusterIdentifier: ARN_B,
        AllowDataLoss: true,
      }),
    );
    await expect(refused).rejects.toBeInstanceOf(InvalidDBClusterStateFault);
    expect(backend.actions).toEqual([]);
  });

  it("a backend failure leaves the writer where it was and records why", async () => {
    const { rds, backend, emulator } = await setup();
    backend.failNextAction = new Error("pg_promote timed out");
    await rds().send(
      new FailoverGlobalClusterCommand({
        GlobalClusterIdentifier: GLOBAL,
        TargetDbClusterIdentifier: ARN_B,
        AllowDataLoss: true,
      }),
    );
    const gc = await waitFor("failover attempt over", async () => {
      const g = await globalCluster(rds());
      return g?.Status === "available" ? g : undefined;
    });
    expect(gc.GlobalClusterMembers?.find((m) => m.IsWriter)?.DBClusterArn).toContain(CLUSTER_A);
    expect(emulator.state.globalCluster?.lastError).toContain("pg_promote timed out");
  });
});
