import { fork } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { unzipSync } from "fflate";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildFunctionZip } from "../../../src/stepfunctions/bundle/function-zip.js";
import type { StepResult } from "../../../src/stepfunctions/runner/runner-contract.js";
import {
  type FunctionWorker,
  spawnFunctionWorker,
  workerCommand,
} from "../../../src/stepfunctions/runner/worker-client.js";
import {
  ALARM,
  configFor,
  executionId,
  FUNCTION_KEYS,
  RECOVERY,
  REGION,
  runnerEmulator,
  stateFor,
} from "./runner-fixture.js";

/**
 * The deployment package run as the sandbox's Lambda runs it: unzipped in a folder with no
 * node_modules anywhere above it, imported once by worker-main in a real child process whose
 * environment is the function's (its role's keys, AWS_REGION), answering invocations over IPC.
 */

const held = runnerEmulator();
const RUNBOOK = `apiVersion: runbook/v1
kind: Runbook
metadata: { name: worker, environment: sandbox }
inputs:
  where: { default: us-west-2 }
steps:
  - id: shift
    type: arc.set-routing-controls
    account: recovery
    approval: { prompt: "Shift traffic to \${{ inputs.where }}?" }
    with:
      clusterEndpoints: "\${{ vars.arcClusterEndpoints }}"
      controls:
        - { arn: "\${{ vars.secondaryCell }}", state: "On" }
  - id: quiet
    type: cloudwatch.alarm
    with: { region: ${REGION}, alarmNames: [${ALARM}] }
  - id: pause
    type: wait
    with: { duration: 10s }
`;

const workers: FunctionWorker[] = [];
let dir: string;
let logs = "";

function start(role: "steps" | "approvals"): FunctionWorker {
  const w = spawnFunctionWorker({
    dir,
    env: {
      RUNBOOK_FUNCTION_ROLE: role,
      AWS_REGION: REGION,
      AWS_ACCESS_KEY_ID: FUNCTION_KEYS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: FUNCTION_KEYS.secretAccessKey,
      AWS_LAMBDA_FUNCTION_NAME: `runbook-worker-${role}`,
      PATH: process.env.PATH ?? "",
    },
    onLog: (chunk) => {
      logs += chunk;
    },
  });
  workers.push(w);
  return w;
}

beforeAll(async () => {
  const zip = await buildFunctionZip(configFor(held.emulator, RUNBOOK));
  dir = mkdtempSync(join(tmpdir(), "runbook-function-"));
  for (const [name, bytes] of Object.entries(unzipSync(zip.zip))) writeFileSync(join(dir, name), bytes);
}, 60_000);
afterAll(async () => {
  await Promise.all(workers.map((w) => w.close()));
});

describe("the bundle in a worker process", () => {
  it("runs a step in the recovery account with the function's own keys, then finds it in place", async () => {
    const w = start("steps");
    await w.ready;
    const id = executionId();
    const event = { action: "step", stepId: "shift", state: stateFor(id) };
    const before = held.emulator.mutatingCalls().length;
    const first = await w.invoke(event, 10_000);
    expect(first).toHaveProperty("payload");
    const result = (first as { payload: StepResult }).payload;
    expect(result.account).toBe(RECOVERY);
    expect(result.principal).toBe(`arn:aws:sts::${RECOVERY}:assumed-role/runbook-arc/runbook+${id}`);
    expect(
      held.emulator
        .mutatingCalls()
        .slice(before)
        .map((c) => c.operation),
    ).toEqual(["UpdateRoutingControlStates"]);
    // The AssumeRole itself was made with the keys in the function's environment.
    const assumed = held.emulator.calls.filter((c) => c.operation === "AssumeRole").at(-1);
    expect(assumed?.principal).toBe("arn:aws:iam::111111111111:user/operator");

    const again = (await w.invoke(event, 10_000)) as { payload: StepResult };
    expect(again.payload.alreadyInPlace).toBe(true);
    expect(held.emulator.mutatingCalls().length).toBe(before + 1);
  });

  it("reports failures as Lambda does: the error's name as its type, the detail as JSON", async () => {
    const w = start("steps");
    held.emulator.forceAlarmState(REGION, ALARM, "ALARM");
    try {
      const failed = await w.invoke(
        { action: "step", stepId: "quiet", state: stateFor(executionId()) },
        10_000,
      );
      expect(failed).toHaveProperty("error");
      const { errorType, errorMessage } = (failed as { error: { errorType: string; errorMessage: string } })
        .error;
      expect(errorType).toBe("Runbook.Retryable");
      expect(JSON.parse(errorMessage)).toMatchObject({
        class: "retryable",
        message: `${ALARM} is ALARM; expected OK`,
      });
    } finally {
      held.emulator.forceAlarmState(REGION, ALARM, undefined);
    }
    // The context's clock is the invocation's: the step stops a second before its end.
    const started = Date.now();
    const slow = await w.invoke({ action: "step", stepId: "pause", state: stateFor(executionId()) }, 1500);
    expect(slow).toMatchObject({ error: { errorType: "Runbook.Timeout" } });
    expect(Date.now() - started).toBeLessThan(1400);
    const wrong = await w.invoke({ action: "gate.open", stepId: "shift" }, 5000);
    expect(wrong).toMatchObject({ error: { errorType: "Runbook.Fatal" } });
  });

  it("serves the approvals role from the same package, and never logs the function's secret", async () => {
    const w = start("approvals");
    const id = executionId();
    const opened = await w.invoke(
      {
        action: "gate.open",
        stepId: "shift",
        approval: 1,
        token: "t-1",
        executionArn: `arn:aws:states:${REGION}:111111111111:execution:runbook-worker:${id}`,
        state: stateFor(id, {}, { where: "eu-west-1" }),
      },
      5000,
    );
    expect(opened).toEqual({
      payload: { stepId: "shift", approval: 1, prompt: "Shift traffic to eu-west-1?", minApprovals: 1 },
    });
    expect(logs).toContain('"msg":"gate opened"');
    expect(logs).toContain('"msg":"step succeeded"');
    expect(logs).not.toContain(FUNCTION_KEYS.secretAccessKey);
  });

  it("finds the code as Lambda's runtime does (LAMBDA_TASK_ROOT, _HANDLER) and answers each request id", async () => {
    const { script, execArgv } = workerCommand();
    const child = fork(script, [], {
      cwd: tmpdir(),
      env: {
        RUNBOOK_FUNCTION_ROLE: "steps",
        AWS_REGION: REGION,
        LAMBDA_TASK_ROOT: dir,
        _HANDLER: "index.handler",
      },
      execArgv,
      stdio: ["ignore", "ignore", "ignore", "ipc"],
      serialization: "json",
    });
    try {
      const answers: unknown[] = [];
      const done = new Promise<void>((resolve) =>
        child.on("message", (m: { id?: string }) => {
          answers.push(m);
          if (m.id === "req-2") resolve();
        }),
      );
      child.send({ id: "req-1", event: { action: "nope" }, deadlineMs: Date.now() + 5000 });
      child.send({
        id: "req-2",
        event: { action: "step", stepId: "missing", state: stateFor(executionId()) },
        deadlineMs: Date.now() + 5000,
      });
      await done;
      expect(answers).toContainEqual({ ready: true });
      expect(answers).toContainEqual({
        id: "req-1",
        result: { error: expect.objectContaining({ errorType: "Runbook.Fatal" }) },
      });
      expect(answers).toContainEqual({
        id: "req-2",
        result: {
          error: {
            errorType: "Runbook.Fatal",
            errorMessage: expect.stringContaining('no executor step \\"missing\\"'),
          },
        },
      });
    } finally {
      child.kill();
    }
  });
});
