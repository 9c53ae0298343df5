import { createServer, type Server } from "node:http";
import {
  GetFunctionCommand,
  LambdaClient,
  ListEventSourceMappingsCommand,
  ResourceNotFoundException,
  TooManyRequestsException,
  UpdateEventSourceMappingCommand,
} from "@aws-sdk/client-lambda";
import {
  ChangeResourceRecordSetsCommand,
  GetHostedZoneCommand,
  Route53Client,
} from "@aws-sdk/client-route-53";
import {
  GetBucketReplicationCommand,
  ListObjectsV2Command,
  NoSuchBucket,
  S3Client,
} from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sdkModuleSync } from "../../../src/aws/sdk-modules.js";
import { Dispatcher } from "../../../src/sandbox/emulator/dispatcher.js";
import type { Emulator } from "../../../src/sandbox/emulator/index.js";
import { matchRoute, routeOf, sortRoutes } from "../../../src/sandbox/emulator/protocols/rest-routes.js";
import { clientConfig, REGION_A, REGION_B, startEmulator } from "./helpers.js";
import { testLambda, testS3 } from "./rest-test-services.js";

const sign = (service: string, region = REGION_A) =>
  `AWS4-HMAC-SHA256 Credential=AKIDRAW/20261127/${region}/${service}/aws4_request, SignedHeaders=host, Signature=00`;

describe("REST routes come from the SDK's operation schemas", () => {
  const routes = (service: string) => {
    const mod = sdkModuleSync(service);
    return sortRoutes(mod.operations.flatMap((op) => routeOf(op, mod.operationSchema(op)) ?? []));
  };
  const s3 = routes("s3");
  const route53 = routes("route-53");
  const match = (all: typeof s3, method: string, url: string) => {
    const u = new URL(url, "http://x");
    const m = matchRoute(all, method, u.pathname, u.searchParams);
    return m && { operation: m.route.operation, labels: m.labels };
  };

  it("the most specific template wins: query literals, then literal path, greedy labels last", () => {
    expect(match(s3, "GET", "/?list-type=2&prefix=a")?.operation).toBe("ListObjectsV2");
    expect(match(s3, "GET", "/?replication")?.operation).toBe("GetBucketReplication");
    expect(match(s3, "GET", "/")?.operation).toBe("ListObjects");
    expect(match(s3, "GET", "/a/b%20c.txt?x-id=GetObject")).toEqual({
      operation: "GetObject",
      labels: { Key: "a/b c.txt" },
    });
    expect(match(route53, "POST", "/2013-04-01/hostedzone/Z0SANDBOXCASE/rrset")).toEqual({
      operation: "ChangeResourceRecordSets",
      labels: { HostedZoneId: "Z0SANDBOXCASE" },
    });
    expect(match(route53, "GET", "/2013-04-01/hostedzone/Z0SANDBOXCASE/rrset")?.operation).toBe(
      "ListResourceRecordSets",
    );
    expect(match(route53, "GET", "/2013-04-01/hostedzonesbyname")?.operation).toBe("ListHostedZonesByName");
    expect(match(route53, "GET", "/2013-04-01/nothing-here")).toBeUndefined();
    expect(match(route53, "PATCH", "/2013-04-01/hostedzone/Z1")).toBeUndefined();
  });
});

describe("the REST layer with services defined from the SDK (rest-json Lambda, rest-xml S3 style)", () => {
  const down = new Set<string>();
  const dispatcher = new Dispatcher([testLambda(), testS3()], {
    defaultRegion: REGION_A,
    isRegionDown: (r) => down.has(r),
  });
  let server: Server;
  let url = "";
  beforeAll(async () => {
    server = createServer(dispatcher.handler("main"));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const lambda = () => new LambdaClient(clientConfig(url, REGION_B));
  const s3 = () => new S3Client({ ...clientConfig(url, REGION_A), forcePathStyle: true });

  it("rest-json: labels, query parameters, JSON bodies and maps both ways; the success code from the schema", async () => {
    const fn = await lambda().send(new GetFunctionCommand({ FunctionName: "case-outbox" }));
    expect(fn.Configuration).toEqual({
      FunctionName: "case-outbox",
      FunctionArn: `arn:aws:lambda:${REGION_B}:111111111111:function:case-outbox`,
      Timeout: 3,
    });
    expect(fn.Tags).toEqual({ team: "case" });
    const list = await lambda().send(
      new ListEventSourceMappingsCommand({ FunctionName: "case-outbox", MaxItems: 5 }),
    );
    expect(list.EventSourceMappings?.map((m) => m.UUID)).toEqual(["esm-1"]);
    expect(list.NextMarker).toBe("max-5");
    const updated = await lambda().send(
      new UpdateEventSourceMappingCommand({ UUID: "esm-1", Enabled: false }),
    );
    expect(updated.State).toBe("Disabled");
    expect(updated.LastModified).toEqual(new Date("2026-12-01T00:00:00Z"));
    expect(updated.$metadata.httpStatusCode).toBe(202);
    expect(dispatcher.log.mutatingCalls().at(-1)).toMatchObject({
      service: "lambda",
      operation: "UpdateEventSourceMapping",
      region: REGION_B,
      params: { UUID: "esm-1", Enabled: false },
      outcome: "ok",
    });
  });

  it("rest-json errors: x-amzn-errortype and { message }, the SDK's own exception class", async () => {
    const error = await lambda()
      .send(new GetFunctionCommand({ FunctionName: "nope" }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResourceNotFoundException);
    expect((error as ResourceNotFoundException).message).toBe("Function not found: nope");
    expect((error as ResourceNotFoundException).Type).toBe("User");
    expect((error as ResourceNotFoundException).$metadata.httpStatusCode).toBe(404);
    const raw = await fetch(`${url}/2015-03-31/functions/nope`, {
      headers: { authorization: sign("lambda") },
    });
    expect(raw.headers.get("x-amzn-errortype")).toBe("ResourceNotFoundException");
    expect(await raw.json()).toEqual({ Type: "User", message: "Function not found: nope" });
  });

  it("rest-xml in S3's style: path-style bucket label, httpPayload structures, query literals, bare <Error>", async () => {
    const replication = await s3().send(
      new GetBucketReplicationCommand({ Bucket: "case-evidence-us-east-1" }),
    );
    expect(replication.ReplicationConfiguration?.Rules?.[0]).toMatchObject({
      ID: "to-recovery",
      Status: "Enabled",
    });
    const objects = await s3().send(
      new ListObjectsV2Command({ Bucket: "case-evidence-us-east-1", Prefix: "evidence/", MaxKeys: 7 }),
    );
    expect(objects).toMatchObject({ Name: "case-evidence-us-east-1", Prefix: "evidence/", MaxKeys: 7 });
    expect(objects.Contents?.[0]?.LastModified).toEqual(new Date("2026-12-01T00:00:00Z"));
    const error = await s3()
      .send(new GetBucketReplicationCommand({ Bucket: "missing-bucket" }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NoSuchBucket);
    const raw = await fetch(`${url}/missing-bucket?replication`, { headers: { authorization: sign("s3") } });
    expect(raw.status).toBe(404);
    expect(await raw.text()).toMatch(
      /^<\?xml[^>]*>\n<Error><Code>NoSuchBucket<\/Code><Message>The specified bucket does not exist<\/Message><BucketName>missing-bucket<\/BucketName><RequestId>[0-9a-f-]{36}<\/RequestId><\/Error>$/,
    );
  });

  it("an operation the SDK knows but the service does not implement, or no operation at all: the service's unknown-operation code, logged", async () => {
    const notImplemented = await fetch(`${url}/2015-03-31/functions/case-outbox`, {
      method: "DELETE",
      headers: { authorization: sign("lambda") },
    });
    expect(notImplemented.status).toBe(400);
    expect(notImplemented.headers.get("x-amzn-errortype")).toBe("UnknownOperationException");
    expect(dispatcher.log.calls.at(-1)).toMatchObject({
      operation: "DeleteFunction",
      outcome: "UnknownOperationException",
    });
    const noRoute = await fetch(`${url}/2099-01-01/nothing`, { headers: { authorization: sign("lambda") } });
    expect(noRoute.status).toBe(404);
    expect(((await noRoute.json()) as { message: string }).message).toMatch(
      /No lambda operation matches GET \/2099-01-01\/nothing/,
    );
    expect(dispatcher.log.calls.at(-1)).toMatchObject({
      operation: "GET /2099-01-01/nothing",
      outcome: "UnknownOperationException",
    });
  });

  it("a body that is not JSON, or a number that is not one, is the service's validation error", async () => {
    const bad = await fetch(`${url}/2015-03-31/event-source-mappings/esm-1`, {
      method: "PUT",
      headers: { authorization: sign("lambda"), "content-type": "application/json" },
      body: "{not json",
    });
    expect(bad.status).toBe(400);
    expect(bad.headers.get("x-amzn-errortype")).toBe("InvalidParameterValueException");
    const nan = await fetch(`${url}/2015-03-31/event-source-mappings?MaxItems=lots`, {
      headers: { authorization: sign("lambda") },
    });
    expect(nan.status).toBe(400);
    expect(((await nan.json()) as { message: string }).message).toMatch(/MaxItems/);
  });

  it("throttling answers the service's code and status, which the SDK classifies as throttling", async () => {
    dispatcher.throttles.set("lambda", 0.001);
    try {
      await lambda().send(new GetFunctionCommand({ FunctionName: "case-outbox" }));
      const error = await lambda()
        .send(new GetFunctionCommand({ FunctionName: "case-outbox" }))
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TooManyRequestsException);
      expect((error as TooManyRequestsException).$metadata.httpStatusCode).toBe(429);
      expect(dispatcher.log.calls.at(-1)?.outcome).toBe("TooManyRequestsException");
    } finally {
      dispatcher.throttles.set("lambda", undefined);
    }
  });

  it("a down region drops the connection, and the call is logged by its operation", async () => {
    down.add(REGION_B);
    try {
      const error = await lambda()
        .send(new UpdateEventSourceMappingCommand({ UUID: "esm-1", Enabled: true }))
        .catch((e: unknown) => e);
      expect(
        (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode,
      ).toBeUndefined();
      expect(String((error as { code?: string }).code ?? error)).toMatch(/ECONNRESET|socket hang up/);
      expect(dispatcher.log.calls.at(-1)).toMatchObject({
        operation: "UpdateEventSourceMapping",
        region: REGION_B,
        outcome: "RegionDown",
      });
      expect(dispatcher.log.mutatingCalls().at(-1)?.outcome).toBe("RegionDown");
    } finally {
      down.delete(REGION_B);
    }
  });
});

describe("rest-xml through the emulator: Route 53's ErrorResponse", () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startEmulator();
  });
  afterAll(() => emulator.close());

  it("a malformed XML body → InvalidInput in Route 53's <ErrorResponse>, and the emulator keeps serving", async () => {
    const res = await fetch(`${emulator.url}/2013-04-01/hostedzone/Z0SANDBOXCASE/rrset`, {
      method: "POST",
      headers: { authorization: sign("route53"), "content-type": "application/xml" },
      body: "<ChangeResourceRecordSetsRequest><ChangeBatch>",
    });
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(
      /^<\?xml[^>]*>\n<ErrorResponse xmlns="https:\/\/route53\.amazonaws\.com\/doc\/2013-04-01\/"><Error><Type>Sender<\/Type><Code>InvalidInput<\/Code><Message>The request body could not be parsed: [^<]+<\/Message><\/Error><RequestId>[0-9a-f-]{36}<\/RequestId><\/ErrorResponse>$/,
    );
    expect(emulator.calls.at(-1)).toMatchObject({
      service: "route53",
      operation: "ChangeResourceRecordSets",
      outcome: "InvalidInput",
    });
    const r53 = new Route53Client(clientConfig(emulator.url));
    expect((await r53.send(new GetHostedZoneCommand({ Id: "Z0SANDBOXCASE" }))).HostedZone?.Name).toBe(
      "case.internal.",
    );
  });

  it("region down: Route 53 calls signed for it are dropped and logged, mutating ones among the mutating calls", async () => {
    emulator.regionDown(REGION_A);
    try {
      const r53 = new Route53Client(clientConfig(emulator.url));
      const error = await r53
        .send(
          new ChangeResourceRecordSetsCommand({
            HostedZoneId: "Z0SANDBOXCASE",
            ChangeBatch: {
              Changes: [
                {
                  Action: "DELETE",
                  ResourceRecordSet: {
                    Name: "x.case.internal",
                    Type: "A",
                    TTL: 1,
                    ResourceRecords: [{ Value: "10.0.0.1" }],
                  },
                },
              ],
            },
          }),
        )
        .catch((e: unknown) => e);
      expect(
        (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode,
      ).toBeUndefined();
      expect(emulator.mutatingCalls().at(-1)).toMatchObject({
        service: "route53",
        operation: "ChangeResourceRecordSets",
        outcome: "RegionDown",
      });
    } finally {
      emulator.regionDown(REGION_A, false);
    }
  });
});
