import {
  CreateDBClusterCommand,
  CreateDBInstanceCommand,
  DBClusterAlreadyExistsFault,
  DBClusterNotFoundFault,
  DBInstanceAlreadyExistsFault,
  DBInstanceNotFoundFault,
  DeleteDBClusterCommand,
  DeleteDBInstanceCommand,
  DescribeDBClusterSnapshotsCommand,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  DescribeGlobalClustersCommand,
  FailoverGlobalClusterCommand,
  GlobalClusterNotFoundFault,
  InvalidDBClusterStateFault,
  InvalidDBInstanceStateFault,
  InvalidGlobalClusterStateFault,
  type RDSClient,
  RemoveFromGlobalClusterCommand,
} from "@aws-sdk/client-rds";
import { afterEach, describe, expect, it } from "vitest";
import { REGION_A, REGION_B, waitFor } from "./helpers.js";
import { ARN_B, CLUSTER_A, closeEmulator, GLOBAL, setup } from "./rds-setup.js";

const ARN_A = `arn:aws:rds:${REGION_A}:111111111111:cluster:${CLUSTER_A}`;
const INSTANCE_A = `${CLUSTER_A}-instance-1`;

afterEach(closeEmulator);

async function globalCluster(rds: RDSClient) {
  const out = await rds.send(new DescribeGlobalClustersCommand({ GlobalClusterIdentifier: GLOBAL }));
  return out.GlobalClusters?.[0];
}

/** After an unplanned failover to B: A is the diverged old primary. */
async function failedOver(options: { actionDelayMs?: number } = {}) {
  const env = await setup(options);
  await env.rds().send(
    new FailoverGlobalClusterCommand({
      GlobalClusterIdentifier: GLOBAL,
      TargetDbClusterIdentifier: ARN_B,
      AllowDataLoss: true,
    }),
  );
  await waitFor(
    "failover",
    async () => ((await globalCluster(env.rds()))?.Status === "available" ? true : undefined),
    10_000,
  );
  return { ...env, a: env.rds(REGION_A) };
}

const clusterA = async (a: RDSClient) =>
  (await a.send(new DescribeDBClustersCommand({ DBClusterIdentifier: CLUSTER_A }))).DBClusters?.[0];
const gone = async (a: RDSClient) =>
  a
    .send(new DescribeDBClustersCommand({ DBClusterIdentifier: CLUSTER_A }))
    .then(() => undefined)
    .catch((e: unknown) => (e instanceof DBClusterNotFoundFault ? true : undefined));

/** Detached and deleted with a final snapshot, as the manual rebuild does before creating. */
async function deletedA(a: RDSClient) {
  await a.send(
    new RemoveFromGlobalClusterCommand({ GlobalClusterIdentifier: GLOBAL, DbClusterIdentifier: ARN_A }),
  );
  await a.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: INSTANCE_A }));
  await a.send(
    new DeleteDBClusterCommand({ DBClusterIdentifier: CLUSTER_A, FinalDBSnapshotIdentifier: "a-final" }),
  );
  await waitFor("A deleted", () => gone(a));
}

describe("RDS: rebuilding a diverged secondary through the real SDK (Query/XML)", () => {
  it("the diverged old primary is pending-resync; RemoveFromGlobalCluster detaches it and leaves its data alone", async () => {
    const { rds, a, backend } = await failedOver();
    const gc = await globalCluster(rds());
    expect(
      gc?.GlobalClusterMembers?.map((m) => [m.DBClusterArn, m.IsWriter, m.SynchronizationStatus]),
    ).toEqual([
      [ARN_A, false, "pending-resync"],
      [ARN_B, true, "connected"],
    ]);
    // The primary cannot leave while it has a secondary.
    await expect(
      rds().send(
        new RemoveFromGlobalClusterCommand({ GlobalClusterIdentifier: GLOBAL, DbClusterIdentifier: ARN_B }),
      ),
    ).rejects.toBeInstanceOf(InvalidGlobalClusterStateFault);
    const out = await a.send(
      new RemoveFromGlobalClusterCommand({ GlobalClusterIdentifier: GLOBAL, DbClusterIdentifier: ARN_A }),
    );
    expect(out.GlobalCluster?.GlobalClusterMembers?.map((m) => m.DBClusterArn)).toEqual([ARN_B]);
    expect(out.GlobalCluster?.GlobalClusterMembers?.[0]?.Readers).toEqual([]);
    const detached = await clusterA(a);
    expect(detached).toMatchObject({ Status: "available", Endpoint: "127.0.0.1", Port: 25432 });
    expect(detached?.GlobalClusterIdentifier).toBeUndefined();
    await expect(
      a.send(
        new RemoveFromGlobalClusterCommand({ GlobalClusterIdentifier: GLOBAL, DbClusterIdentifier: ARN_A }),
      ),
    ).rejects.toBeInstanceOf(InvalidGlobalClusterStateFault);
    await expect(
      a.send(
        new RemoveFromGlobalClusterCommand({ GlobalClusterIdentifier: "nope", DbClusterIdentifier: ARN_A }),
      ),
    ).rejects.toBeInstanceOf(GlobalClusterNotFoundFault);
    // A detached cluster is no failover target any more.
    await expect(
      rds().send(
        new FailoverGlobalClusterCommand({
          GlobalClusterIdentifier: GLOBAL,
          TargetDbClusterIdentifier: ARN_A,
          AllowDataLoss: true,
        }),
      ),
    ).rejects.toBeInstanceOf(DBClusterNotFoundFault);
    expect(backend.actions.map((x) => x.kind)).toEqual(["promote"]);
  });

  it("DeleteDBInstance and DeleteDBCluster: refusals as AWS words them, deleting → gone, the final snapshot listed", async () => {
    const { a, backend } = await failedOver();
    const del = (input: Partial<ConstructorParameters<typeof DeleteDBClusterCommand>[0]>) =>
      a.send(new DeleteDBClusterCommand({ DBClusterIdentifier: CLUSTER_A, ...input }));
    await expect(del({ FinalDBSnapshotIdentifier: "a-final" })).rejects.toThrow(/part of a global cluster/);
    await a.send(
      new RemoveFromGlobalClusterCommand({ GlobalClusterIdentifier: GLOBAL, DbClusterIdentifier: ARN_A }),
    );
    await expect(del({})).rejects.toMatchObject({ name: "InvalidParameterCombination" });
    await expect(
      del({ SkipFinalSnapshot: true, FinalDBSnapshotIdentifier: "a-final" }),
    ).rejects.toMatchObject({
      name: "InvalidParameterCombination",
    });
    await expect(del({ FinalDBSnapshotIdentifier: "a--final" })).rejects.toMatchObject({
      name: "InvalidParameterValue",
    });
    await expect(del({ FinalDBSnapshotIdentifier: "a-final" })).rejects.toThrow(/non-deleting state/);

    const instance = await a.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: INSTANCE_A }));
    expect(instance.DBInstance).toMatchObject({
      DBInstanceIdentifier: INSTANCE_A,
      DBInstanceStatus: "deleting",
    });
    await expect(
      a.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: INSTANCE_A })),
    ).rejects.toBeInstanceOf(InvalidDBInstanceStateFault);
    await expect(
      a.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: "nope" })),
    ).rejects.toBeInstanceOf(DBInstanceNotFoundFault);

    const out = await del({ FinalDBSnapshotIdentifier: "a-final" });
    expect(out.DBCluster).toMatchObject({ DBClusterIdentifier: CLUSTER_A, Status: "deleting" });
    await expect(del({ FinalDBSnapshotIdentifier: "a-final-2" })).rejects.toBeInstanceOf(
      InvalidDBClusterStateFault,
    );
    await waitFor("A deleted", () => gone(a));
    await expect(del({ SkipFinalSnapshot: true })).rejects.toBeInstanceOf(DBClusterNotFoundFault);
    const snapshots = await a.send(new DescribeDBClusterSnapshotsCommand({ DBClusterIdentifier: CLUSTER_A }));
    expect(snapshots.DBClusterSnapshots).toHaveLength(1);
    expect(snapshots.DBClusterSnapshots?.[0]).toMatchObject({
      DBClusterSnapshotIdentifier: "a-final",
      DBClusterSnapshotArn: `arn:aws:rds:${REGION_A}:111111111111:cluster-snapshot:a-final`,
      Status: "available",
      SnapshotType: "manual",
      Engine: "aurora-postgresql",
    });
    expect(snapshots.DBClusterSnapshots?.[0]?.SnapshotCreateTime).toBeInstanceOf(Date);
    // The global cluster lists the writer alone, and the data was never touched.
    expect((await globalCluster(a))?.GlobalClusterMembers?.map((m) => m.DBClusterArn)).toEqual([ARN_B]);
    expect(backend.actions.map((x) => x.kind)).toEqual(["promote"]);
    await expect(
      a.send(new DescribeDBClusterSnapshotsCommand({ DBClusterSnapshotIdentifier: "nope" })),
    ).rejects.toMatchObject({ name: "DBClusterSnapshotNotFoundFault" });
  });

  it("CreateDBCluster into the global cluster rebuilds that region's database; CreateDBInstance adds its instance", async () => {
    const { rds, a, backend, emulator } = await failedOver();
    await deletedA(a);
    backend.actionDelayMs = 300;
    const create = (input: Partial<ConstructorParameters<typeof CreateDBClusterCommand>[0]>) =>
      a.send(
        new CreateDBClusterCommand({
          DBClusterIdentifier: CLUSTER_A,
          Engine: "aurora-postgresql",
          GlobalClusterIdentifier: GLOBAL,
          ...input,
        }),
      );
    await expect(create({ Engine: "aurora-mysql" })).rejects.toMatchObject({
      name: "InvalidParameterCombination",
    });
    await expect(create({ GlobalClusterIdentifier: undefined })).rejects.toMatchObject({
      name: "InvalidParameterValue",
    });
    await expect(create({ GlobalClusterIdentifier: "nope" })).rejects.toBeInstanceOf(
      GlobalClusterNotFoundFault,
    );
    // The writer's region already has its member.
    await expect(
      rds(REGION_B).send(
        new CreateDBClusterCommand({
          DBClusterIdentifier: "other",
          Engine: "aurora-postgresql",
          GlobalClusterIdentifier: GLOBAL,
        }),
      ),
    ).rejects.toBeInstanceOf(InvalidGlobalClusterStateFault);
    expect(backend.actions.map((x) => x.kind)).toEqual(["promote"]);

    const out = await create({ Tags: [{ Key: "team", Value: "case" }], DBSubnetGroupName: "case-a" });
    expect(out.DBCluster).toMatchObject({
      DBClusterIdentifier: CLUSTER_A,
      DBClusterArn: ARN_A,
      Status: "creating",
      GlobalClusterIdentifier: GLOBAL,
      DBSubnetGroup: "case-a",
      TagList: [{ Key: "team", Value: "case" }],
      DBClusterMembers: [],
    });
    await expect(create({})).rejects.toBeInstanceOf(DBClusterAlreadyExistsFault);
    const creating = await globalCluster(rds());
    expect(creating?.GlobalClusterMembers?.find((m) => m.DBClusterArn === ARN_A)?.SynchronizationStatus).toBe(
      "pending-resync",
    );

    const instance = await a.send(
      new CreateDBInstanceCommand({
        DBInstanceIdentifier: INSTANCE_A,
        DBClusterIdentifier: CLUSTER_A,
        Engine: "aurora-postgresql",
        DBInstanceClass: "db.r7g.large",
      }),
    );
    expect(instance.DBInstance).toMatchObject({
      DBInstanceStatus: "creating",
      DBInstanceClass: "db.r7g.large",
    });
    await expect(
      a.send(
        new CreateDBInstanceCommand({
          DBInstanceIdentifier: INSTANCE_A,
          DBClusterIdentifier: CLUSTER_A,
          Engine: "aurora-postgresql",
          DBInstanceClass: "db.r7g.large",
        }),
      ),
    ).rejects.toBeInstanceOf(DBInstanceAlreadyExistsFault);
    await expect(
      a.send(
        new CreateDBInstanceCommand({
          DBInstanceIdentifier: "x",
          DBClusterIdentifier: "nope",
          Engine: "aurora-postgresql",
          DBInstanceClass: "db.r7g.large",
        }),
      ),
    ).rejects.toBeInstanceOf(DBClusterNotFoundFault);

    const connected = await waitFor("A connected", async () => {
      const g = await globalCluster(rds());
      const m = g?.GlobalClusterMembers?.find((x) => x.DBClusterArn === ARN_A);
      return m?.SynchronizationStatus === "connected" ? g : undefined;
    });
    expect(connected.GlobalClusterMembers?.find((m) => m.IsWriter)?.Readers).toEqual([ARN_A]);
    expect((await clusterA(a))?.Status).toBe("available");
    const instances = await waitFor("instance available", async () => {
      const out = await a.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: INSTANCE_A }));
      return out.DBInstances?.[0]?.DBInstanceStatus === "available" ? out.DBInstances : undefined;
    });
    expect(instances[0]).toMatchObject({ DBClusterIdentifier: CLUSTER_A, DBInstanceClass: "db.r7g.large" });
    expect(backend.actions).toContainEqual({ kind: "rebuild-secondary", targetRegion: REGION_A });
    expect(backend.actions.filter((x) => x.kind === "rebuild-secondary")).toHaveLength(1);
    expect(emulator.state.globalCluster?.lastError).toBeUndefined();
  });

  it("a rebuild the backend fails leaves the member pending-resync and says why", async () => {
    const { rds, a, backend, emulator } = await failedOver();
    await deletedA(a);
    backend.failNextAction = new Error("base backup failed");
    await a.send(
      new CreateDBClusterCommand({
        DBClusterIdentifier: CLUSTER_A,
        Engine: "aurora-postgresql",
        GlobalClusterIdentifier: GLOBAL,
      }),
    );
    await waitFor("creation over", async () =>
      (await clusterA(a))?.Status === "available" ? true : undefined,
    );
    const member = (await globalCluster(rds()))?.GlobalClusterMembers?.find((m) => m.DBClusterArn === ARN_A);
    expect(member?.SynchronizationStatus).toBe("pending-resync");
    expect(emulator.state.globalCluster?.lastError).toContain("base backup failed");
  });

  it("a region that is down answers the new operations as it answers the others", async () => {
    const { a, emulator } = await failedOver();
    emulator.regionDown(REGION_A);
    const describe = await a.send(new DescribeDBClustersCommand({})).catch((e: Error) => e);
    const remove = await a
      .send(
        new RemoveFromGlobalClusterCommand({ GlobalClusterIdentifier: GLOBAL, DbClusterIdentifier: ARN_A }),
      )
      .catch((e: Error) => e);
    expect(describe).toBeInstanceOf(Error);
    expect((remove as Error).name).toBe((describe as Error).name);
    emulator.regionDown(REGION_A, false);
    expect((await clusterA(a))?.GlobalClusterIdentifier).toBe(GLOBAL);
  });
});
