import { describe, expect, it } from "vitest";
import { RunnerError } from "../../../src/stepfunctions/runner/runner-error.js";
import { handleProbe, handleStep } from "../../../src/stepfunctions/runner/step-handler.js";
import {
  ALARM,
  configFor,
  executionId,
  FUNCTION_PRINCIPAL,
  RECOVERY,
  REGION,
  runnerDeps,
  runnerEmulator,
  stateFor,
} from "./runner-fixture.js";

/**
 * The steps function's handler running real executors against the emulator: params rendered
 * from the state data, check before act (a second invocation of a step whose effect is in
 * place calls nothing that changes anything), calls made in the step's account through the
 * role assumed for the execution, and failures named as Retry and Catch expect them.
 */

const held = runnerEmulator();

const RUNBOOK = `apiVersion: runbook/v1
kind: Runbook
metadata: { name: runner, environment: sandbox }
inputs:
  alarm: { default: ${ALARM} }
abort:
  - id: recovery-5xx
    probe:
      type: cloudwatch.alarm
      with: { region: ${REGION}, alarmNames: ["\${{ inputs.alarm }}"] }
    every: 5s
    failures: 2
steps:
  - id: alarm-quiet
    type: cloudwatch.alarm
    with: { region: ${REGION}, alarmNames: ["\${{ inputs.alarm }}"] }
  - id: shift
    type: arc.set-routing-controls
    account: recovery
    with:
      clusterEndpoints: "\${{ vars.arcClusterEndpoints }}"
      controls:
        - { arn: "\${{ vars.secondaryCell }}", state: "On" }
  - id: echo
    type: note
    with: { message: "secondary is \${{ steps.shift.outputs.states }} in \${{ run.executionId }}" }
  - id: all-off
    type: arc.set-routing-controls
    account: recovery
    with:
      clusterEndpoints: "\${{ vars.arcClusterEndpoints }}"
      controls:
        - { arn: "\${{ vars.primaryCell }}", state: "Off" }
        - { arn: "\${{ vars.secondaryCell }}", state: "Off" }
  - id: pause
    type: wait
    with: { duration: 5s }
  - id: typo
    type: cloudwatch.alarm
    with: { region: ${REGION}, alarmNames: "\${{ inputs.alarm }}" }
`;

/** The error a handler threw, checked to be what Lambda would report. */
async function failure(p: Promise<unknown>): Promise<{ name: string; detail: Record<string, unknown> }> {
  const err = await p.then(
    () => {
      throw new Error("expected the handler to fail");
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(RunnerError);
  const e = err as RunnerError;
  expect(e.stack).toBe("");
  return { name: e.name, detail: JSON.parse(e.message) as Record<string, unknown> };
}

describe("the steps function's handler", () => {
  it("runs a step with params rendered from the state data, and says what it called as whom", async () => {
    const config = configFor(held.emulator, RUNBOOK);
    const deps = runnerDeps(config);
    try {
      const id = executionId();
      const result = await handleStep(
        { action: "step", stepId: "alarm-quiet", state: stateFor(id, {}, { alarm: ALARM }) },
        deps,
      );
      expect(result.outputs).toEqual({ states: { [ALARM]: "OK" } });
      expect(result.calls).toEqual({ "cloudwatch:DescribeAlarms": 1 });
      expect(result.principal).toBe(FUNCTION_PRINCIPAL);
      expect(result).not.toHaveProperty("account");
      expect(result).not.toHaveProperty("alreadyInPlace");
      expect(Date.parse(result.finishedAt)).toBeGreaterThan(Date.now() - 10_000);
      expect(result.durationMs).toBeGreaterThanOrEqual(0);
    } finally {
      deps.destroy();
    }
  });

  it("acts once in the recovery account as runbook+<execution>; invoked again it finds the effect in place and changes nothing", async () => {
    const config = configFor(held.emulator, RUNBOOK);
    const deps = runnerDeps(config);
    const secondary = held.emulator.routingControlArn("cell-us-west-2");
    try {
      const id = executionId();
      const event = { action: "step" as const, stepId: "shift", state: stateFor(id) };
      const mutatingBefore = held.emulator.mutatingCalls().length;
      const first = await handleStep(event, deps);
      expect(first.alreadyInPlace).toBeUndefined();
      expect(first.account).toBe(RECOVERY);
      expect(first.principal).toBe(`arn:aws:sts::${RECOVERY}:assumed-role/runbook-arc/runbook+${id}`);
      expect(first.calls?.["route53-recovery-cluster:UpdateRoutingControlStates"]).toBe(1);
      const updates = held.emulator
        .mutatingCalls()
        .slice(mutatingBefore)
        .filter((c) => c.operation === "UpdateRoutingControlStates");
      expect(updates).toHaveLength(1);
      expect(updates[0]!.principal).toBe(first.principal);

      // Step Functions retried the Task (or redrove it): the check answers, nothing is sent again.
      const again = held.emulator.mutatingCalls().length;
      const second = await handleStep(event, deps);
      expect(second.alreadyInPlace).toBe(true);
      expect(second.detail).toContain("is On");
      expect(second.outputs).toMatchObject({ states: { [secondary]: "On" } });
      expect(second.calls).not.toHaveProperty(["route53-recovery-cluster:UpdateRoutingControlStates"]);
      expect(held.emulator.mutatingCalls().length).toBe(again);

      // A later step reads the first's outputs from the state data.
      const echo = await handleStep(
        {
          action: "step",
          stepId: "echo",
          state: stateFor(id, {
            shift: { outputs: first.outputs, finishedAt: first.finishedAt, measures: {} },
          }),
        },
        deps,
      );
      expect(echo.outputs.message).toBe(`secondary is {"${secondary}":"On"} in ${id}`);
    } finally {
      deps.destroy();
    }
  });

  it("names failures by class: retryable, conflict, fatal and timeout, with the calls made", async () => {
    const config = configFor(held.emulator, RUNBOOK);
    const deps = runnerDeps(config);
    const id = executionId();
    try {
      held.emulator.forceAlarmState(REGION, ALARM, "ALARM");
      const alarm = await failure(
        handleStep(
          { action: "step", stepId: "alarm-quiet", state: stateFor(id, {}, { alarm: ALARM }) },
          deps,
        ),
      );
      expect(alarm.name).toBe("Runbook.Retryable");
      expect(alarm.detail).toMatchObject({
        class: "retryable",
        message: `${ALARM} is ALARM; expected OK`,
        calls: { "cloudwatch:DescribeAlarms": 1 },
      });
      expect(alarm.detail.durationMs).toEqual(expect.any(Number));

      const safety = await failure(
        handleStep({ action: "step", stepId: "all-off", state: stateFor(id) }, deps),
      );
      expect(safety.name).toBe("Runbook.Conflict");
      expect(String(safety.detail.message)).toMatch(/at-least-one-cell-on/);

      const typo = await failure(handleStep({ action: "step", stepId: "typo", state: stateFor(id) }, deps));
      expect(typo.name).toBe("Runbook.Fatal");
      expect(typo.detail.message).toMatch(/^cloudwatch\.alarm params after substitution: alarmNames: /);
      expect(typo.detail).not.toHaveProperty("calls");

      const unknown = await failure(
        handleStep({ action: "step", stepId: "nope", state: stateFor(id) }, deps),
      );
      expect(unknown.name).toBe("Runbook.Fatal");
      expect(unknown.detail.message).toBe('runbook runner has no executor step "nope"');
    } finally {
      held.emulator.forceAlarmState(REGION, ALARM, undefined);
      deps.destroy();
    }
  });

  it("stops a second before the function's time is up, as Runbook.Timeout", async () => {
    const config = configFor(held.emulator, RUNBOOK);
    let remaining = 1600;
    const deps = runnerDeps(config, { remainingMs: () => remaining });
    try {
      const started = Date.now();
      const timeout = await failure(
        handleStep({ action: "step", stepId: "pause", state: stateFor(executionId()) }, deps),
      );
      expect(timeout.name).toBe("Runbook.Timeout");
      expect(timeout.detail.message).toMatch(/^the function's time ran out \(1600 ms were left\)/);
      expect(Date.now() - started).toBeLessThan(1500);
      remaining = 500;
      const none = await failure(
        handleStep({ action: "step", stepId: "pause", state: stateFor(executionId()) }, deps),
      );
      expect(none.name).toBe("Runbook.Timeout");
    } finally {
      deps.destroy();
    }
  });

  it("counts an abort probe's consecutive failures and trips at the criterion's `failures`", async () => {
    const config = configFor(held.emulator, RUNBOOK);
    const deps = runnerDeps(config);
    const state = stateFor(executionId(), {}, { alarm: ALARM });
    const probe = (failures: number) =>
      handleProbe({ action: "probe", criterion: "recovery-5xx", failures, state }, deps);
    try {
      expect(await probe(0)).toEqual({ failures: 0, tripped: false });
      held.emulator.forceAlarmState(REGION, ALARM, "ALARM");
      const once = await probe(0);
      expect(once).toEqual({ failures: 1, tripped: false, reason: `${ALARM} is ALARM; expected OK` });
      expect(await probe(once.failures)).toMatchObject({ failures: 2, tripped: true });
      held.emulator.forceAlarmState(REGION, ALARM, undefined);
      // A pass in between starts the count again.
      expect(await probe(1)).toEqual({ failures: 0, tripped: false });
      await expect(
        handleProbe({ action: "probe", criterion: "nope", failures: 0, state }, deps),
      ).rejects.toMatchObject({ name: "Runbook.Fatal" });
    } finally {
      held.emulator.forceAlarmState(REGION, ALARM, undefined);
      deps.destroy();
    }
  });

  it("refuses a payload without the execution's state", async () => {
    const deps = runnerDeps(configFor(held.emulator, RUNBOOK));
    try {
      const bad = await failure(handleStep({ action: "step", stepId: "shift", state: {} as never }, deps));
      expect(bad.name).toBe("Runbook.Fatal");
      expect(bad.detail.message).toMatch(/state\.run\.executionId/);
    } finally {
      deps.destroy();
    }
  });
});
