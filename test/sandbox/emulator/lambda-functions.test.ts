import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import {
  CreateFunctionCommand,
  type CreateFunctionCommandInput,
  DeleteFunctionCommand,
  GetFunctionCommand,
  GetFunctionConfigurationCommand,
  InvalidParameterValueException,
  InvokeCommand,
  LambdaClient,
  ListFunctionsCommand,
  PreconditionFailedException,
  ResourceConflictException,
  ResourceNotFoundException,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
} from "@aws-sdk/client-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Emulator } from "../../../src/sandbox/emulator/index.js";
import { codeSha256 } from "../../../src/sandbox/emulator/services/lambda-code.js";
import { clientConfig, REGION_B, startEmulator } from "./helpers.js";
import { createRole, handlerSource, TEST_WORKER, zipOf } from "./lambda-fixtures.js";

const decode = (p: Uint8Array | undefined) =>
  JSON.parse(new TextDecoder().decode(p)) as Record<string, unknown>;
const encode = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));

describe("Lambda functions: created from a zip, run in warm worker processes", () => {
  let emulator: Emulator;
  let lambda: LambdaClient;
  let role: string;
  const zip = zipOf({ "index.mjs": handlerSource("v1") });

  beforeAll(async () => {
    emulator = await startEmulator({ lambdaWorker: { entry: TEST_WORKER, idleMs: 60_000 } });
    lambda = new LambdaClient(clientConfig(emulator.url, REGION_B, 10_000));
    role = await createRole(emulator.url, "runbook-test-steps", "lambda.amazonaws.com");
    await lambda.send(
      new CreateFunctionCommand({
        FunctionName: "runbook-test-steps",
        Runtime: "nodejs20.x",
        Handler: "index.handler",
        Role: role,
        Code: { ZipFile: zip },
        Timeout: 2,
        MemorySize: 256,
        Environment: { Variables: { STAGE: "sandbox" } },
      }),
    );
  });
  afterAll(() => emulator.close());

  it("CreateFunction unpacks the zip into the function's own directory; Get* describe it as Lambda does", async () => {
    const dir = emulator.lambda.codeDir(REGION_B, "runbook-test-steps");
    expect(dir && readFileSync(join(dir, "index.mjs"), "utf8")).toContain('version: "v1"');
    const got = await lambda.send(new GetFunctionCommand({ FunctionName: "runbook-test-steps" }));
    expect(got.Configuration).toMatchObject({
      FunctionName: "runbook-test-steps",
      FunctionArn: `arn:aws:lambda:${REGION_B}:111111111111:function:runbook-test-steps`,
      Runtime: "nodejs20.x",
      Handler: "index.handler",
      Role: role,
      Timeout: 2,
      MemorySize: 256,
      CodeSize: zip.byteLength,
      CodeSha256: codeSha256(zip),
      Environment: { Variables: { STAGE: "sandbox" } },
      State: "Active",
      LastUpdateStatus: "Successful",
    });
    const config = await lambda.send(
      new GetFunctionConfigurationCommand({ FunctionName: got.Configuration?.FunctionArn }),
    );
    expect(config.CodeSha256).toBe(codeSha256(zip));
    const listed = await lambda.send(new ListFunctionsCommand({}));
    expect(listed.Functions?.map((f) => f.FunctionName)).toContain("runbook-test-steps");
    const again = lambda.send(
      new CreateFunctionCommand({
        FunctionName: "runbook-test-steps",
        Runtime: "nodejs20.x",
        Handler: "index.handler",
        Role: role,
        Code: { ZipFile: zip },
      }),
    );
    await expect(again).rejects.toBeInstanceOf(ResourceConflictException);
  });

  it("refuses what Lambda refuses: a role Lambda cannot assume, reserved variables, a bad zip, other runtimes", async () => {
    const base: CreateFunctionCommandInput = {
      FunctionName: "nope",
      Runtime: "nodejs20.x",
      Handler: "index.handler",
      Role: role,
      Code: { ZipFile: zip },
    };
    const statesRole = await createRole(emulator.url, "runbook-test-states-only", "states.amazonaws.com");
    const cases = [
      { ...base, Role: statesRole },
      { ...base, Environment: { Variables: { AWS_REGION: "eu-west-1" } } },
      { ...base, Code: { ZipFile: encode("not a zip") } },
      { ...base, Runtime: "python3.12" as CreateFunctionCommandInput["Runtime"] },
    ];
    const messages = [];
    for (const input of cases) {
      const e = await lambda.send(new CreateFunctionCommand(input)).catch((error: unknown) => error);
      expect(e).toBeInstanceOf(InvalidParameterValueException);
      messages.push((e as Error).message);
    }
    expect(messages[0]).toBe("The role defined for the function cannot be assumed by Lambda.");
    expect(messages[1]).toContain("Reserved keys used in this request: AWS_REGION");
    expect(messages[2]).toContain("Could not unzip uploaded file");
    expect(messages[3]).toContain("Node.js functions only");
  });

  it("Invoke runs the handler with the function's environment and its role's session credentials, nothing of the host's", async () => {
    const out = await lambda.send(
      new InvokeCommand({ FunctionName: "runbook-test-steps", Payload: encode({ step: "promote" }) }),
    );
    expect(out.StatusCode).toBe(200);
    expect(out.FunctionError).toBeUndefined();
    expect(out.ExecutedVersion).toBe("$LATEST");
    expect(decode(out.Payload)).toMatchObject({
      echo: { step: "promote" },
      version: "v1",
      region: REGION_B,
      functionName: "runbook-test-steps",
      keyKind: "ASIA",
      hasSessionToken: true,
      stage: "sandbox",
      hostHome: null,
    });
    const remaining = decode(out.Payload).remainingMs as number;
    expect(remaining).toBeGreaterThan(0);
    expect(remaining).toBeLessThanOrEqual(2000);
  });

  it("reuses an idle worker, starts another when all are busy", async () => {
    const pid = async (sleepMs = 0) =>
      decode(
        (
          await lambda.send(
            new InvokeCommand({ FunctionName: "runbook-test-steps", Payload: encode({ sleepMs }) }),
          )
        ).Payload,
      ).pid as number;
    const first = await pid();
    expect(await pid()).toBe(first);
    const [a, b] = await Promise.all([pid(300), pid(300)]);
    expect(a).not.toBe(b);
    expect([a, b]).toContain(first);
  });

  it("a function error answers Unhandled with the error object; a timeout says so as Lambda does", async () => {
    const failed = await lambda.send(
      new InvokeCommand({
        FunctionName: "runbook-test-steps",
        Payload: encode({ fail: { type: "Runbook.Retryable", message: "replication lag too high" } }),
      }),
    );
    expect(failed.StatusCode).toBe(200);
    expect(failed.FunctionError).toBe("Unhandled");
    expect(decode(failed.Payload)).toEqual({
      errorType: "Runbook.Retryable",
      errorMessage: "replication lag too high",
      trace: [],
    });
    const slow = await lambda.send(
      new InvokeCommand({ FunctionName: "runbook-test-steps", Payload: encode({ sleepMs: 5000 }) }),
    );
    expect(slow.FunctionError).toBe("Unhandled");
    expect(decode(slow.Payload).errorMessage).toMatch(/Task timed out after 2\.00 seconds$/);
    // The timed-out worker is gone; the next call gets a fresh one and works.
    const after = await lambda.send(
      new InvokeCommand({ FunctionName: "runbook-test-steps", Payload: encode({}) }),
    );
    expect(after.FunctionError).toBeUndefined();
  });

  it("an Event invocation is accepted at once (202); a bad payload is InvalidRequestContentException", async () => {
    const t0 = Date.now();
    const out = await lambda.send(
      new InvokeCommand({
        FunctionName: "runbook-test-steps",
        InvocationType: "Event",
        Payload: encode({ sleepMs: 1500 }),
      }),
    );
    expect(out.StatusCode).toBe(202);
    expect(Date.now() - t0).toBeLessThan(1000);
    const bad = await lambda
      .send(new InvokeCommand({ FunctionName: "runbook-test-steps", Payload: encode("x").slice(1) }))
      .catch((e: unknown) => e);
    expect((bad as Error).name).toBe("InvalidRequestContentException");
  });

  it("UpdateFunctionCode and UpdateFunctionConfiguration take effect at the next invocation (old workers retired)", async () => {
    const before = await lambda.send(new GetFunctionCommand({ FunctionName: "runbook-test-steps" }));
    const stale = lambda.send(
      new UpdateFunctionCodeCommand({
        FunctionName: "runbook-test-steps",
        ZipFile: zip,
        RevisionId: "not-the-revision",
      }),
    );
    await expect(stale).rejects.toBeInstanceOf(PreconditionFailedException);
    const v2 = zipOf({ "index.mjs": handlerSource("v2") });
    const updated = await lambda.send(
      new UpdateFunctionCodeCommand({
        FunctionName: "runbook-test-steps",
        ZipFile: v2,
        RevisionId: before.Configuration?.RevisionId,
      }),
    );
    expect(updated.CodeSha256).toBe(codeSha256(v2));
    expect(updated.RevisionId).not.toBe(before.Configuration?.RevisionId);
    await lambda.send(
      new UpdateFunctionConfigurationCommand({
        FunctionName: "runbook-test-steps",
        Environment: { Variables: { STAGE: "drill" } },
      }),
    );
    const out = decode(
      (await lambda.send(new InvokeCommand({ FunctionName: "runbook-test-steps", Payload: encode({}) })))
        .Payload,
    );
    expect(out).toMatchObject({ version: "v2", stage: "drill" });
  });

  it("DeleteFunction removes it and its code; the topology's stand-ins cannot be invoked", async () => {
    const dir = emulator.lambda.codeDir(REGION_B, "runbook-test-steps");
    await lambda.send(new DeleteFunctionCommand({ FunctionName: "runbook-test-steps" }));
    expect(existsSync(dir ?? "/nonexistent-dir")).toBe(false);
    await expect(
      lambda.send(new GetFunctionCommand({ FunctionName: "runbook-test-steps" })),
    ).rejects.toBeInstanceOf(ResourceNotFoundException);
    const standIn = await lambda
      .send(new InvokeCommand({ FunctionName: `case-outbox-${REGION_B}`, Payload: encode({}) }))
      .catch((e: unknown) => e);
    expect(standIn).toBeInstanceOf(InvalidParameterValueException);
  });
});
