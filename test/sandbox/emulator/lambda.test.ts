import {
  GetEventSourceMappingCommand,
  GetFunctionCommand,
  LambdaClient,
  type LambdaServiceException,
  ListEventSourceMappingsCommand,
  ResourceConflictException,
  ResourceNotFoundException,
  TooManyRequestsException,
  UpdateEventSourceMappingCommand,
} from "@aws-sdk/client-lambda";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { classifyError } from "../../../src/executor.js";
import { defaultTopology, type Emulator } from "../../../src/sandbox/emulator/index.js";
import { clientConfig, REGION_A, REGION_B, startEmulator, waitFor } from "./helpers.js";

const ACCOUNT = "111111111111";
const fn = (region: string) => `case-outbox-${region}`;
const fnArn = (region: string) => `arn:aws:lambda:${region}:${ACCOUNT}:function:${fn(region)}`;
const queue = (region: string) => `arn:aws:sqs:${region}:${ACCOUNT}:case-outbox`;
const TRANSITION_MS = 300;

const failure = (p: Promise<unknown>) =>
  p.then(() => undefined).catch((e: unknown) => e as LambdaServiceException);

describe("Lambda (rest-json) functions and event source mappings through the real SDK", () => {
  let emulator: Emulator;
  const lambda = (region = REGION_A) => new LambdaClient(clientConfig(emulator.url, region));
  const mappings = async (region: string, input: { FunctionName?: string; EventSourceArn?: string } = {}) =>
    (await lambda(region).send(new ListEventSourceMappingsCommand(input))).EventSourceMappings ?? [];
  const uuidIn = async (region: string) => (await mappings(region))[0]?.UUID ?? "";

  beforeAll(async () => {
    const topology = defaultTopology();
    topology.lambda = {
      functions: [
        ...(topology.lambda?.functions ?? []),
        {
          region: REGION_A,
          name: "case-archiver",
          eventSources: [
            { eventSourceArn: `arn:aws:sqs:${REGION_A}:${ACCOUNT}:case-archive`, enabled: true },
            { eventSourceArn: `arn:aws:sqs:${REGION_A}:${ACCOUNT}:case-archive-dlq`, enabled: false },
          ],
        },
      ],
      mappingTransitionMs: TRANSITION_MS,
    };
    emulator = await startEmulator({ topology });
  });
  afterAll(() => emulator.close());
  beforeEach(() => {
    emulator.lambda.reset();
    emulator.clearCalls();
  });

  it("GetFunction by name, ARN or partial ARN, in the region it lives in", async () => {
    const out = await lambda().send(new GetFunctionCommand({ FunctionName: fn(REGION_A) }));
    expect(out.Configuration).toMatchObject({
      FunctionName: fn(REGION_A),
      FunctionArn: fnArn(REGION_A),
      Runtime: "nodejs20.x",
      Version: "$LATEST",
      State: "Active",
      LastUpdateStatus: "Successful",
      PackageType: "Zip",
    });
    expect(out.Configuration?.LastModified).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$/);
    expect(out.Code?.RepositoryType).toBe("S3");
    for (const name of [fnArn(REGION_A), `${ACCOUNT}:function:${fn(REGION_A)}`, `${fn(REGION_A)}:$LATEST`]) {
      const by = await lambda().send(new GetFunctionCommand({ FunctionName: name }));
      expect(by.Configuration?.FunctionArn).toBe(fnArn(REGION_A));
    }
  });

  it("GetFunction errors: another region's function, an unknown version, a malformed name", async () => {
    const elsewhere = await failure(
      lambda(REGION_B).send(new GetFunctionCommand({ FunctionName: fn(REGION_A) })),
    );
    expect(elsewhere).toBeInstanceOf(ResourceNotFoundException);
    expect(elsewhere?.message).toBe(
      `Function not found: arn:aws:lambda:${REGION_B}:${ACCOUNT}:function:${fn(REGION_A)}`,
    );
    expect(elsewhere?.$metadata.httpStatusCode).toBe(404);
    const version = await failure(
      lambda().send(new GetFunctionCommand({ FunctionName: fn(REGION_A), Qualifier: "7" })),
    );
    expect(version?.message).toBe(`Function not found: ${fnArn(REGION_A)}:7`);
    const malformed = await failure(lambda().send(new GetFunctionCommand({ FunctionName: "bad name!" })));
    expect(malformed?.name).toBe("ValidationException");
    expect(malformed?.message).toMatch(/^1 validation error detected: Value 'bad name!' at 'functionName'/);
    expect(classifyError(malformed).class).toBe("fatal");
  });

  it("one mapping per region from its own queue: Enabled in the primary only", async () => {
    const a = await mappings(REGION_A, { FunctionName: fn(REGION_A) });
    expect(a).toEqual([
      {
        UUID: expect.stringMatching(/^[0-9a-f-]{36}$/),
        BatchSize: 10,
        MaximumBatchingWindowInSeconds: 0,
        EventSourceArn: queue(REGION_A),
        FunctionArn: fnArn(REGION_A),
        LastModified: expect.any(Date),
        State: "Enabled",
        StateTransitionReason: "USER_INITIATED",
        FunctionResponseTypes: [],
        EventSourceMappingArn: `arn:aws:lambda:${REGION_A}:${ACCOUNT}:event-source-mapping:${a[0]?.UUID}`,
      },
    ]);
    const b = await mappings(REGION_B, { FunctionName: fnArn(REGION_B) });
    expect(b.map((m) => [m.EventSourceArn, m.State])).toEqual([[queue(REGION_B), "Disabled"]]);
    const got = await lambda(REGION_B).send(new GetEventSourceMappingCommand({ UUID: b[0]?.UUID }));
    expect(got.State).toBe("Disabled");
    // A reset puts the same mappings back: their UUIDs stay valid.
    emulator.lambda.reset();
    expect((await mappings(REGION_B))[0]?.UUID).toBe(b[0]?.UUID);
  });

  it("ListEventSourceMappings filters by function and source, pages with Marker, and checks its input", async () => {
    const all = await mappings(REGION_A);
    expect(all.map((m) => m.EventSourceArn?.split(":").at(-1))).toEqual([
      "case-outbox",
      "case-archive",
      "case-archive-dlq",
    ]);
    const dlq = await mappings(REGION_A, {
      FunctionName: "case-archiver",
      EventSourceArn: `arn:aws:sqs:${REGION_A}:${ACCOUNT}:case-archive-dlq`,
    });
    expect(dlq.map((m) => m.State)).toEqual(["Disabled"]);
    const first = await lambda().send(
      new ListEventSourceMappingsCommand({ FunctionName: "case-archiver", MaxItems: 1 }),
    );
    expect(first.EventSourceMappings).toHaveLength(1);
    expect(first.NextMarker).toBeDefined();
    const rest = await lambda().send(
      new ListEventSourceMappingsCommand({ FunctionName: "case-archiver", Marker: first.NextMarker }),
    );
    expect(rest.EventSourceMappings?.map((m) => m.EventSourceArn?.split(":").at(-1))).toEqual([
      "case-archive-dlq",
    ]);
    expect(rest.NextMarker).toBeUndefined();
    expect((await failure(lambda().send(new ListEventSourceMappingsCommand({ Marker: "x" }))))?.name).toBe(
      "InvalidParameterValueException",
    );
    expect((await failure(lambda().send(new ListEventSourceMappingsCommand({ MaxItems: 0 }))))?.name).toBe(
      "ValidationException",
    );
    const unknown = await failure(
      lambda().send(new ListEventSourceMappingsCommand({ FunctionName: "nope" })),
    );
    expect(unknown).toBeInstanceOf(ResourceNotFoundException);
  });

  it("UpdateEventSourceMapping: Disabling for a moment, then Disabled; a second change meanwhile is a conflict", async () => {
    const uuid = await uuidIn(REGION_A);
    const started = Date.now();
    const out = await lambda().send(new UpdateEventSourceMappingCommand({ UUID: uuid, Enabled: false }));
    expect(out.State).toBe("Disabling");
    expect(out.$metadata.httpStatusCode).toBe(202);
    const conflict = await failure(
      lambda().send(new UpdateEventSourceMappingCommand({ UUID: uuid, Enabled: true })),
    );
    expect(conflict).toBeInstanceOf(ResourceConflictException);
    expect(conflict?.message).toMatch(
      /^The operation cannot be performed at this time\. An update is in progress/,
    );
    expect(conflict?.$metadata.httpStatusCode).toBe(409);
    await waitFor("Disabled", async () => {
      const m = await lambda().send(new GetEventSourceMappingCommand({ UUID: uuid }));
      return m.State === "Disabled" ? true : undefined;
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(TRANSITION_MS - 20);
    expect(emulator.mutatingCalls().map((c) => `${c.operation} ${c.outcome}`)).toEqual([
      "UpdateEventSourceMapping ok",
      "UpdateEventSourceMapping ResourceConflictException",
    ]);
    expect(emulator.lambda.status()[fn(REGION_A)]?.mappings.map((m) => m.state)).toEqual(["Disabled"]);
  });

  it("UpdateEventSourceMapping of other settings is Updating; settings the sandbox lacks are refused, not ignored", async () => {
    const uuid = await uuidIn(REGION_A);
    const tooBig = await failure(
      lambda().send(new UpdateEventSourceMappingCommand({ UUID: uuid, BatchSize: 100 })),
    );
    expect(tooBig?.message).toBe(
      "Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10",
    );
    const updated = await lambda().send(
      new UpdateEventSourceMappingCommand({ UUID: uuid, BatchSize: 100, MaximumBatchingWindowInSeconds: 5 }),
    );
    expect(updated).toMatchObject({ State: "Updating", BatchSize: 100, MaximumBatchingWindowInSeconds: 5 });
    const unsupported = await failure(
      lambda(REGION_B).send(
        new UpdateEventSourceMappingCommand({ UUID: await uuidIn(REGION_B), MaximumRetryAttempts: 3 }),
      ),
    );
    expect(unsupported).toMatchObject({
      name: "InvalidParameterValueException",
      message: "This sandbox's Lambda cannot change MaximumRetryAttempts of a mapping",
    });
  });

  it("a mapping of another region, or none at all: ResourceNotFoundException", async () => {
    const uuidA = await uuidIn(REGION_A);
    for (const call of [
      () => lambda(REGION_B).send(new GetEventSourceMappingCommand({ UUID: uuidA })),
      () => lambda(REGION_B).send(new UpdateEventSourceMappingCommand({ UUID: uuidA, Enabled: false })),
      () => lambda().send(new GetEventSourceMappingCommand({ UUID: "00000000-0000-4000-8000-000000000000" })),
    ]) {
      const e = await failure(call());
      expect(e).toBeInstanceOf(ResourceNotFoundException);
      expect(e?.message).toBe("The resource you requested does not exist.");
    }
    expect(emulator.lambda.status()[fn(REGION_A)]?.mappings[0]?.state).toBe("Enabled");
  });

  it("throttling is TooManyRequestsException (429); a down region drops the connection, logged", async () => {
    emulator.throttle("lambda", 0.001);
    try {
      await failure(lambda().send(new ListEventSourceMappingsCommand({})));
      const e = await failure(lambda().send(new ListEventSourceMappingsCommand({})));
      expect(e).toBeInstanceOf(TooManyRequestsException);
      expect(e?.$metadata.httpStatusCode).toBe(429);
      expect(classifyError(e).class).toBe("retryable");
    } finally {
      emulator.throttle("lambda", undefined);
    }
    const uuid = await uuidIn(REGION_B);
    emulator.regionDown(REGION_B);
    try {
      const e = await failure(
        lambda(REGION_B).send(new UpdateEventSourceMappingCommand({ UUID: uuid, Enabled: true })),
      );
      expect(String((e as { code?: string }).code ?? e)).toMatch(/ECONNRESET|socket hang up/);
      expect(emulator.mutatingCalls().at(-1)).toMatchObject({
        operation: "UpdateEventSourceMapping",
        region: REGION_B,
        outcome: "RegionDown",
      });
    } finally {
      emulator.regionDown(REGION_B, false);
    }
    expect(emulator.lambda.status()[fn(REGION_B)]?.mappings[0]?.state).toBe("Disabled");
  });

  it("AWS/Lambda Invocations only where a mapping polls", () => {
    const invoked = emulator.lambda.metrics().map((d) => `${d.region} ${d.dimensions?.FunctionName}`);
    expect(invoked).toEqual([`${REGION_A} ${fn(REGION_A)}`, `${REGION_A} case-archiver`]);
  });
});
