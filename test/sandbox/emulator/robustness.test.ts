import { CloudWatchClient, DescribeAlarmsCommand } from "@aws-sdk/client-cloudwatch";
import { DescribeGlobalClustersCommand, RDSClient } from "@aws-sdk/client-rds";
import {
  GetRoutingControlStateCommand,
  Route53RecoveryClusterClient,
  ThrottlingException,
} from "@aws-sdk/client-route53-recovery-cluster";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminClient, type Emulator } from "../../../src/sandbox/emulator/index.js";
import { clientConfig, postQuery, REGION_A, REGION_B, startEmulator } from "./helpers.js";

async function postJson(url: string, target: string, body: string, version = "1.0") {
  const res = await fetch(`${url}/`, {
    method: "POST",
    headers: { "content-type": `application/x-amz-json-${version}`, "x-amz-target": target },
    body,
  });
  return {
    status: res.status,
    errorType: res.headers.get("x-amzn-errortype"),
    json: (await res.json()) as Record<string, unknown>,
  };
}

describe("bad requests get AWS-shaped errors and the emulator keeps serving", () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startEmulator();
  });
  afterAll(() => emulator.close());

  it("malformed JSON → SerializationException", async () => {
    const r = await postJson(emulator.url, "ToggleCustomerAPI.GetRoutingControlState", "{not json");
    expect(r.status).toBe(400);
    expect(r.errorType).toBe("SerializationException");
    expect(r.json.__type).toBe("com.amazonaws.route53recoverycluster#SerializationException");
    expect(emulator.calls.at(-1)?.outcome).toBe("SerializationException");
  });

  it("missing required parameter → ValidationException (JSON) / MissingParameter (Query)", async () => {
    const r = await postJson(emulator.url, "ToggleCustomerAPI.GetRoutingControlState", "{}");
    expect(r.errorType).toBe("ValidationException");
    expect(String(r.json.message)).toContain("RoutingControlArn");
    const q = await postQuery(
      emulator.url,
      { Action: "FailoverGlobalCluster", Version: "2014-10-31" },
      "rds",
    );
    expect(q.status).toBe(400);
    expect(q.text).toContain("<Code>MissingParameter</Code>");
    expect(q.text).toContain("GlobalClusterIdentifier");
  });

  it("unknown operation or target → UnknownOperationException / InvalidAction; no Action → MissingAction", async () => {
    const r = await postJson(emulator.url, "ToggleCustomerAPI.DeleteCluster", "{}");
    expect(r.errorType).toBe("UnknownOperationException");
    const t = await postJson(emulator.url, "NoSuchService_20990101.Do", "{}");
    expect(t.errorType).toBe("UnknownOperationException");
    const q = await postQuery(emulator.url, { Action: "RebootDBInstance", Version: "2014-10-31" }, "rds");
    expect(q.text).toMatch(/<ErrorResponse[^>]*><Error><Type>Sender<\/Type><Code>InvalidAction<\/Code>/);
    const none = await postQuery(emulator.url, { Version: "2014-10-31" }, "rds");
    expect(none.text).toContain("<Code>MissingAction</Code>");
    const wrongType = await postJson(
      emulator.url,
      "ToggleCustomerAPI.GetRoutingControlState",
      '{"RoutingControlArn":5}',
    );
    expect(wrongType.errorType).toBe("ValidationException");
  });

  it("a Query form cannot pollute Object.prototype", async () => {
    const q = await postQuery(
      emulator.url,
      {
        Action: "GetCallerIdentity",
        Version: "2011-06-15",
        "__proto__.polluted": "yes",
        "a.constructor.prototype.b": "x",
      },
      "sts",
    );
    expect(q.status).toBe(200);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).b).toBeUndefined();
  });

  it("still serves real SDK calls after all that", async () => {
    const sts = new STSClient(clientConfig(emulator.url));
    expect((await sts.send(new GetCallerIdentityCommand({}))).Account).toBe("111111111111");
  });
});

describe("faults: throttling, region down, admin API", () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startEmulator();
  });
  afterAll(() => emulator.close());

  it("throttled JSON service → ThrottlingException (429), classified as throttling by the SDK", async () => {
    emulator.throttle("route53-recovery-cluster", 1);
    const arc = new Route53RecoveryClusterClient(clientConfig(emulator.arcEndpoints[0] ?? ""));
    const arn = emulator.routingControlArn(`cell-${REGION_A}`);
    const results = await Promise.allSettled(
      // 1 token in the bucket, refilled at 1/s: of 6 near-simultaneous calls at most 2 pass
      // even on a machine slow enough to spread them over a second.
      Array.from({ length: 6 }, () =>
        arc.send(new GetRoutingControlStateCommand({ RoutingControlArn: arn })),
      ),
    );
    const rejected = results
      .filter((r): r is PromiseRejectedResult => r.status === "rejected")
      .map((r) => r.reason);
    expect(rejected.length).toBeGreaterThanOrEqual(4);
    expect(rejected[0]).toBeInstanceOf(ThrottlingException);
    expect(rejected[0].$metadata.httpStatusCode).toBe(429);
    // The SDK's retry strategy recognises it as retryable throttling: one send, two attempts.
    // A near-zero rate so no token comes back during the retry's backoff (the first call takes the only one).
    emulator.throttle("route53-recovery-cluster", 0.001);
    await arc.send(new GetRoutingControlStateCommand({ RoutingControlArn: arn }));
    const before = emulator.calls.filter((c) => c.outcome === "ThrottlingException").length;
    const retrying = new Route53RecoveryClusterClient({
      ...clientConfig(emulator.arcEndpoints[0] ?? ""),
      maxAttempts: 2,
    });
    await expect(
      retrying.send(new GetRoutingControlStateCommand({ RoutingControlArn: arn })),
    ).rejects.toBeInstanceOf(ThrottlingException);
    expect(emulator.calls.filter((c) => c.outcome === "ThrottlingException").length - before).toBe(2);
    emulator.throttle("route53-recovery-cluster", undefined);
    await arc.send(new GetRoutingControlStateCommand({ RoutingControlArn: arn }));
  });

  it("throttled Query service → Throttling; per-operation throttles leave other operations alone", async () => {
    emulator.throttle("rds", 0.001, "DescribeGlobalClusters");
    const rds = new RDSClient(clientConfig(emulator.url));
    await rds.send(new DescribeGlobalClustersCommand({})); // the one token in the bucket
    const error = await rds.send(new DescribeGlobalClustersCommand({})).catch((e: unknown) => e as Error);
    expect((error as Error).name).toBe("Throttling");
    const cw = new CloudWatchClient(clientConfig(emulator.url));
    emulator.throttle("monitoring", 0.001);
    await cw.send(new DescribeAlarmsCommand({}));
    const cwError = await cw.send(new DescribeAlarmsCommand({})).catch((e: unknown) => e as Error);
    expect((cwError as Error).name).toBe("Throttling"); // query-compatible JSON client reads the Query code
    emulator.throttle("monitoring", undefined);
    emulator.throttle("rds", undefined, "DescribeGlobalClusters");
  });

  it("a region down drops connections for that region only", async () => {
    emulator.regionDown(REGION_A);
    const a = new STSClient(clientConfig(emulator.url, REGION_A));
    const error = await a
      .send(new GetCallerIdentityCommand({}))
      .catch((e: unknown) => e as NodeJS.ErrnoException);
    expect(["ECONNRESET", "EPIPE", "ECONNREFUSED"]).toContain((error as NodeJS.ErrnoException).code);
    expect(emulator.calls.at(-1)).toMatchObject({
      service: "sts",
      operation: "GetCallerIdentity",
      outcome: "RegionDown",
    });
    const b = new STSClient(clientConfig(emulator.url, REGION_B));
    expect((await b.send(new GetCallerIdentityCommand({}))).Account).toBe("111111111111");
    emulator.regionDown(REGION_A, false);
    expect((await a.send(new GetCallerIdentityCommand({}))).Account).toBe("111111111111");
  });

  it("the admin API shows state and calls, and applies faults from another process", async () => {
    const state = (await (await fetch(`${emulator.url}/_sandbox/state`)).json()) as {
      regions: string[];
      arc: { routingControls: { name: string; state: string }[] };
      secrets: Record<string, unknown>[];
    };
    expect(state.regions).toEqual([REGION_A, REGION_B]);
    expect(state.arc.routingControls.map((c) => c.state)).toEqual(["On", "Off"]);
    expect(JSON.stringify(state.secrets)).not.toContain("password");

    const fault = await fetch(`${emulator.url}/_sandbox/fault`, {
      method: "POST",
      body: JSON.stringify({ kind: "regionDown", region: REGION_B, down: true }),
    });
    expect(fault.status).toBe(200);
    expect(emulator.state.downRegions.has(REGION_B)).toBe(true);
    // The admin API itself stays reachable while a region is down.
    const undo = await fetch(`${emulator.url}/_sandbox/fault`, {
      method: "POST",
      body: JSON.stringify({ kind: "regionDown", region: REGION_B, down: false }),
    });
    expect(undo.status).toBe(200);
    const bad = await fetch(`${emulator.url}/_sandbox/fault`, { method: "POST", body: '{"kind":"meteor"}' });
    expect(bad.status).toBe(400);
    const typo = await fetch(`${emulator.url}/_sandbox/fault`, {
      method: "POST",
      body: JSON.stringify({ kind: "throttle", service: "cloudwatch", rps: 1 }),
    });
    expect(typo.status).toBe(400);
    expect(await typo.text()).toContain("unknown service cloudwatch");

    const calls = (await (await fetch(`${emulator.url}/_sandbox/calls?mutating=1`)).json()) as unknown[];
    expect(calls).toEqual([]); // nothing in this suite changed state
    const all = (await (await fetch(`${emulator.url}/_sandbox/calls`)).json()) as { operation: string }[];
    expect(all.some((c) => c.operation === "GetCallerIdentity")).toBe(true);
  });

  it("adminClient drives the admin API like a separate CLI process would", async () => {
    const admin = adminClient(emulator.url);
    await admin.fault({ kind: "removeSecret", region: REGION_B, name: "case-api/db" });
    expect([...emulator.state.secrets.keys()]).toEqual([`${REGION_A}/case-api/db`]);
    await admin.fault({ kind: "throttle", service: "sts", rps: 0.001 });
    const sts = new STSClient(clientConfig(emulator.url, REGION_B));
    await sts.send(new GetCallerIdentityCommand({}));
    await expect(sts.send(new GetCallerIdentityCommand({}))).rejects.toMatchObject({ name: "Throttling" });
    await admin.fault({ kind: "throttle", service: "sts" });
    await sts.send(new GetCallerIdentityCommand({}));
    const calls = await admin.calls();
    expect(calls.slice(-3).map((c) => c.outcome)).toEqual(["ok", "Throttling", "ok"]);
    expect(calls.at(-1)?.at).toBeInstanceOf(Date);
    await expect(admin.fault({ kind: "removeSecret", region: REGION_B, name: "ghost" })).rejects.toThrow(
      /no secret ghost/,
    );
    await admin.clearCalls();
    expect(emulator.calls).toEqual([]);
    const state = await admin.state();
    expect(state.accountId).toBe("111111111111");
  });

  it("several emulators run side by side on their own ports", async () => {
    const other = await startEmulator();
    try {
      expect(other.url).not.toBe(emulator.url);
      expect(other.arcEndpoints).not.toEqual(emulator.arcEndpoints);
      other.regionDown(REGION_A);
      const sts = new STSClient(clientConfig(emulator.url, REGION_A));
      expect((await sts.send(new GetCallerIdentityCommand({}))).Account).toBe("111111111111");
    } finally {
      await other.close();
    }
  });
});
