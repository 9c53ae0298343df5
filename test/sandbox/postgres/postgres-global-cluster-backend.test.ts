import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PostgresGlobalClusterBackend } from "../../../src/sandbox/postgres/postgres-global-cluster-backend.js";
import { PostgresPair } from "../../../src/sandbox/postgres/postgres-pair.js";
import { acceptsWrites } from "../../../src/sandbox/postgres/write-fence.js";

const EAST = "us-east-1";
const WEST = "us-west-2";

describe("PostgresGlobalClusterBackend: the emulated global cluster on a real PostgresPair", () => {
  let baseDir: string;
  let pair: PostgresPair;
  let backend: PostgresGlobalClusterBackend;

  beforeAll(async () => {
    baseDir = await mkdtemp(join(tmpdir(), "runbook-pg-backend-"));
    pair = new PostgresPair({ baseDir, regions: [EAST, WEST] });
    await pair.start();
    backend = new PostgresGlobalClusterBackend(pair, { catchUpTimeoutMs: 10_000 });
    await pair.server(EAST).query("CREATE TABLE items (id int PRIMARY KEY)");
  });

  afterAll(async () => {
    await pair?.stop();
    if (baseDir) await rm(baseDir, { recursive: true, force: true });
  });

  const ids = async (region: string): Promise<number[]> =>
    (await pair.server(region).query<{ id: number }>("SELECT id FROM items ORDER BY id")).map((r) => r.id);
  const writer = () => backend.members().find((m) => m.role === "writer")?.region;

  it("reports one writer with the real server address, and a measured lag", async () => {
    expect(backend.members()).toEqual([
      { region: EAST, role: "writer", endpoint: pair.address(EAST) },
      { region: WEST, role: "reader", endpoint: pair.address(WEST) },
    ]);
    expect(await backend.replicationLagMs()).toBeLessThan(500);
    expect(backend.isRegionDown(EAST)).toBe(false);
  });

  it("promote without data loss drains a paused standby before promoting it", async () => {
    await pair.server(EAST).query("INSERT INTO items VALUES (1)");
    await pair.pauseReplay();
    await pair.server(EAST).query("INSERT INTO items VALUES (2)");
    await backend.promote(WEST, { allowDataLoss: false });
    expect(writer()).toBe(WEST);
    expect(await ids(WEST)).toEqual([1, 2]);
    expect(await acceptsWrites(pair.server(WEST))).toBe(true);
    expect(await acceptsWrites(pair.server(EAST))).toBe(false);
  });

  it("switchover swaps roles without loss and keeps the old writer replicating", async () => {
    await pair.rebuildStandby(WEST);
    await pair.server(WEST).query("INSERT INTO items VALUES (3)");
    await backend.switchover(EAST);
    expect(writer()).toBe(EAST);
    expect(await ids(EAST)).toEqual([1, 2, 3]);
    const recovery = await pair.server(WEST).query<{ r: boolean }>("SELECT pg_is_in_recovery() AS r");
    expect(recovery[0]?.r).toBe(true);
    await pair.server(EAST).query("INSERT INTO items VALUES (4)");
    await pair.waitForReplication();
    expect(await ids(WEST)).toEqual([1, 2, 3, 4]);
  });

  it("with the writer's region down: lag unknown, only a lossy failover, and the old writer returns fenced", async () => {
    await pair.pauseReplay();
    await pair.server(EAST).query("INSERT INTO items VALUES (5)");
    await pair.stopRegion(EAST);
    expect(backend.isRegionDown(EAST)).toBe(true);
    expect(await backend.replicationLagMs()).toBeUndefined();
    await expect(backend.promote(WEST, { allowDataLoss: false })).rejects.toThrow(/down/);
    expect(writer()).toBe(EAST);

    await backend.promote(WEST, { allowDataLoss: true });
    expect(writer()).toBe(WEST);
    expect(await ids(WEST)).toEqual([1, 2, 3, 4]);

    await pair.startRegion(EAST);
    expect(await acceptsWrites(pair.server(EAST))).toBe(false);
    expect(await ids(EAST)).toEqual([1, 2, 3, 4, 5]);
  });

  it("after a lossy failover, rebuildStandby re-joins the old writer as a standby of the new one", async () => {
    await pair.rebuildStandby(WEST);
    expect(backend.members().map((m) => [m.region, m.role])).toEqual([
      [EAST, "reader"],
      [WEST, "writer"],
    ]);
    await pair.server(WEST).query("INSERT INTO items VALUES (6)");
    await pair.waitForReplication();
    expect(await ids(EAST)).toEqual([1, 2, 3, 4, 6]);
    expect(await backend.replicationLagMs()).toBeLessThan(500);
  });

  it("reset returns to the initial topology with replication working", async () => {
    const ports = [EAST, WEST].map((r) => pair.address(r).port);
    await pair.reset();
    expect(writer()).toBe(EAST);
    // Rebuilt where they were: what was configured with their addresses (a deployed function) still reaches them.
    expect([EAST, WEST].map((r) => pair.address(r).port)).toEqual(ports);
    await pair.server(EAST).query("CREATE TABLE again (id int)");
    await pair.server(EAST).query("INSERT INTO again VALUES (7)");
    await pair.waitForReplication();
    expect(await pair.server(WEST).query("SELECT id FROM again")).toEqual([{ id: 7 }]);
  });

  it("reset heals faults in place when no failover happened", async () => {
    await pair.pauseReplay();
    await pair.stopRegion(WEST);
    await pair.server(EAST).query("INSERT INTO again VALUES (8)");
    await pair.reset();
    expect(pair.topology().map((m) => [m.region, m.role, m.down, m.replayPaused])).toEqual([
      [EAST, "primary", false, false],
      [WEST, "standby", false, false],
    ]);
    await pair.waitForReplication();
    // Same data directories (the row from before the fault is there), streaming again.
    expect(await pair.server(WEST).query("SELECT id FROM again ORDER BY id")).toEqual([{ id: 7 }, { id: 8 }]);
    expect(await backend.replicationLagMs()).toBeLessThan(500);
  });
});
