import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateFunctionCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { SFNClient } from "@aws-sdk/client-sfn";
import { afterAll, beforeAll } from "vitest";
import type { Emulator } from "../../../src/sandbox/emulator/index.js";
import { clientConfig, REGION_B, startEmulator } from "./helpers.js";
import { createRole, handlerSource, zipOf } from "./lambda-fixtures.js";

export const FUNCTION = "runbook-sfn-steps";
export const FUNCTION_ARN = `arn:aws:lambda:${REGION_B}:111111111111:function:${FUNCTION}`;

/**
 * An emulator with a deployed function (the test handler, in the runner's worker process), a state
 * machine role Step Functions may assume, the operator's client and a second identity's (an
 * approver in another shell), and a scratch directory; set up before a file's tests, closed after.
 */
export function sfnWithFunction(): {
  emulator: Emulator;
  sfn: SFNClient;
  approver: SFNClient;
  role: string;
  dir: string;
} {
  const held = {} as ReturnType<typeof sfnWithFunction>;
  beforeAll(async () => {
    held.dir = mkdtempSync(join(tmpdir(), "sfn-lambda-test-"));
    // The runner's own worker (src/stepfunctions/runner/worker-main.ts, through tsx), as the sandbox uses it.
    held.emulator = await startEmulator({ sfnWaitScale: 0.01 });
    const url = held.emulator.url;
    held.sfn = new SFNClient(clientConfig(url, REGION_B));
    held.approver = new SFNClient({
      ...clientConfig(url, REGION_B),
      credentials: { accessKeyId: "AKIASANDBOXAPPROVER1", secretAccessKey: "sandbox-approver-secret" },
    });
    held.role = await createRole(url, "runbook-sfn-states", "states.amazonaws.com");
    const lambda = new LambdaClient(clientConfig(url, REGION_B, 10_000));
    await lambda.send(
      new CreateFunctionCommand({
        FunctionName: FUNCTION,
        Runtime: "nodejs20.x",
        Handler: "index.handler",
        Role: await createRole(url, FUNCTION, "lambda.amazonaws.com"),
        Code: { ZipFile: zipOf({ "index.mjs": handlerSource() }) },
        Timeout: 5,
      }),
    );
    lambda.destroy();
  });
  afterAll(async () => {
    await held.emulator?.close();
    if (held.dir) rmSync(held.dir, { recursive: true, force: true });
  });
  return held;
}
