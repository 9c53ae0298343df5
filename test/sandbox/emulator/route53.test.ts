import {
  type Change,
  ChangeResourceRecordSetsCommand,
  GetChangeCommand,
  GetHostedZoneCommand,
  InvalidChangeBatch,
  InvalidInput,
  ListHostedZonesByNameCommand,
  ListResourceRecordSetsCommand,
  NoSuchChange,
  NoSuchHostedZone,
  PriorRequestNotComplete,
  Route53Client,
} from "@aws-sdk/client-route-53";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  CASE_ZONE,
  caseHostedZone,
  defaultTopology,
  type Emulator,
} from "../../../src/sandbox/emulator/index.js";
import { clientConfig, REGION_A, REGION_B, startEmulator, waitFor } from "./helpers.js";

const ZONE = CASE_ZONE.hostedZoneId;
const RECORD = `${CASE_ZONE.recordName}.`;
const PROPAGATION_MS = 300;

const weighted = (region: string, weight: number, action: Change["Action"] = "UPSERT"): Change => ({
  Action: action,
  ResourceRecordSet: {
    Name: CASE_ZONE.recordName,
    Type: "CNAME",
    SetIdentifier: region,
    Weight: weight,
    TTL: 1,
    ResourceRecords: [{ Value: `case-api.${region}.sandbox.internal` }],
  },
});

describe("Route 53 (rest-xml) through the real SDK", () => {
  let emulator: Emulator;
  let r53: Route53Client;
  const change = (changes: Change[]) =>
    r53.send(new ChangeResourceRecordSetsCommand({ HostedZoneId: ZONE, ChangeBatch: { Changes: changes } }));
  const records = async () =>
    (await r53.send(new ListResourceRecordSetsCommand({ HostedZoneId: ZONE }))).ResourceRecordSets ?? [];
  const weightsNow = async () =>
    Object.fromEntries(
      (await records()).filter((r) => r.Name === RECORD).map((r) => [r.SetIdentifier, r.Weight]),
    );
  const insync = async (id: string) =>
    waitFor("INSYNC", async () => {
      const out = await r53.send(new GetChangeCommand({ Id: id }));
      return out.ChangeInfo?.Status === "INSYNC" ? true : undefined;
    });

  beforeAll(async () => {
    const regions: [string, string] = [REGION_A, REGION_B];
    emulator = await startEmulator({
      topology: {
        ...defaultTopology(regions),
        route53: { hostedZones: [caseHostedZone(regions)], changePropagationMs: PROPAGATION_MS },
      },
    });
    r53 = new Route53Client(clientConfig(emulator.url, REGION_A));
  });
  afterAll(() => emulator.close());
  beforeEach(async () => {
    // Each test starts from the topology, with no change still propagating.
    emulator.route53.reset();
    emulator.throttle("route53", undefined);
  });

  it("ListHostedZonesByName finds the private zone; GetHostedZone describes it with its VPCs", async () => {
    const list = await r53.send(new ListHostedZonesByNameCommand({ DNSName: "case.internal" }));
    expect(list.HostedZones).toEqual([
      {
        Id: `/hostedzone/${ZONE}`,
        Name: "case.internal.",
        CallerReference: expect.any(String),
        Config: { Comment: expect.any(String), PrivateZone: true },
        ResourceRecordSetCount: 4,
      },
    ]);
    expect(list).toMatchObject({ DNSName: "case.internal.", IsTruncated: false, MaxItems: 100 });
    // A name sorting after every zone finds none.
    const after = await r53.send(new ListHostedZonesByNameCommand({ DNSName: "zzz" }));
    expect(after.HostedZones).toEqual([]);

    const zone = await r53.send(new GetHostedZoneCommand({ Id: `/hostedzone/${ZONE}` }));
    expect(zone.HostedZone?.Id).toBe(`/hostedzone/${ZONE}`);
    expect(zone.VPCs?.map((v) => v.VPCRegion)).toEqual([REGION_A, REGION_B]);
    expect(zone.DelegationSet).toBeUndefined();
  });

  it("GetHostedZone of an unknown zone → NoSuchHostedZone (404) naming the id", async () => {
    const error = await r53.send(new GetHostedZoneCommand({ Id: "Z404NOPE" })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NoSuchHostedZone);
    expect((error as NoSuchHostedZone).message).toBe("No hosted zone found with ID: Z404NOPE");
    expect((error as NoSuchHostedZone).$metadata.httpStatusCode).toBe(404);
  });

  it("ListResourceRecordSets: SOA, NS, then the weighted sets, in AWS's order, paged by name/type/identifier", async () => {
    const all = await records();
    expect(all.map((r) => [r.Name, r.Type, r.SetIdentifier])).toEqual([
      ["case.internal.", "NS", undefined],
      ["case.internal.", "SOA", undefined],
      [RECORD, "CNAME", REGION_A],
      [RECORD, "CNAME", REGION_B],
    ]);
    expect(all[2]).toEqual({
      Name: RECORD,
      Type: "CNAME",
      SetIdentifier: REGION_A,
      Weight: 100,
      TTL: 1,
      ResourceRecords: [{ Value: `case-api.${REGION_A}.sandbox.internal` }],
    });
    const first = await r53.send(
      new ListResourceRecordSetsCommand({
        HostedZoneId: ZONE,
        StartRecordName: CASE_ZONE.recordName,
        MaxItems: 1,
      }),
    );
    expect(first.ResourceRecordSets?.map((r) => r.SetIdentifier)).toEqual([REGION_A]);
    expect(first).toMatchObject({
      IsTruncated: true,
      NextRecordName: RECORD,
      NextRecordType: "CNAME",
      NextRecordIdentifier: REGION_B,
    });
    const next = await r53.send(
      new ListResourceRecordSetsCommand({
        HostedZoneId: ZONE,
        StartRecordName: first.NextRecordName,
        StartRecordType: first.NextRecordType,
        StartRecordIdentifier: first.NextRecordIdentifier,
        MaxItems: 1,
      }),
    );
    expect(next.ResourceRecordSets?.map((r) => r.SetIdentifier)).toEqual([REGION_B]);
    expect(next.IsTruncated).toBe(false);
    const typeWithoutName = await r53
      .send(new ListResourceRecordSetsCommand({ HostedZoneId: ZONE, StartRecordType: "A" }))
      .catch((e: unknown) => e);
    expect(typeWithoutName).toBeInstanceOf(InvalidInput);
  });

  it("ChangeResourceRecordSets applies UPSERTs atomically: PENDING with a /change/C… id, then INSYNC", async () => {
    const out = await change([weighted(REGION_A, 10), weighted(REGION_B, 90)]);
    expect(out.ChangeInfo?.Id).toMatch(/^\/change\/C[A-Z0-9]{13}$/);
    expect(out.ChangeInfo?.Status).toBe("PENDING");
    expect(out.ChangeInfo?.SubmittedAt).toBeInstanceOf(Date);
    // The zone shows the new weights at once; the DNS answers only once INSYNC.
    expect(await weightsNow()).toEqual({ [REGION_A]: 10, [REGION_B]: 90 });
    expect(emulator.route53.weightedAnswer(CASE_ZONE.recordName)?.weights).toEqual({
      [REGION_A]: 100,
      [REGION_B]: 0,
    });
    const pending = await r53.send(new GetChangeCommand({ Id: out.ChangeInfo?.Id }));
    expect(pending.ChangeInfo?.Status).toBe("PENDING");
    const started = Date.now();
    await insync(out.ChangeInfo?.Id ?? "");
    expect(Date.now() - started).toBeLessThan(PROPAGATION_MS + 500);
    expect(emulator.route53.weightedAnswer(CASE_ZONE.recordName)).toEqual({
      ttlSeconds: 1,
      weights: { [REGION_A]: 10, [REGION_B]: 90 },
    });
  });

  it("a second change while the first is PENDING → PriorRequestNotComplete, and nothing changes", async () => {
    const first = await change([weighted(REGION_A, 50), weighted(REGION_B, 50)]);
    const error = await change([weighted(REGION_A, 0)]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PriorRequestNotComplete);
    expect((error as Error).message).toMatch(/still processing a prior request/);
    expect(await weightsNow()).toEqual({ [REGION_A]: 50, [REGION_B]: 50 });
    await insync(first.ChangeInfo?.Id ?? "");
    await change([weighted(REGION_A, 0)]);
    expect(await weightsNow()).toEqual({ [REGION_A]: 0, [REGION_B]: 50 });
  });

  it("InvalidChangeBatch: DELETE of a missing set, CREATE of an existing one, a weight without SetIdentifier; all or nothing", async () => {
    const refused = async (changes: Change[]) => {
      const e = await change(changes).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(InvalidChangeBatch);
      expect((e as InvalidChangeBatch).$metadata.httpStatusCode).toBe(400);
      return (e as Error).message;
    };
    expect(await refused([weighted("eu-west-1", 5, "DELETE")])).toBe(
      `[Tried to delete resource record set [name='${RECORD}', type='CNAME', set-identifier='eu-west-1'] but it was not found]`,
    );
    expect(await refused([weighted(REGION_A, 100, "CREATE")])).toBe(
      `[Tried to create resource record set [name='${RECORD}', type='CNAME', set-identifier='${REGION_A}'] but it already exists]`,
    );
    const noIdentifier = weighted(REGION_A, 5);
    delete noIdentifier.ResourceRecordSet?.SetIdentifier;
    expect(await refused([noIdentifier])).toBe(
      `[Invalid request: Missing field 'SetIdentifier' in Change with [Action=UPSERT, Name=${RECORD}, Type=CNAME, SetIdentifier=null]]`,
    );
    // A valid change with an invalid one: neither is applied, and both problems are told.
    const both = await refused([weighted(REGION_B, 77), weighted(REGION_A, 1, "DELETE")]);
    expect(both).toMatch(/values provided do not match the current values/);
    expect(await weightsNow()).toEqual({ [REGION_A]: 100, [REGION_B]: 0 });
    const outside = await refused([
      {
        Action: "CREATE",
        ResourceRecordSet: {
          Name: "api.other.example",
          Type: "A",
          TTL: 60,
          ResourceRecords: [{ Value: "10.0.0.1" }],
        },
      },
    ]);
    expect(outside).toBe("[RRSet with DNS name api.other.example. is not permitted in zone case.internal.]");
    expect(emulator.mutatingCalls().map((c) => c.outcome)).toEqual(
      expect.arrayContaining(["InvalidChangeBatch"]),
    );
  });

  it("a weight outside 0..255 or an unknown action is InvalidInput; DELETE and CREATE replace a set", async () => {
    const tooHeavy = await change([weighted(REGION_A, 300)]).catch((e: unknown) => e);
    expect(tooHeavy).toBeInstanceOf(InvalidInput);
    expect((tooHeavy as Error).message).toMatch(/less than or equal to 255/);
    const bogus = await change([{ ...weighted(REGION_A, 1), Action: "BOGUS" as never }]).catch(
      (e: unknown) => e,
    );
    expect(bogus).toBeInstanceOf(InvalidInput);
    expect((bogus as Error).message).toMatch(
      /Member must satisfy enum value set: \[DELETE, CREATE, UPSERT\]/,
    );
    const replaced = await change([
      weighted(REGION_B, 0, "DELETE"),
      {
        ...weighted(REGION_B, 0, "CREATE"),
        ResourceRecordSet: { ...weighted(REGION_B, 0).ResourceRecordSet!, TTL: 30 },
      },
    ]);
    expect(replaced.ChangeInfo?.Status).toBe("PENDING");
    expect((await records()).find((r) => r.SetIdentifier === REGION_B)?.TTL).toBe(30);
  });

  it("NoSuchHostedZone for a change to a missing zone; NoSuchChange for an unknown change id", async () => {
    const zone = await r53
      .send(
        new ChangeResourceRecordSetsCommand({
          HostedZoneId: "ZMISSING",
          ChangeBatch: { Changes: [weighted(REGION_A, 1)] },
        }),
      )
      .catch((e: unknown) => e);
    expect(zone).toBeInstanceOf(NoSuchHostedZone);
    const missing = await r53
      .send(new GetChangeCommand({ Id: "/change/CNOSUCHCHANGE1" }))
      .catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(NoSuchChange);
    expect((missing as NoSuchChange).$metadata.httpStatusCode).toBe(404);
  });

  it("throttled → Throttling (400), which the SDK classifies as throttling and retries", async () => {
    emulator.throttle("route53", 0.001);
    // The bucket starts with one token: the first call passes, the next is refused.
    await r53.send(new GetHostedZoneCommand({ Id: ZONE }));
    const error = await r53
      .send(new ListResourceRecordSetsCommand({ HostedZoneId: ZONE }))
      .catch((e: unknown) => e);
    expect((error as Error).name).toBe("Throttling");
    expect((error as { $metadata: { httpStatusCode: number } }).$metadata.httpStatusCode).toBe(400);
    expect(emulator.calls.at(-1)).toMatchObject({
      service: "route53",
      operation: "ListResourceRecordSets",
      outcome: "Throttling",
    });
    const retrying = new Route53Client({ ...clientConfig(emulator.url), maxAttempts: 2 });
    const retried = await retrying.send(new GetHostedZoneCommand({ Id: ZONE })).catch((e: unknown) => e);
    expect((retried as { $metadata: { attempts: number } }).$metadata.attempts).toBe(2);
  });
});
