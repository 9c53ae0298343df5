import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  ChangeResourceRecordSetsCommand,
  ListResourceRecordSetsCommand,
  type ResourceRecordSet,
  Route53Client,
} from "@aws-sdk/client-route-53";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { route53SetWeights } from "../../executors/route53-set-weights.js";
import { route53Failure } from "../../src/aws/route53-weights.js";
import { classifyError } from "../../src/executor.js";
import {
  CASE_ZONE,
  caseHostedZone,
  createEmulator,
  defaultTopology,
  type Emulator,
  type HostedZoneConfig,
} from "../../src/sandbox/emulator/index.js";
import { contextFor } from "./context.js";

const A = "us-east-1";
const B = "us-west-2";
const RECORD = CASE_ZONE.recordName;
let emulator: Emulator;
let env: ReturnType<typeof contextFor>;
let r53: Route53Client;

async function start(propagationMs: number, zone: HostedZoneConfig = caseHostedZone([A, B])) {
  emulator = await createEmulator({
    topology: {
      ...defaultTopology([A, B]),
      route53: { hostedZones: [zone], changePropagationMs: propagationMs },
    },
    evaluationIntervalMs: 100_000,
  });
  env = contextFor(emulator.url);
  r53 = new Route53Client({
    region: A,
    endpoint: emulator.url,
    credentials: { accessKeyId: "AKIDSANDBOX", secretAccessKey: "test" },
    maxAttempts: 1,
  });
}
afterEach(async () => {
  env?.destroy();
  await emulator?.close();
});

const params = (weights: Record<string, number>, extra: Record<string, unknown> = {}) =>
  route53SetWeights.params.parse({
    hostedZoneId: CASE_ZONE.hostedZoneId,
    recordName: RECORD,
    weights,
    ...extra,
  });
const changes = () => emulator.mutatingCalls().filter((c) => c.operation === "ChangeResourceRecordSets");
const sets = async () =>
  (
    (await r53.send(new ListResourceRecordSetsCommand({ HostedZoneId: CASE_ZONE.hostedZoneId })))
      .ResourceRecordSets ?? []
  ).filter((r) => r.SetIdentifier);
/** B's weighted set, changed directly through the SDK (not by the executor). */
const upsertWestSet = (extra: Partial<ResourceRecordSet>) =>
  r53.send(
    new ChangeResourceRecordSetsCommand({
      HostedZoneId: CASE_ZONE.hostedZoneId,
      ChangeBatch: {
        Changes: [
          {
            Action: "UPSERT",
            ResourceRecordSet: {
              Name: RECORD,
              Type: "CNAME",
              SetIdentifier: B,
              TTL: 1,
              ResourceRecords: [{ Value: `case-api.${B}.sandbox.internal` }],
              ...extra,
            },
          },
        ],
      },
    }),
  );
const failure = async (promise: Promise<unknown>) => {
  const e = await promise.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeDefined();
  return { error: e as Error, class: classifyError(e).class };
};

describe("route53.set-weights through the real SDK against the emulator", () => {
  beforeEach(() => start(400));

  it("changes the weights in one atomic change, keeps each set's other attributes, waits for INSYNC", async () => {
    // B's set carries a health check: the UPSERT must keep it, with its TTL and value.
    await upsertWestSet({ Weight: 0, HealthCheckId: "hc-case-api-west" });
    await new Promise((r) => setTimeout(r, 450));
    emulator.clearCalls();
    const p = params({ [A]: 10, [B]: 90 });
    expect(route53SetWeights.describe(p)).toMatch(
      /ChangeResourceRecordSets on api\.case\.internal in Z0SANDBOXCASE: weights us-east-1 10 \/ us-west-2 90/,
    );
    expect(await route53SetWeights.check!(p, env.ctx)).toMatchObject({
      inPlace: false,
      detail: "weights are us-east-1 100 / us-west-2 0; want us-east-1 10 / us-west-2 90",
    });
    const out = await route53SetWeights.run(p, env.ctx);
    expect(out.changeId).toMatch(/^\/change\/C[A-Z0-9]{13}$/);
    expect(out.ttlSeconds).toBe(1);
    expect(Date.parse(String(out.oldAnswerUntil)) - Date.parse(String(out.insyncAt))).toBe(1000);
    expect(out.weights).toEqual({ [A]: 10, [B]: 90 });
    expect(out.previousWeights).toEqual({ [A]: 100, [B]: 0 });
    expect(changes()).toHaveLength(1);
    expect(changes()[0]?.params).toMatchObject({
      ChangeBatch: { Changes: [{ Action: "UPSERT" }, { Action: "UPSERT" }] },
    });
    expect(env.progress[0]).toMatch(/^change C[A-Z0-9]{13} PENDING, weights us-east-1 10 \/ us-west-2 90$/);
    expect(env.measures).toEqual([{ name: "dns_ttl_ms", value: 1000 }]);
    const west = (await sets()).find((s) => s.SetIdentifier === B);
    expect(west).toEqual({
      Name: `${RECORD}.`,
      Type: "CNAME",
      SetIdentifier: B,
      Weight: 90,
      TTL: 1,
      HealthCheckId: "hc-case-api-west",
      ResourceRecords: [{ Value: `case-api.${B}.sandbox.internal` }],
    });
    expect(emulator.route53.weightedAnswer(RECORD)?.weights).toEqual({ [A]: 10, [B]: 90 });
  });

  it("already in place: check says so with the outputs, and nothing is submitted", async () => {
    const p = route53SetWeights.params.parse({
      zoneName: "case.internal",
      recordName: RECORD,
      weights: { [A]: 100 },
    });
    const check = await route53SetWeights.check!(p, env.ctx);
    expect(check).toMatchObject({ inPlace: true, detail: "weights already us-east-1 100 / us-west-2 0" });
    expect(check?.outputs).toMatchObject({ changeId: null, ttlSeconds: 1 });
    expect(changes()).toHaveLength(0);
  });

  it("a resume mid-wait waits for the change it submitted instead of submitting another", async () => {
    const p = params({ [A]: 50, [B]: 50 });
    const crash = new AbortController();
    const first = contextFor(emulator.url, { signal: crash.signal, scratchDir: env.ctx.scratchDir });
    const running = route53SetWeights.run(p, first.ctx);
    await new Promise((r) => setTimeout(r, 150));
    expect(changes()).toHaveLength(1);
    const submitted = JSON.parse(readFileSync(join(env.ctx.scratchDir, "route53-change.json"), "utf8"));
    crash.abort(new Error("SIGKILL"));
    await expect(running).rejects.toThrow();
    first.destroy();
    // What resume does: check first (the change is still PENDING), then run.
    expect(await route53SetWeights.check!(p, env.ctx)).toMatchObject({
      inPlace: false,
      detail: expect.stringMatching(/still PENDING$/),
    });
    const out = await route53SetWeights.run(p, env.ctx);
    expect(changes()).toHaveLength(1);
    expect(out.changeId).toBe(submitted.changeId);
    expect(out.oldAnswerUntil).toBeDefined();
    expect((await route53SetWeights.check!(p, env.ctx))?.inPlace).toBe(true);
  });

  it("stopped between sending the change and recording its id: resume confirms it with an identical UPSERT and waits", async () => {
    const p = params({ [A]: 20, [B]: 80 });
    // What a kill right after the call leaves: the weights changed, the step's marker without an id.
    await r53.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: CASE_ZONE.hostedZoneId,
        ChangeBatch: {
          Changes: (await sets())
            .filter((x) => x.SetIdentifier)
            .map((x) => ({
              Action: "UPSERT" as const,
              ResourceRecordSet: { ...x, Weight: x.SetIdentifier === A ? 20 : 80 },
            })),
        },
      }),
    );
    const marker = {
      changeId: "",
      zoneId: CASE_ZONE.hostedZoneId,
      recordName: RECORD,
      weights: { [A]: 20, [B]: 80 },
    };
    mkdirSync(env.ctx.scratchDir, { recursive: true });
    writeFileSync(
      join(env.ctx.scratchDir, "route53-change.json"),
      JSON.stringify({ ...marker, submittedAt: new Date().toISOString() }),
    );
    expect(await route53SetWeights.check!(p, env.ctx)).toMatchObject({
      inPlace: false,
      detail: expect.stringMatching(/id never recorded: an identical UPSERT will confirm it$/),
    });
    // Once the first change has propagated (while it is PENDING, Route 53 refuses the next one with
    // PriorRequestNotComplete, retryable), the confirming UPSERT goes through and is waited for.
    await new Promise((r) => setTimeout(r, 500));
    const out = await route53SetWeights.run(p, env.ctx);
    expect(out.weights).toEqual({ [A]: 20, [B]: 80 });
    expect(out.insyncAt).toBeDefined();
    expect(changes().filter((c) => c.outcome === "ok")).toHaveLength(2);
    expect((await sets()).filter((x) => x.SetIdentifier).map((x) => x.Weight)).toEqual([20, 80]);
  });

  it("waitForSync: false returns once the change is accepted, without a time for the old answer", async () => {
    const out = await route53SetWeights.run(params({ [A]: 0, [B]: 100 }, { waitForSync: false }), env.ctx);
    expect(out).toMatchObject({ ttlSeconds: 1, oldAnswerUntil: null, weights: { [A]: 0, [B]: 100 } });
    expect(env.progress).toEqual([]);
  });

  it("fatal, naming the zone, record and identifier: an unknown set identifier, a missing zone, a zone name nobody has", async () => {
    const unknown = await failure(route53SetWeights.check!(params({ "eu-west-1": 5 }), env.ctx));
    expect(unknown.class).toBe("fatal");
    expect(unknown.error.message).toBe(
      'api.case.internal. in zone Z0SANDBOXCASE (case.internal.) has no weighted set "eu-west-1"; its set identifiers are us-east-1, us-west-2',
    );
    const zone = await failure(
      route53SetWeights.run(params({ [A]: 5 }, { hostedZoneId: "ZMISSING" }), env.ctx),
    );
    expect(zone.class).toBe("fatal");
    expect(zone.error.message).toBe(
      "hosted zone ZMISSING (for api.case.internal): NoSuchHostedZone: No hosted zone found with ID: ZMISSING",
    );
    const byName = await failure(
      route53SetWeights.run(
        route53SetWeights.params.parse({
          zoneName: "nope.internal",
          recordName: RECORD,
          weights: { [A]: 1 },
        }),
        env.ctx,
      ),
    );
    expect(byName).toMatchObject({ class: "fatal" });
    expect(byName.error.message).toMatch(/no Route 53 hosted zone is named nope\.internal\./);
    expect(changes()).toHaveLength(0);
  });

  it("Throttling is retryable, naming what was refused", async () => {
    // One token in the bucket, taken by a refused change: every attempt of the executor's is throttled.
    emulator.throttle("route53", 0.001, "ChangeResourceRecordSets");
    await r53
      .send(
        new ChangeResourceRecordSetsCommand({
          HostedZoneId: CASE_ZONE.hostedZoneId,
          ChangeBatch: { Changes: [] },
        }),
      )
      .catch(() => undefined);
    const throttled = await failure(route53SetWeights.run(params({ [A]: 20, [B]: 80 }), env.ctx));
    expect(throttled.class).toBe("retryable");
    expect(throttled.error.message).toMatch(
      /^weights us-east-1 20 \/ us-west-2 80 on api\.case\.internal in zone Z0SANDBOXCASE: Throttling: Rate exceeded$/,
    );
    emulator.throttle("route53", undefined, "ChangeResourceRecordSets");
  });

  it("the parameters are checked before anything is called", () => {
    const bad = [
      { recordName: RECORD, weights: { [A]: 1 } },
      { hostedZoneId: "Z1", zoneName: "x", recordName: RECORD, weights: { [A]: 1 } },
      { hostedZoneId: "Z1", recordName: RECORD, weights: { [A]: 256 } },
      { hostedZoneId: "Z1", recordName: RECORD, weights: {} },
      { hostedZoneId: "Z1", recordName: RECORD, weights: { [A]: 1 }, type: "BOGUS" },
    ];
    for (const p of bad) expect(route53SetWeights.params.safeParse(p).success).toBe(false);
  });
});

describe("route53.set-weights when Route 53 refuses", () => {
  it("PriorRequestNotComplete (a change still PENDING) is retryable", async () => {
    await start(10_000);
    await upsertWestSet({ Weight: 1 });
    const prior = await failure(route53SetWeights.run(params({ [A]: 30 }), env.ctx));
    expect(prior.class).toBe("retryable");
    expect(prior.error.message).toMatch(
      /PriorRequestNotComplete: The request was rejected because Route 53 was still processing a prior request\.$/,
    );
  });

  it("InvalidChangeBatch is fatal, with Route 53's reason", async () => {
    // A set Route 53 would never accept (a CNAME with two values): sending it back is refused.
    const zone = caseHostedZone([A, B]);
    zone.records[1] = { ...zone.records[1]!, values: ["a.sandbox.internal", "b.sandbox.internal"] };
    await start(400, zone);
    const refused = await failure(route53SetWeights.run(params({ [B]: 50 }), env.ctx));
    expect(refused.class).toBe("fatal");
    expect(refused.error.message).toMatch(
      /^weights us-west-2 50 on api\.case\.internal in zone Z0SANDBOXCASE: InvalidChangeBatch: \[RRSet of type CNAME with DNS name api\.case\.internal\. has more than one value/,
    );
  });

  it("a 5xx is retryable; access denied is fatal (the classification, on SDK-shaped errors)", () => {
    const fault = Object.assign(new Error("We encountered an internal error"), {
      name: "InternalFailure",
      $metadata: { httpStatusCode: 500 },
    });
    expect(classifyError(route53Failure(fault, "x")).class).toBe("retryable");
    const denied = Object.assign(new Error("not authorized"), {
      name: "AccessDenied",
      $metadata: { httpStatusCode: 403 },
    });
    expect(classifyError(route53Failure(denied, "x")).class).toBe("fatal");
  });
});
