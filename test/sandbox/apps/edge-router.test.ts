import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CaseApi } from "../../../src/sandbox/apps/case-api.js";
import { EdgeRouter } from "../../../src/sandbox/apps/edge-router.js";

// Upstreams are real case-api servers; /health does not touch a database, so none is needed here.
const noDatabase = () => {
  throw new Error("no database in this test");
};

describe("edge router: traffic follows the active region, with a resolver-like TTL", () => {
  const east = new CaseApi({ region: "us-east-1", resolveWriter: noDatabase });
  const west = new CaseApi({ region: "us-west-2", resolveWriter: noDatabase });
  let active: string | undefined = "us-east-1";
  let lookupFails = false;
  // The edge's clock, advanced by the tests, so TTL expiry is exact rather than timing-dependent.
  let clock = 1_000_000;
  let edge: EdgeRouter;

  beforeAll(async () => {
    await Promise.all([east.start(), west.start()]);
    edge = new EdgeRouter({
      regions: { "us-east-1": east.url, "us-west-2": west.url },
      activeRegion: async () => {
        if (lookupFails) throw new Error("routing control endpoints unreachable");
        return active;
      },
      ttlMs: 300,
      now: () => clock,
    });
    await edge.start();
  });

  afterAll(async () => {
    await edge?.stop();
    await Promise.all([east.stop(), west.stop()]);
  });

  const servedBy = async () => {
    const response = await fetch(`${edge.url}/health`);
    return { status: response.status, region: response.headers.get("x-region") ?? undefined };
  };

  it("proxies to the active region's service", async () => {
    expect(await servedBy()).toEqual({ status: 200, region: "us-east-1" });
    expect(east.stats().requests).toBeGreaterThanOrEqual(1);
    expect(west.stats().requests).toBe(0);
  });

  it("keeps the cached decision until the TTL expires, then follows the switch", async () => {
    clock += 301;
    expect((await servedBy()).region).toBe("us-east-1");
    active = "us-west-2";
    expect((await servedBy()).region).toBe("us-east-1");
    clock += 299;
    expect((await servedBy()).region).toBe("us-east-1");
    clock += 2;
    expect(await servedBy()).toEqual({ status: 200, region: "us-west-2" });
  });

  it("asks for the routing decision at most once per TTL, even under concurrent requests", async () => {
    clock += 301;
    const before = edge.stats().lookups;
    const responses = await Promise.all(Array.from({ length: 20 }, () => servedBy()));
    expect(responses.every((r) => r.region === "us-west-2")).toBe(true);
    expect(edge.stats().lookups - before).toBe(1);
  });

  it("answers 503 when no region is active", async () => {
    active = undefined;
    clock += 301;
    const response = await fetch(`${edge.url}/health`);
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ error: "no region is active" });
  });

  it("keeps the last decision when the lookup fails", async () => {
    active = "us-east-1";
    clock += 301;
    expect((await servedBy()).region).toBe("us-east-1");
    lookupFails = true;
    clock += 301;
    expect(await servedBy()).toEqual({ status: 200, region: "us-east-1" });
    lookupFails = false;
  });

  it("answers 502 when the active region refuses connections", async () => {
    await east.setDown(true);
    try {
      const response = await fetch(`${edge.url}/health`);
      expect(response.status).toBe(502);
      expect(response.headers.get("x-edge-region")).toBe("us-east-1");
      expect(edge.stats().upstreamFailures).toBeGreaterThanOrEqual(1);
    } finally {
      await east.setDown(false);
    }
  });
});
