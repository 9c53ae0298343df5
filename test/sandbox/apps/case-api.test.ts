import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CaseApi } from "../../../src/sandbox/apps/case-api.js";
import { caseApiMetricSource } from "../../../src/sandbox/apps/case-api-metrics.js";
import { listCaseIds } from "../../../src/sandbox/apps/case-store.js";
import type { MetricDatum } from "../../../src/sandbox/emulator/services/cloudwatch-metrics.js";
import { PostgresPair } from "../../../src/sandbox/postgres/postgres-pair.js";
import type { DbAddress } from "../../../src/sandbox/postgres/postgres-server.js";

describe("case-api against a real PostgresPair", () => {
  let baseDir: string;
  let pair: PostgresPair;
  let api: CaseApi;
  // The region's writer endpoint as the test controls it (in the sandbox: RDS's writer endpoint).
  let writerEndpoint: () => DbAddress;

  beforeAll(async () => {
    baseDir = await mkdtemp(join(tmpdir(), "runbook-case-api-"));
    pair = new PostgresPair({ baseDir });
    await pair.start();
    writerEndpoint = () => pair.address("A");
    api = new CaseApi({ region: "A", resolveWriter: () => writerEndpoint() });
    await api.start();
  });

  afterAll(async () => {
    await api?.stop();
    await pair?.stop();
    if (baseDir) await rm(baseDir, { recursive: true, force: true });
  });

  const post = (body: string) =>
    fetch(`${api.url}/cases`, { method: "POST", headers: { "content-type": "application/json" }, body });

  it("serves shallow and deep health", async () => {
    const shallow = await fetch(`${api.url}/health`);
    expect(shallow.status).toBe(200);
    expect(shallow.headers.get("x-region")).toBe("A");
    const deep = await fetch(`${api.url}/health/deep`);
    expect(deep.status).toBe(200);
    expect(await deep.json()).toMatchObject({ status: "ok", writer: pair.address("A") });
  });

  it("creates a case (201 with id), reads it back, and it is in the database and replicated", async () => {
    const created = await post(JSON.stringify({ title: "broken login" }));
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    expect(id).toMatch(/^[0-9a-f-]{36}$/);

    const read = await fetch(`${api.url}/cases/${id}`);
    expect(read.status).toBe(200);
    expect(await read.json()).toMatchObject({ id, region: "A", payload: { title: "broken login" } });

    await pair.waitForReplication();
    expect((await listCaseIds(pair.address("B"), pair.credentials)).has(id)).toBe(true);
    // It connects as the application's own (non-superuser) role, which owns its table.
    const owner = await pair.server("A").query("SELECT tableowner FROM pg_tables WHERE tablename = 'cases'");
    expect(owner).toEqual([{ tableowner: "app" }]);
  });

  it("answers 404 for an unknown case and 400 for a body that is not JSON", async () => {
    expect((await fetch(`${api.url}/cases/00000000-0000-4000-8000-000000000000`)).status).toBe(404);
    expect((await post("{not json")).status).toBe(400);
  });

  it("returns 503 while its writer is fenced, then follows the writer endpoint to the promoted region", async () => {
    const before = api.stats();
    const metrics = caseApiMetricSource([api]);
    await pair.promote("B");
    await pair.fence("A");
    // The endpoint still points at A (DNS not updated yet): writes are refused, as 5xx.
    const refused = await post(JSON.stringify({ title: "during failover" }));
    expect(refused.status).toBe(503);
    expect(await refused.json()).toMatchObject({ detail: expect.stringMatching(/read-only/) });
    expect((await fetch(`${api.url}/health/deep`)).status).toBe(503);

    writerEndpoint = () => pair.address("B");
    const created = await post(JSON.stringify({ title: "after failover" }));
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    expect((await listCaseIds(pair.address("B"), pair.credentials)).has(id)).toBe(true);

    const after = api.stats();
    expect(after.errors5xx - before.errors5xx).toBe(2);
    expect(after.requests - before.requests).toBe(3);
    expect(after.byStatus[201]).toBeGreaterThanOrEqual(2);
    // The same counts as CloudWatch datapoints for this period, then nothing new.
    // Typed as the emulator's MetricDatum: the source plugs into emulator.addMetricSource.
    const byName = (datapoints: MetricDatum[]) =>
      Object.fromEntries(datapoints.map((d) => [d.metricName, d.value]));
    expect(byName(metrics())).toEqual({ RequestCount: 3, HTTPCode_Target_5XX_Count: 2 });
    expect(byName(metrics())).toEqual({ RequestCount: 0, HTTPCode_Target_5XX_Count: 0 });
  });

  it("refuses connections while its region is down, and serves again on the same port", async () => {
    const url = api.url;
    await api.setDown(true);
    await expect(fetch(`${url}/health`)).rejects.toMatchObject({ cause: { code: "ECONNREFUSED" } });
    await api.setDown(false);
    expect(api.url).toBe(url);
    expect((await fetch(`${url}/health`)).status).toBe(200);
  });
});
