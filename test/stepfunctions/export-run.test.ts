import { describe, expect, it } from "vitest";
import { allStates } from "../../src/stepfunctions/asl.js";
import type { ExportedMachine } from "../../src/stepfunctions/export-definition.js";
import { exported, localMachine, runbookFrom, shipped } from "./export-fixtures.js";

/**
 * The exported failover-case-api run by aws-local-stepfunctions (an ASL interpreter that is not
 * ours), its two functions faked by local handlers: which states an execution enters when every
 * step succeeds, when an abort probe trips before and after the point of no return, and when a
 * gate is declined.
 */

const INPUT = {
  run: {
    executionId: "failover-case-api-20261201T000000Z-abcd",
    runbook: "failover-case-api",
    environment: "aws-example",
    mode: "run",
    declaredAt: "2026-12-01T00:00:00.000Z",
    inputs: { mode: "ungraceful", maxLagMs: "60000" },
  },
  started: { runbook: "failover-case-api" },
};

interface Scenario {
  /** The probe of this criterion fails while this step runs (and passes otherwise). */
  trip?: { criterion: string; during: string };
  /** This gate's approver declines. */
  decline?: string;
}

interface Outcome {
  entered: string[];
  error?: string;
  output?: { steps: Record<string, unknown>; gates: Record<string, unknown> };
  stepsRun: string[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function run({ definition, manifest }: ExportedMachine, s: Scenario): Promise<Outcome> {
  const running = new Set<string>();
  const stepsRun: string[] = [];
  const handlers: Record<string, (input: never) => Promise<unknown>> = {};
  // A handler for every Task: without one the interpreter would call a real Lambda function.
  for (const [name] of allStates(definition).filter(([, st]) => st.Type === "Task")) {
    const st = manifest.states[name]!;
    if (st.kind === "step") {
      const stepId = st.stepId!;
      handlers[name] = async () => {
        running.add(stepId);
        stepsRun.push(stepId);
        // The step the probe trips during lasts long enough for two probes to fail.
        await sleep(s.trip?.during === stepId ? 400 : 5);
        running.delete(stepId);
        return { Payload: { outputs: { done: stepId }, finishedAt: new Date().toISOString(), measures: {} } };
      };
    } else if (st.kind === "gate") {
      handlers[name] = async () => {
        await sleep(5);
        if (s.decline === name)
          throw Object.assign(new Error(JSON.stringify({ by: "bob", reason: "not now" })), {
            name: "Runbook.Declined",
          });
        return { approvedBy: "alice", principalArn: "arn:aws:iam::111122223333:user/alice" };
      };
    } else if (st.kind === "probe") {
      handlers[name] = async (input: { Payload: { failures: number } }) => {
        const failing = s.trip?.criterion === st.criterion && running.has(s.trip!.during);
        const failures = failing ? input.Payload.failures + 1 : 0;
        return { Payload: { failures, tripped: failures >= 2 } };
      };
    } else throw new Error(`no handler for Task ${name} (${st.kind})`);
  }
  const waits = Object.fromEntries(
    Object.entries(manifest.states)
      .filter(([n, st]) => st.kind === "watch" && n.includes(".wait."))
      .map(([n]) => [n, 20]),
  );
  const execution = localMachine(definition).run(INPUT, {
    overrides: { taskResourceLocalHandlers: handlers as never, waitTimeOverrides: waits },
    context: {
      Execution: { Id: "arn:aws:states:ap-southeast-3:111122223333:execution:x:y" },
      Task: { Token: "t" },
    },
  });
  const entered: string[] = [];
  let error: string | undefined;
  for await (const e of execution.eventLogs) {
    if (e.type === "StateEntered") entered.push(e.state.name);
    if (e.type === "ExecutionFailed") error = e.Error;
  }
  const output = await execution.result.catch(() => undefined);
  return { entered, ...(error ? { error } : {}), ...(output ? { output: output as never } : {}), stepsRun };
}

const milestones = (o: Outcome) => o.entered.filter((n) => n.startsWith("milestone."));
const onAbort = (o: Outcome) => o.entered.filter((n) => n.startsWith("onAbort.") || n === "aborted");

describe("the exported failover-case-api, run by aws-local-stepfunctions", () => {
  const machine = exported(shipped("failover-case-api"));

  it("completes: guards done in order, milestones in order, every step's result in the state", async () => {
    const o = await run(machine, {});
    expect(o.error).toBeUndefined();
    expect(o.entered.filter((n) => /^guard\.\d+\.done$/.test(n))).toEqual(
      [1, 2, 3, 4, 5, 6].map((n) => `guard.${n}.done`),
    );
    expect(milestones(o)).toEqual([
      "milestone.writes_fenced",
      "milestone.db_promoted",
      "milestone.traffic_shifted",
      "milestone.service_restored",
    ]);
    expect(onAbort(o)).toEqual([]);
    // mode ungraceful: the checks that need the primary region are skipped.
    for (const skipped of ["secrets-in-sync", "sessions-replication-current", "evidence-replication-current"])
      expect(o.entered).toContain(`${skipped}.skip`);
    // What ran inside guards and blocks came back out into $.steps.
    expect(Object.keys(o.output!.steps).sort()).toEqual([...o.stepsRun].sort());
    expect(o.stepsRun).toEqual(
      expect.arrayContaining(["secondary-healthy", "promote", "jobs-on-in-recovery", "publish"]),
    );
    expect(Object.keys(o.output!.gates).sort()).toEqual(["confirm-scope", "promote"]);
  });

  it("a probe tripping before the point of no return runs every onAbort step, then fails as aborted", async () => {
    const o = await run(machine, { trip: { criterion: "recovery-region-5xx", during: "fence-writes" } });
    expect(o.error).toBe("Runbook.Aborted");
    expect(o.entered).toContain("guard.4.tripped.recovery-region-5xx");
    expect(onAbort(o)).toEqual([
      "onAbort.restore-primary-routing.when",
      "onAbort.restore-primary-routing",
      "onAbort.page",
      "aborted",
    ]);
    expect(o.entered).not.toContain("promote");
    expect(milestones(o)).toEqual([]);
  });

  it("a probe tripping while the point of no return runs leaves only the onAbort steps marked always", async () => {
    const o = await run(machine, { trip: { criterion: "recovery-region-5xx", during: "promote" } });
    expect(o.error).toBe("Runbook.Aborted");
    expect(onAbort(o)).toEqual([
      "onAbort.past-point-of-no-return",
      "onAbort.restore-primary-routing.when",
      "onAbort.restore-primary-routing.skip-pnr",
      "onAbort.page",
      "aborted",
    ]);
    expect(milestones(o)).toEqual(["milestone.writes_fenced"]);
  });

  it("a declined gate before the point of no return runs every onAbort step", async () => {
    const o = await run(machine, { decline: "promote.gate-1" });
    expect(o.error).toBe("Runbook.Aborted");
    expect(o.stepsRun).not.toContain("promote");
    expect(onAbort(o)).toEqual([
      "onAbort.restore-primary-routing.when",
      "onAbort.restore-primary-routing",
      "onAbort.page",
      "aborted",
    ]);
  });

  it("a declined gate outside any guard catches into onAbort too", async () => {
    const machine = exported(
      runbookFrom(`apiVersion: runbook/v1
kind: Runbook
metadata: { name: unguarded-gate, environment: sandbox }
steps:
  - { id: ask, type: approval, with: { prompt: go?, minApprovals: 2, approvers: [alice, bob] } }
  - { id: act, type: note, with: { message: acting } }
onAbort:
  - { id: undo, type: note, with: { message: undoing } }
`),
    );
    const approved = await run(machine, {});
    expect(approved.entered).toEqual(["start", "ask.gate-1", "ask.gate-2", "act", "end"]);
    const declined = await run(machine, { decline: "ask.gate-2" });
    expect(declined.error).toBe("Runbook.Aborted");
    expect(declined.entered).toEqual(["start", "ask.gate-1", "ask.gate-2", "onAbort.undo", "aborted"]);
  });

  it("a runbook that cannot abort has no aborted state (it would be unreachable) and runs", async () => {
    const machine = exported(
      runbookFrom(`apiVersion: runbook/v1
kind: Runbook
metadata: { name: cannot-abort, environment: sandbox }
steps:
  - { id: one, type: note, with: { message: one } }
  - { id: two, type: note, with: { message: two } }
`),
    );
    expect(Object.keys(machine.definition.States)).toEqual(["start", "one", "two", "end"]);
    expect(Object.keys(machine.manifest.states)).not.toContain("aborted");
    const o = await run(machine, {});
    expect(o.error).toBeUndefined();
    expect(o.entered).toEqual(["start", "one", "two", "end"]);
  });
});
