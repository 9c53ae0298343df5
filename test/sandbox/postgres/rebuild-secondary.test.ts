import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CreateDBClusterCommand,
  CreateDBInstanceCommand,
  DeleteDBClusterCommand,
  DeleteDBInstanceCommand,
  DescribeDBClustersCommand,
  DescribeGlobalClustersCommand,
  RDSClient,
  RemoveFromGlobalClusterCommand,
} from "@aws-sdk/client-rds";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEmulator, defaultTopology, type Emulator } from "../../../src/sandbox/emulator/index.js";
import { PostgresGlobalClusterBackend } from "../../../src/sandbox/postgres/postgres-global-cluster-backend.js";
import { PostgresPair } from "../../../src/sandbox/postgres/postgres-pair.js";
import { acceptsWrites } from "../../../src/sandbox/postgres/write-fence.js";
import { clientConfig, waitFor } from "../emulator/helpers.js";

const EAST = "us-east-1";
const WEST = "us-west-2";
const GLOBAL = "case-global";
const OLD = `case-${EAST}`;

describe("rebuilding the diverged old primary through the emulated RDS API, on a real PostgresPair", () => {
  let baseDir: string;
  let pair: PostgresPair;
  let emulator: Emulator;
  let east: RDSClient;

  beforeAll(async () => {
    baseDir = await mkdtemp(join(tmpdir(), "runbook-pg-rebuild-"));
    pair = new PostgresPair({ baseDir, regions: [EAST, WEST] });
    await pair.start();
    emulator = await createEmulator({
      topology: defaultTopology([EAST, WEST]),
      backend: new PostgresGlobalClusterBackend(pair),
      rdsTransitionMs: 100,
      evaluationIntervalMs: 100_000,
    });
    east = new RDSClient(clientConfig(emulator.url, EAST, 10_000));
  });

  afterAll(async () => {
    east?.destroy();
    await emulator?.close();
    await pair?.stop();
    if (baseDir) await rm(baseDir, { recursive: true, force: true });
  });

  const ids = async (region: string): Promise<number[]> =>
    (await pair.server(region).query<{ id: number }>("SELECT id FROM items ORDER BY id")).map((r) => r.id);
  const syncOf = async (region: string) => {
    const out = await east.send(new DescribeGlobalClustersCommand({ GlobalClusterIdentifier: GLOBAL }));
    return out.GlobalClusters?.[0]?.GlobalClusterMembers?.find(
      (m) => m.DBClusterArn?.split(":")[3] === region,
    )?.SynchronizationStatus;
  };

  it("a fenced, diverged old primary is pending-resync, readable until CreateDBCluster, then a streaming standby", async () => {
    await pair.server(EAST).query("CREATE TABLE items (id int PRIMARY KEY)");
    await pair.server(EAST).query("INSERT INTO items VALUES (1)");
    await pair.waitForReplication();
    // A write the standby never receives, then the region is lost and the standby promoted.
    await pair.pauseReplay();
    await pair.server(EAST).query("INSERT INTO items VALUES (2)");
    await pair.stopRegion(EAST);
    await pair.fence(EAST);
    await pair.promote(WEST);
    await pair.startRegion(EAST);
    expect(pair.topology().map((m) => [m.region, m.role, m.down])).toEqual([
      [EAST, "fenced", false],
      [WEST, "primary", false],
    ]);
    expect(await syncOf(EAST)).toBe("pending-resync");
    expect(await syncOf(WEST)).toBe("connected");

    const arn = `arn:aws:rds:${EAST}:${emulator.accountId}:cluster:${OLD}`;
    await east.send(
      new RemoveFromGlobalClusterCommand({ GlobalClusterIdentifier: GLOBAL, DbClusterIdentifier: arn }),
    );
    await east.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: `${OLD}-instance-1` }));
    await east.send(
      new DeleteDBClusterCommand({ DBClusterIdentifier: OLD, FinalDBSnapshotIdentifier: `${OLD}-final` }),
    );
    await waitFor("the old cluster deleted", async () =>
      east
        .send(new DescribeDBClustersCommand({ DBClusterIdentifier: OLD }))
        .then(() => undefined)
        .catch(() => true),
    );
    // Removed and deleted in the API, untouched in the data: reconciliation can still read what was lost.
    expect(await ids(EAST)).toEqual([1, 2]);
    expect(await acceptsWrites(pair.server(EAST))).toBe(false);

    await east.send(
      new CreateDBClusterCommand({
        DBClusterIdentifier: OLD,
        Engine: "aurora-postgresql",
        GlobalClusterIdentifier: GLOBAL,
      }),
    );
    await east.send(
      new CreateDBInstanceCommand({
        DBInstanceIdentifier: `${OLD}-instance-1`,
        DBClusterIdentifier: OLD,
        Engine: "aurora-postgresql",
        DBInstanceClass: "db.r6g.large",
      }),
    );
    await waitFor(
      "us-east-1 connected",
      async () => ((await syncOf(EAST)) === "connected" ? true : undefined),
      30_000,
    );
    expect(pair.topology().find((m) => m.region === EAST)).toMatchObject({ role: "standby", down: false });
    const recovery = await pair.server(EAST).query<{ r: boolean }>("SELECT pg_is_in_recovery() AS r");
    expect(recovery[0]?.r).toBe(true);
    expect(await ids(EAST)).toEqual([1]);
    await pair.server(WEST).query("INSERT INTO items VALUES (3)");
    await pair.waitForReplication();
    expect(await ids(EAST)).toEqual([1, 3]);
    expect(emulator.state.globalCluster?.lastError).toBeUndefined();
  });
});
