import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Runbook } from "../../src/language/runbook.js";
import { ROOT } from "../cli/harness.js";
import { useCliSandbox } from "../fixtures/cli-sandbox.js";
import {
  type EngineRun,
  effectCounts,
  fault,
  gateWaits,
  milestoneOffsets,
  mutatingCallsByStep,
  type RunOptions,
  repeatedEffects,
  runOnSandbox,
  singleAttemptSteps,
  stepOutcomes,
  warmFunctions,
} from "./differential-runs.js";

/**
 * Differential tests of issue 13: the same runbook on the same sandbox through this machine's
 * engine and through the sandbox's Step Functions (deployed first, the sandbox reset before
 * each run) gives the same step outcomes, the same side effects in the emulator's call log,
 * each exactly once, and its milestones at the same offsets from the execution's start (±1 s).
 * Both engines start warm (the functions' containers are started before the Step Functions
 * run, as the local engine's process is before its execution.started): a cold start is the
 * bench's business, where the client-observed outage of a cold deployment is measured. Time
 * spent waiting at gates is left out of the offsets: --approve answers in-process locally and
 * through the approval function on Step Functions, and an approver's time is not the engine's
 * (each such round trip is bounded on its own).
 */

const { home, env, cli, endpoints } = useCliSandbox("runbook-differential-");

const FIXTURE = join(ROOT, "test", "fixtures", "runbooks", "differential-sandbox.yaml");
const MILESTONE_TOLERANCE_MS = 1000;
/** An --approve answer through Step Functions: follower's poll, proof, approval function (maybe cold), STS, token. */
const GATE_ROUND_TRIP_MS = 5000;

async function deploy(runbook: string): Promise<void> {
  const r = await cli(["deploy", runbook, "--env", "sandbox"]);
  expect(r.code, r.stderr).toBe(0);
}

/** The sandbox back to its initial topology, the call log emptied (reset does both). */
async function reset(): Promise<void> {
  const r = await cli(["sandbox", "reset"]);
  expect(r.code, r.stderr).toBe(0);
}

function run(o: Omit<RunOptions, "home" | "env" | "endpoints">): Promise<EngineRun> {
  return runOnSandbox({ ...o, home, env, endpoints });
}

/** What must be the same whichever engine ran: outcomes, effects per step and per operation, milestones. */
function expectSameRun(local: EngineRun, sfn: EngineRun, deterministic: (id: string) => boolean): void {
  expect(sfn.state.status).toBe(local.state.status);
  expect(stepOutcomes(sfn, deterministic)).toEqual(stepOutcomes(local, deterministic));
  const mutating = new Set([...local.mutatingOperations, ...sfn.mutatingOperations]);
  expect(mutatingCallsByStep(sfn, mutating)).toEqual(mutatingCallsByStep(local, mutating));
  for (const r of [local, sfn]) {
    const byStep = Object.values(mutatingCallsByStep(r, mutating)).flatMap((calls) => Object.values(calls));
    // Each step changed what it changes once, and its journal accounts for every change the emulator saw.
    expect(
      byStep.every((n) => n === 1),
      `${r.engine}: ${JSON.stringify(mutatingCallsByStep(r, mutating))}`,
    ).toBe(true);
    expect(byStep.reduce((a, b) => a + b, 0)).toBe(r.effects.length);
  }
  expect(effectCounts(sfn)).toEqual(effectCounts(local));
  expect(repeatedEffects(local)).toEqual([]);
  expect(repeatedEffects(sfn)).toEqual([]);
  const [l, s] = [
    milestoneOffsets(local, { lessGateWaits: true }),
    milestoneOffsets(sfn, { lessGateWaits: true }),
  ];
  const [rawL, rawS] = [milestoneOffsets(local), milestoneOffsets(sfn)];
  expect(Object.keys(s).sort()).toEqual(Object.keys(l).sort());
  for (const name of Object.keys(l))
    expect(
      Math.abs(s[name]! - l[name]!),
      `${name}: ${l[name]} ms into the local run, ${s[name]} ms into the Step Functions one, gate waits left out (${rawL[name]} and ${rawS[name]} ms with them)`,
    ).toBeLessThanOrEqual(MILESTONE_TOLERANCE_MS);
  // Step Functions answers an --approve gate through the approval function: a round trip, not a stall.
  for (const [id, w] of Object.entries(gateWaits(sfn)))
    expect(w.ms, `gate ${id} answered after ${w.ms} ms`).toBeLessThan(GATE_ROUND_TRIP_MS);
}

describe("the local engine and Step Functions on the same sandbox", () => {
  it("a purpose-built runbook: every kind of step the export maps differently, one retried", async () => {
    await deploy(FIXTURE);
    const alarm = "case-api-5xx-us-west-2";
    const once = async (engine: "local" | "stepfunctions", warm?: Runbook) => {
      await reset();
      if (warm) await warmFunctions(endpoints(), warm);
      // recovery-quiet fails its first attempt on this pinned alarm; the pin is lifted as soon
      // as that failure is journaled, well inside its 2 s backoff, so its second attempt passes.
      await fault(endpoints(), "alarm", [alarm, "ALARM"]);
      let lifted: Promise<void> | undefined;
      const r = await run({
        engine,
        runbook: FIXTURE,
        onEvent: (e) => {
          if (e.type === "step.failed" && e.stepId === "recovery-quiet")
            lifted ??= fault(endpoints(), "alarm", [alarm], true);
        },
      });
      await lifted;
      return r;
    };
    const local = await once("local");
    const sfn = await once("stepfunctions", local.state.runbookIr as Runbook);

    expect(local.state.status).toBe("completed");
    const outcomes = stepOutcomes(local, () => true);
    expect(outcomes["recovery-quiet"]).toMatchObject({ status: "succeeded", attempts: 2 });
    expect(outcomes["jobs-off-in-primary"]).toMatchObject({
      status: "skipped",
      skipReason: expect.stringContaining("condition false"),
    });
    expect(outcomes["jobs-stay-on-in-primary"]).toMatchObject({ status: "succeeded", alreadyInPlace: true });
    expect(outcomes["open-recovery"]).toMatchObject({ status: "succeeded", attempts: 1 });
    expect(effectCounts(local)).toEqual({
      "ecs:UpdateService": 1,
      "events:EnableRule": 1,
      "monitoring:PutMetricData": 1,
      "route53-recovery-cluster:UpdateRoutingControlStates": 1,
    });
    expect(Object.keys(milestoneOffsets(local)).sort()).toEqual(["service_restored", "traffic_shifted"]);
    // ARC through the recovery account's role on both engines.
    const arc = (r: EngineRun) => r.effects.find((c) => c.operation === "UpdateRoutingControlStates");
    expect(arc(local)).toBeDefined();
    expect(arc(sfn)).toBeDefined();
    expectSameRun(local, sfn, () => true);
  }, 150_000);

  it("failover-case-api, graceful (the primary up: every `when` on its other branch)", async () => {
    await deploy("failover-case-api");
    const once = async (engine: "local" | "stepfunctions", warm?: Runbook) => {
      await reset();
      if (warm) await warmFunctions(endpoints(), warm);
      return run({ engine, runbook: "failover-case-api", args: ["--input", "mode=graceful"] });
    };
    const local = await once("local");
    const sfn = await once("stepfunctions", local.state.runbookIr as Runbook);

    expect(local.state.status).toBe("completed");
    const outcomes = stepOutcomes(local, () => false);
    // Graceful: the checks and moves that need the primary region run, none is skipped.
    for (const id of [
      "secrets-in-sync",
      "sessions-replication-current",
      "evidence-replication-current",
      "outbox-off-in-primary",
      "jobs-off-in-primary",
    ])
      expect(outcomes[id]?.status, id).toBe("succeeded");
    expect(effectCounts(local)).toMatchObject({
      "rds:FailoverGlobalCluster": 1,
      "route53-recovery-cluster:UpdateRoutingControlStates": 2,
    });
    expect(Object.keys(milestoneOffsets(local)).sort()).toEqual([
      "db_promoted",
      "service_restored",
      "traffic_shifted",
      "writes_fenced",
    ]);
    expectSameRun(local, sfn, singleAttemptSteps(local));
  }, 150_000);
});
