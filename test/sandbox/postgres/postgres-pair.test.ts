import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type PairStartTimings, PostgresPair } from "../../../src/sandbox/postgres/postgres-pair.js";
import { postmastersFor, processTreeOf } from "../../../src/sandbox/postgres/postgres-processes.js";
import { acceptsWrites } from "../../../src/sandbox/postgres/write-fence.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("PostgresPair: real streaming replication between region A and region B", () => {
  let baseDir: string;
  let pair: PostgresPair;
  let timings: PairStartTimings;

  beforeAll(async () => {
    baseDir = await mkdtemp(join(tmpdir(), "runbook-pg-pair-"));
    pair = new PostgresPair({ baseDir });
    timings = await pair.start();
    await pair.server("A").query("CREATE TABLE items (id int PRIMARY KEY)");
  });

  afterAll(async () => {
    await pair?.stop();
    if (baseDir) await rm(baseDir, { recursive: true, force: true });
  });

  const ids = async (region: string): Promise<number[]> =>
    (await pair.server(region).query<{ id: number }>("SELECT id FROM items ORDER BY id")).map((r) => r.id);

  it("starts both servers well inside the sandbox's 20 s budget", () => {
    console.info("PostgresPair.start timings (ms):", timings);
    expect(timings.totalMs).toBeLessThan(20_000);
    expect(pair.topology().map((m) => [m.region, m.role, m.down])).toEqual([
      ["A", "primary", false],
      ["B", "standby", false],
    ]);
    expect(pair.primary().port).not.toBe(pair.standby()?.port);
  });

  it("replicates a write on A to B, and B refuses writes", async () => {
    await pair.server("A").query("INSERT INTO items VALUES (1), (2)");
    await pair.waitForReplication();
    expect(await ids("B")).toEqual([1, 2]);
    expect(await acceptsWrites(pair.server("B"))).toBe(false);
    expect(await acceptsWrites(pair.server("A"))).toBe(true);
  });

  it("writes heartbeats on the primary every 100 ms and they replicate", async () => {
    const count = async (region: string) =>
      Number((await pair.server(region).query<{ n: string }>("SELECT count(*) AS n FROM heartbeat"))[0]?.n);
    const before = await count("A");
    await sleep(500);
    await pair.waitForReplication();
    expect((await count("A")) - before).toBeGreaterThanOrEqual(3);
    const [onA, onB] = await Promise.all([pair.latestHeartbeatAt("A"), pair.latestHeartbeatAt("B")]);
    expect(onB).toBeDefined();
    expect(Math.abs((onA?.getTime() ?? 0) - (onB?.getTime() ?? 0))).toBeLessThan(1_000);
  });

  it("pauseReplay makes the lag grow; a promotion then loses exactly the writes not replayed", async () => {
    expect(await pair.replayLagMs()).toBeLessThan(500);
    await pair.pauseReplay();
    await pair.server("A").query("INSERT INTO items VALUES (3), (4), (5)");
    const lagEarly = await pair.replayLagMs();
    await sleep(1_200);
    const lagLate = await pair.replayLagMs();
    expect(lagEarly).toBeDefined();
    expect(lagLate).toBeDefined();
    expect((lagLate ?? 0) - (lagEarly ?? 0)).toBeGreaterThan(800);

    const promotionMs = await pair.promote("B");
    console.info(`promotion of B took ${Math.round(promotionMs)} ms`);
    expect(promotionMs).toBeLessThan(5_000);
    await pair.fence("A");

    expect(pair.writer()).toBe("B");
    // The heartbeat RPO covers at least the paused time we measured as lag.
    const rpoMs = await pair.heartbeatRpoMs("A", "B");
    expect(rpoMs).toBeGreaterThanOrEqual((lagLate ?? 0) - 150);
    expect(rpoMs).toBeGreaterThan(800);
    expect(await ids("B")).toEqual([1, 2]);
    expect(await ids("A")).toEqual([1, 2, 3, 4, 5]);
    await pair.server("B").query("INSERT INTO items VALUES (100)");
    expect(await acceptsWrites(pair.server("B"))).toBe(true);

    // The fence: an application session on A (no override) cannot write any more.
    const client = pair.server("A").client();
    await client.connect();
    await expect(client.query("INSERT INTO items VALUES (200)")).rejects.toThrow(/read-only/);
    await client.end();
    expect(pair.topology().find((m) => m.region === "A")?.role).toBe("fenced");
  });

  it("the heartbeat writer follows the new primary", async () => {
    const before = await pair.latestHeartbeatAt("B");
    await sleep(400);
    const after = await pair.latestHeartbeatAt("B");
    expect(after?.getTime()).toBeGreaterThan(before?.getTime() ?? 0);
  });

  it("rebuildStandby makes the old primary a streaming standby of the new one", async () => {
    await pair.rebuildStandby("B");
    const inRecovery = await pair.server("A").query<{ r: boolean }>("SELECT pg_is_in_recovery() AS r");
    expect(inRecovery[0]?.r).toBe(true);
    const senders = await pair
      .server("B")
      .query<{ application_name: string; state: string }>(
        "SELECT application_name, state FROM pg_stat_replication",
      );
    expect(senders).toContainEqual({ application_name: "pg-a", state: "streaming" });
    await pair.server("B").query("INSERT INTO items VALUES (101)");
    await pair.waitForReplication();
    // A's own unreplicated writes (3, 4, 5) are gone: it now has B's history.
    expect(await ids("A")).toEqual([1, 2, 100, 101]);
    expect(pair.standby()?.port).toBe(pair.address("A").port);
  });

  it("stopRegion takes a region's server down for real and startRegion brings it back", async () => {
    await pair.stopRegion("A");
    expect(pair.isRegionDown("A")).toBe(true);
    await expect(pair.server("A").query("SELECT 1", [], 500)).rejects.toThrow();
    expect(await pair.replayLagMs()).toBeUndefined();
    await pair.server("B").query("INSERT INTO items VALUES (102)");
    await pair.startRegion("A");
    expect(pair.isRegionDown("A")).toBe(false);
    await pair.waitForReplication();
    expect(await ids("A")).toContain(102);
  });

  it("stop leaves no postgres process behind", async () => {
    const pids = await Promise.all(["A", "B"].map((r) => pair.server(r).postmasterPid()));
    expect(pids.every((pid) => pid !== undefined)).toBe(true);
    await pair.stop();
    for (const pid of pids) expect(await processTreeOf(pid ?? -1)).toEqual([]);
    expect(await postmastersFor(join(baseDir, "pg-a"))).toEqual([]);
    expect(await postmastersFor(join(baseDir, "pg-b"))).toEqual([]);
  });
});
