import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterAll, beforeAll } from "vitest";
import { executors } from "../../../executors/index.js";
import { type AccountSessions, createAccountSessions } from "../../../src/aws/account-sessions.js";
import { loadRunbook } from "../../../src/language/load.js";
import { createEmulator, defaultTopology, type Emulator } from "../../../src/sandbox/emulator/index.js";
import type { FunctionConfig } from "../../../src/stepfunctions/runner/function-config.js";
import type { StateData, StepRecord } from "../../../src/stepfunctions/runner/runner-contract.js";
import type { RunnerDeps } from "../../../src/stepfunctions/runner/step-handler.js";

/**
 * The runner's functions against a real emulator: a runbook loaded as `export` would bundle
 * it, an environment mapping the recovery account to the emulator's ARC role (as
 * environments/sandbox.yaml does), and the function's own role played by the sandbox operator.
 */

export const WORKLOAD = "111111111111";
export const RECOVERY = "222222222222";
export const EXTERNAL_ID = "runbook-ext-1";
export const REGION = "us-west-2";
export const ALARM = "case-api-5xx-us-west-2";
/** The keys the function's role would have (in Lambda: AWS_ACCESS_KEY_ID and friends). */
export const FUNCTION_KEYS = { accessKeyId: "sandbox", secretAccessKey: "sandbox-secret" };
export const FUNCTION_PRINCIPAL = `arn:aws:iam::${WORKLOAD}:user/operator`;

export function runnerEmulator(): { emulator: Emulator } {
  const held = {} as { emulator: Emulator };
  beforeAll(async () => {
    const topology = defaultTopology();
    topology.iam = { arcRoleExternalId: EXTERNAL_ID };
    topology.alarms = [
      {
        region: REGION,
        alarmName: ALARM,
        namespace: "CaseApi",
        metricName: "5xx",
        threshold: 5,
        comparisonOperator: "GreaterThanThreshold",
        statistic: "Sum",
        period: 60,
        treatMissingData: "notBreaching",
      },
    ];
    held.emulator = await createEmulator({ topology, evaluationIntervalMs: 100_000 });
  });
  afterAll(() => held.emulator?.close());
  return held;
}

/** The runbook (YAML) as the functions' config.json would carry it, for this emulator. */
export function configFor(
  emulator: Emulator,
  yaml: string,
  o: { kind?: FunctionConfig["environment"]["kind"] } = {},
): FunctionConfig {
  const dir = mkdtempSync(join(tmpdir(), "runbook-runner-"));
  mkdirSync(join(dir, "runbooks"));
  const name = /name: ([a-z][a-z0-9-]*)/.exec(yaml)?.[1] ?? "runner";
  const file = join(dir, "runbooks", `${name}.yaml`);
  writeFileSync(file, yaml);
  const runbookIr = loadRunbook(file, dir);
  return {
    runbookIr,
    environment: {
      name: "sandbox",
      kind: o.kind ?? "sandbox",
      region: REGION,
      endpoints: { "*": emulator.url },
      accounts: { workload: WORKLOAD, recovery: RECOVERY },
      roles: [
        { account: RECOVERY, roleArn: `arn:aws:iam::${RECOVERY}:role/runbook-arc`, externalId: EXTERNAL_ID },
      ],
      vars: {
        arcClusterEndpoints: emulator.arcClusterEndpoints,
        primaryCell: emulator.routingControlArn("cell-us-east-1"),
        secondaryCell: emulator.routingControlArn("cell-us-west-2"),
      },
    },
    manifest: { stateMachineName: `runbook-${runbookIr.name}`, region: REGION },
  };
}

/** The state data a Task hands its function, as the `start` Pass state shapes it. */
export function stateFor(
  executionId: string,
  steps: Record<string, StepRecord> = {},
  inputs: Record<string, string> = {},
): StateData {
  return {
    run: {
      executionId,
      runbook: "runner",
      environment: "sandbox",
      mode: "run",
      declaredAt: "2026-11-27T03:15:00.000Z",
      inputs,
    },
    steps,
    gates: {},
    watch: {},
  };
}

/** The step function's deps as lambda-entry.ts builds them, with the function's keys given directly. */
export function runnerDeps(
  config: FunctionConfig,
  over: Partial<RunnerDeps> = {},
): RunnerDeps & { destroy(): void } {
  const e = config.environment;
  const base = createAccountSessions({
    client: { endpoints: e.endpoints, credentials: FUNCTION_KEYS },
    region: REGION,
    accounts: e.accounts,
    roles: e.roles,
    operator: "runbook",
    environment: e.name,
  });
  const sessions = new Map<string, AccountSessions>();
  return {
    config,
    registry: executors,
    sessionsFor: (id) => {
      const s = sessions.get(id) ?? base.forExecution(id);
      sessions.set(id, s);
      return s;
    },
    logger: pino({ level: "silent" }),
    scratchRoot: mkdtempSync(join(tmpdir(), "runbook-runner-scratch-")),
    ...over,
    destroy: () => {
      for (const s of sessions.values()) s.destroy();
      base.destroy();
    },
  };
}

let seq = 0;
/** A fresh execution id per test, as the engine makes them. */
export function executionId(): string {
  seq += 1;
  return `runner-20261127T031500Z-${process.pid.toString(16)}${seq}`;
}
