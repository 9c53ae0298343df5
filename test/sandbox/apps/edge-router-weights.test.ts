import { ChangeResourceRecordSetsCommand, GetChangeCommand, Route53Client } from "@aws-sdk/client-route-53";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CaseApi } from "../../../src/sandbox/apps/case-api.js";
import { EdgeRouter } from "../../../src/sandbox/apps/edge-router.js";
import { effectiveSplit, WeightedSpread } from "../../../src/sandbox/apps/weighted-spread.js";
import {
  CASE_ZONE,
  caseHostedZone,
  createEmulator,
  defaultTopology,
  type Emulator,
} from "../../../src/sandbox/emulator/index.js";

const A = "us-east-1";
const B = "us-west-2";
const TTL_SECONDS = 2;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const noDatabase = () => {
  throw new Error("no database in this test");
};

describe("weighted spread: Route 53's rules over the On regions", () => {
  it("splits by weight, evenly when all weigh 0, and ignores regions that are Off or have no record", () => {
    const records = (weights: Record<string, number>) => ({ ttlSeconds: 1, weights });
    expect(effectiveSplit([A, B], records({ [A]: 10, [B]: 90 }))).toEqual({ [A]: 0.1, [B]: 0.9 });
    expect(effectiveSplit([A, B], records({ [A]: 0, [B]: 0 }))).toEqual({ [A]: 0.5, [B]: 0.5 });
    // B's routing control Off: its weight does not count; A alone answers even at weight 0.
    expect(effectiveSplit([A], records({ [A]: 0, [B]: 100 }))).toEqual({ [A]: 1 });
    expect(effectiveSplit([A, B], undefined)).toEqual({ [A]: 1 });
    expect(effectiveSplit([], records({ [A]: 1 }))).toEqual({});
    const spread = new WeightedSpread();
    const picks = Array.from({ length: 100 }, () => spread.pick([A, B], records({ [A]: 10, [B]: 90 })));
    expect(picks.filter((p) => p === A)).toHaveLength(10);
  });
});

/**
 * The edge over real case-apis, reading the emulator's Route 53 answers as the sandbox
 * does, with the weights changed through the real SDK; real time, so the TTL is real.
 */
describe("edge router: spreads clients by the Route 53 weights and honours their TTL", () => {
  const east = new CaseApi({ region: A, resolveWriter: noDatabase });
  const west = new CaseApi({ region: B, resolveWriter: noDatabase });
  let emulator: Emulator;
  let edge: EdgeRouter;
  let r53: Route53Client;

  beforeAll(async () => {
    await Promise.all([east.start(), west.start()]);
    emulator = await createEmulator({
      topology: {
        ...defaultTopology([A, B]),
        route53: { hostedZones: [caseHostedZone([A, B], TTL_SECONDS)], changePropagationMs: 200 },
      },
      evaluationIntervalMs: 100_000,
    });
    r53 = new Route53Client({
      region: A,
      endpoint: emulator.url,
      credentials: { accessKeyId: "AKIDSANDBOX", secretAccessKey: "test" },
    });
    edge = new EdgeRouter({
      regions: { [A]: east.url, [B]: west.url },
      activeRegions: async () => [A, B],
      weightedRecords: async () => emulator.route53.weightedAnswer(CASE_ZONE.recordName),
      ttlMs: 100,
    });
    await edge.start();
  });
  afterAll(async () => {
    await edge?.stop();
    await emulator?.close();
    await Promise.all([east.stop(), west.stop()]);
  });

  /** Sets the weights in one change and returns when GetChange says INSYNC. */
  const setWeights = async (weights: Record<string, number>): Promise<number> => {
    const out = await r53.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: CASE_ZONE.hostedZoneId,
        ChangeBatch: {
          Changes: Object.entries(weights).map(([region, weight]) => ({
            Action: "UPSERT",
            ResourceRecordSet: {
              Name: CASE_ZONE.recordName,
              Type: "CNAME",
              SetIdentifier: region,
              Weight: weight,
              TTL: TTL_SECONDS,
              ResourceRecords: [{ Value: `case-api.${region}.sandbox.internal` }],
            },
          })),
        },
      }),
    );
    for (;;) {
      const status = await r53.send(new GetChangeCommand({ Id: out.ChangeInfo?.Id }));
      if (status.ChangeInfo?.Status === "INSYNC") return Date.now();
      await sleep(25);
    }
  };
  /** Percent of `n` requests through the edge served by region A. */
  const shareOfA = async (n: number): Promise<number> => {
    const regions = await Promise.all(
      Array.from({ length: n }, async () => (await fetch(`${edge.url}/health`)).headers.get("x-region")),
    );
    expect(regions.every((r) => r === A || r === B)).toBe(true);
    return (100 * regions.filter((r) => r === A).length) / n;
  };

  it("starts with everything in A (weights 100 / 0)", async () => {
    expect(await shareOfA(20)).toBe(100);
  });

  it("a 10/90 split sends about 10% to A; 50/50 about half (within 5 points)", async () => {
    await setWeights({ [A]: 10, [B]: 90 });
    await sleep(TTL_SECONDS * 1000 + 100);
    const tenNinety = await shareOfA(200);
    expect(Math.abs(tenNinety - 10)).toBeLessThanOrEqual(5);
    await setWeights({ [A]: 50, [B]: 50 });
    await sleep(TTL_SECONDS * 1000 + 100);
    const half = await shareOfA(200);
    expect(Math.abs(half - 50)).toBeLessThanOrEqual(5);
    console.log(`measured split: 10/90 → A ${tenNinety}%, 50/50 → A ${half}%`);
  });

  it("after a change, the old split lasts until the cached answer's TTL ends, then the new one holds within TTL + 1 s", async () => {
    await sleep(TTL_SECONDS * 1000 + 100); // the 50/50 answer cached earlier has expired
    const cachedAt = Date.now();
    const reads = edge.stats().dnsLookups;
    await shareOfA(10); // the edge reads and caches the 50/50 answer now, for TTL_SECONDS
    expect(edge.stats().dnsLookups).toBe(reads + 1);
    const insyncAt = await setWeights({ [A]: 0, [B]: 100 });
    const lookupsBefore = edge.stats().dnsLookups;
    // Within the TTL of the cached answer: still 50/50, and the records were not read again.
    expect(Math.abs((await shareOfA(40)) - 50)).toBeLessThanOrEqual(5);
    expect(Date.now() - cachedAt).toBeLessThan(TTL_SECONDS * 1000);
    expect(edge.stats().dnsLookups).toBe(lookupsBefore);
    let switchedAt: number | undefined;
    while (Date.now() - insyncAt < (TTL_SECONDS + 1) * 1000) {
      if ((await shareOfA(10)) === 0) {
        switchedAt = Date.now();
        break;
      }
      await sleep(50);
    }
    expect(switchedAt).toBeDefined();
    // Not before the cached answer expired, and within TTL + 1 s of INSYNC.
    expect((switchedAt ?? 0) - cachedAt).toBeGreaterThanOrEqual(TTL_SECONDS * 1000);
    expect((switchedAt ?? 0) - insyncAt).toBeLessThanOrEqual((TTL_SECONDS + 1) * 1000);
    console.log(
      `TTL ${TTL_SECONDS} s: new split ${(switchedAt ?? 0) - insyncAt} ms after INSYNC, ${(switchedAt ?? 0) - cachedAt} ms after the old answer was cached`,
    );
    expect(await shareOfA(40)).toBe(0);
  });

  it("only the On regions count: with B Off, A takes everything even at weight 0", async () => {
    const onlyA = new EdgeRouter({
      regions: { [A]: east.url, [B]: west.url },
      activeRegions: async () => [A],
      weightedRecords: async () => emulator.route53.weightedAnswer(CASE_ZONE.recordName),
    });
    await onlyA.start();
    try {
      const res = await Promise.all(Array.from({ length: 10 }, () => fetch(`${onlyA.url}/health`)));
      expect(res.map((r) => r.headers.get("x-region"))).toEqual(Array(10).fill(A));
    } finally {
      await onlyA.stop();
    }
  });
});
