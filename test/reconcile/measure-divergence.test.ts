import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { measureDivergence } from "../../src/reconcile/measure-divergence.js";
import { replayLostWrites } from "../../src/reconcile/replay-lost-writes.js";
import { CaseApi } from "../../src/sandbox/apps/case-api.js";
import { listCaseIds } from "../../src/sandbox/apps/case-store.js";
import { EdgeRouter } from "../../src/sandbox/apps/edge-router.js";
import { PostgresPair } from "../../src/sandbox/postgres/postgres-pair.js";
import { analyzeTraffic } from "../../src/sandbox/traffic/traffic-analysis.js";
import { TrafficGenerator } from "../../src/sandbox/traffic/traffic-generator.js";
import { readTrafficLog } from "../../src/sandbox/traffic/traffic-log.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const signal = () => AbortSignal.timeout(30_000);

/**
 * Reconciliation on real PostgreSQL: a lossy failover under client traffic (replication
 * paused, region A lost, B promoted), then A back, fenced. What the diff reports lost must be
 * what the clients were told was written and is not in B, key by key; its RPO must match the
 * window of those writes.
 */
describe("measureDivergence after a lossy failover", () => {
  let baseDir: string;
  let pair: PostgresPair;
  let apis: Record<string, CaseApi>;
  let edge: EdgeRouter;
  let active = "A";
  const url = (region: string) => {
    const a = pair.address(region);
    const c = pair.appCredentials;
    return `postgres://${c.user}:${c.password}@${a.host}:${a.port}/${c.database}`;
  };

  beforeAll(async () => {
    baseDir = await mkdtemp(join(tmpdir(), "runbook-reconcile-"));
    pair = new PostgresPair({ baseDir });
    await pair.start();
    apis = {
      A: new CaseApi({ region: "A", resolveWriter: () => pair.primary() }),
      B: new CaseApi({ region: "B", resolveWriter: () => pair.primary() }),
    };
    await Promise.all(Object.values(apis).map((api) => api.start()));
    edge = new EdgeRouter({
      regions: Object.fromEntries(Object.entries(apis).map(([region, api]) => [region, api.url])),
      activeRegion: async () => active,
      ttlMs: 200,
    });
    await edge.start();
  }, 60_000);

  afterAll(async () => {
    await edge?.stop();
    await Promise.all(Object.values(apis ?? {}).map((api) => api.stop()));
    await pair?.stop();
    if (baseDir) await rm(baseDir, { recursive: true, force: true });
  });

  it("lists exactly the acknowledged writes lost, and an RPO within 200 ms of their window", async () => {
    const logPath = join(baseDir, "traffic.jsonl");
    const traffic = new TrafficGenerator({ targetUrl: edge.url, logPath, ratePerSecond: 20 });
    traffic.start();
    await sleep(1_000);
    await pair.pauseReplay();
    await sleep(2_000);
    await apis.A?.setDown(true);
    await pair.stopRegion("A");
    await sleep(300);
    await pair.promote("B");
    await pair.fence("A");
    active = "B";
    await sleep(1_000);
    await traffic.stop();

    const log = await readTrafficLog(logPath);
    const analysis = analyzeTraffic(log, await listCaseIds(pair.primary(), pair.credentials));
    expect(analysis.lostWrites.length).toBeGreaterThanOrEqual(20);

    // Region A is back, as the failover left it: fenced, holding what never replicated.
    await pair.startRegion("A");
    const report = await measureDivergence(
      {
        oldPrimary: url("A"),
        promoted: url("B"),
        tables: [{ name: "cases", key: "id", updatedAt: "created_at" }],
      },
      signal(),
    );

    const acked = new Set(log.flatMap((e) => (e.kind === "ack" ? [e.caseId] : [])));
    const reported = report.lostWrites.map((w) => w.key);
    const ackedLost = analysis.lostWrites.map((w) => w.caseId).sort();
    expect(reported.filter((k) => acked.has(k)).sort()).toEqual(ackedLost);
    // Beyond them only writes A committed but never answered (in flight when it died).
    const unanswered = reported.filter((k) => !acked.has(k));
    expect(unanswered.length).toBeLessThanOrEqual(3);
    const onA = await listCaseIds(pair.address("A"), pair.credentials);
    const onB = await listCaseIds(pair.address("B"), pair.credentials);
    for (const key of reported) {
      expect(onA.has(key)).toBe(true);
      expect(onB.has(key)).toBe(false);
    }
    expect(report.conflicts).toBe(0);
    expect(report.replayPlan.map((e) => e.key).sort()).toEqual([...reported].sort());
    // Commit times are the rows' own, inside the window the clients saw (acks come after commits).
    const firstAck = analysis.lostWrites[0]!.ackAt;
    const lastAck = analysis.lostWrites.at(-1)!.ackAt;
    for (const w of report.lostWrites.filter((x) => acked.has(x.key))) {
      expect(Date.parse(w.committedAt!)).toBeGreaterThanOrEqual(firstAck - 1_000);
      expect(Date.parse(w.committedAt!)).toBeLessThanOrEqual(lastAck);
    }
    console.info("reconciled:", {
      rpoMs: report.rpoMs,
      heartbeatRpoMs: report.heartbeat.rpoMs,
      lostWindowMs: analysis.lostWindowMs,
      lost: reported.length,
      ackedLost: ackedLost.length,
    });
    expect(Math.abs(report.rpoMs - analysis.lostWindowMs!)).toBeLessThanOrEqual(200);
    expect(report.heartbeat.lost).toBeGreaterThan(0);
    expect(Date.parse(report.lastReplicatedAt)).toBeLessThan(Date.parse(report.lastCommittedAt));

    // Replaying the plan puts every lost write into B, once: a second replay writes nothing.
    const first = await replayLostWrites(
      {
        oldPrimary: url("A"),
        promoted: url("B"),
        tables: [{ name: "cases", key: "id", updatedAt: "created_at" }],
        plan: report.replayPlan,
      },
      signal(),
    );
    expect(first.applied).toHaveLength(reported.length);
    const onBAfter = await listCaseIds(pair.address("B"), pair.credentials);
    for (const key of ackedLost) expect(onBAfter.has(key)).toBe(true);
    const second = await replayLostWrites(
      {
        oldPrimary: url("A"),
        promoted: url("B"),
        tables: [{ name: "cases", key: "id", updatedAt: "created_at" }],
        plan: report.replayPlan,
      },
      signal(),
    );
    expect(second.applied).toHaveLength(0);
    expect(second.skipped).toHaveLength(reported.length);
    const again = await measureDivergence(
      {
        oldPrimary: url("A"),
        promoted: url("B"),
        tables: [{ name: "cases", key: "id", updatedAt: "created_at" }],
      },
      signal(),
    );
    expect(again.lostWrites).toHaveLength(0);
  }, 120_000);

  it("marks lost writes whose keys the new region wrote again as conflicts, and never replays over them", async () => {
    await pair.reset();
    active = "A";
    const admin = async (region: string, sql: string, args: unknown[] = []) => {
      const client = new pg.Client({ ...pair.address(region), ...pair.credentials });
      await client.connect();
      try {
        return (await client.query(sql, args)).rows;
      } finally {
        await client.end();
      }
    };
    await admin(
      "A",
      `CREATE TABLE accounts (id int PRIMARY KEY, balance int NOT NULL, version int NOT NULL, updated_at timestamptz NOT NULL DEFAULT clock_timestamp());
       INSERT INTO accounts (id, balance, version) SELECT g, 100, 1 FROM generate_series(1, 5) g`,
    );
    await pair.waitForReplication();
    await pair.pauseReplay();
    await sleep(300);
    // On A only: an update of 1 and 2, and a new account 6.
    await admin(
      "A",
      "UPDATE accounts SET balance = balance + 1, version = version + 1, updated_at = clock_timestamp() WHERE id IN (1, 2)",
    );
    await admin("A", "INSERT INTO accounts (id, balance, version) VALUES (6, 600, 1)");
    await sleep(300);
    await pair.stopRegion("A");
    await pair.promote("B");
    await pair.fence("A");
    // The new region writes account 2 again: a conflict with A's lost update.
    await admin(
      "B",
      "UPDATE accounts SET balance = 999, version = version + 5, updated_at = clock_timestamp() WHERE id = 2",
    );
    await pair.startRegion("A");

    const spec = { name: "accounts", key: "id", updatedAt: "updated_at" };
    const settings = { oldPrimary: pgUrl(pair, "A"), promoted: pgUrl(pair, "B"), tables: [spec] };
    const report = await measureDivergence(settings, signal());
    const byKey = Object.fromEntries(report.lostWrites.map((w) => [w.key, w]));
    expect(Object.keys(byKey).sort()).toEqual(["1", "2", "6"]);
    expect(byKey["2"]?.conflict?.rewrittenAt).toBeDefined();
    expect(byKey["1"]?.conflict).toBeUndefined();
    expect(report.conflicts).toBe(1);
    expect(report.replayPlan.map((e) => e.key).sort()).toEqual(["1", "6"]);
    expect(report.tables).toEqual([{ name: "accounts", key: "id", compared: 6, lost: 3, conflicts: 1 }]);

    // Even given the conflicting key, the replay keeps the new region's newer version.
    const result = await replayLostWrites(
      { ...settings, plan: [...report.replayPlan, { table: "accounts", key: "2" }] },
      signal(),
    );
    expect(result.applied.map((a) => a.key).sort()).toEqual(["1", "6"]);
    expect(result.skipped).toEqual([
      { table: "accounts", key: "2", reason: "a newer version is in the promoted database" },
    ]);
    const rows = await admin("B", "SELECT id, balance, version FROM accounts ORDER BY id");
    expect(rows).toEqual([
      { id: 1, balance: 101, version: 2 },
      { id: 2, balance: 999, version: 6 },
      { id: 3, balance: 100, version: 1 },
      { id: 4, balance: 100, version: 1 },
      { id: 5, balance: 100, version: 1 },
      { id: 6, balance: 600, version: 1 },
    ]);

    // A version column alone works too (the whole table is compared): after the replay only the
    // conflict is left, told by its newer version.
    const byVersion = await measureDivergence(
      { ...settings, tables: [{ name: "accounts", key: "id", version: "version" }] },
      signal(),
    );
    expect(byVersion.lostWrites).toEqual([
      { table: "accounts", key: "2", version: "2", conflict: { version: "6" } },
    ]);
    expect(byVersion.replayPlan).toEqual([]);
  }, 120_000);

  it("says which table or column is missing instead of failing vaguely", async () => {
    await expect(
      measureDivergence(
        {
          oldPrimary: pgUrl(pair, "A"),
          promoted: pgUrl(pair, "B"),
          tables: [{ name: "cases", key: "id", updatedAt: "created_at" }],
          heartbeat: { name: "nope", key: "id", at: "written_at" },
        },
        signal(),
      ),
    ).rejects.toThrow(/nope/);
  }, 30_000);
});

function pgUrl(pair: PostgresPair, region: string): string {
  const a = pair.address(region);
  const c = pair.credentials;
  return `postgres://${c.user}:${c.password}@${a.host}:${a.port}/${c.database}`;
}
