import { describe, expect, it } from "vitest";
import { cursorFromJournal, importHistory } from "../../src/stepfunctions/history-import.js";
import type { Manifest } from "../../src/stepfunctions/manifest.js";
import {
  type Chain,
  EXECUTION_ARN,
  HistoryBuilder,
  header,
  manifestOf,
  runbookOf,
  stepResult,
  verifiedFold,
  writeJournal,
} from "./history-fixtures.js";
import { SCENARIOS } from "./history-scenarios.js";

/** After the point of no return, a declined gate still runs onAbort, minus the steps that would undo work. */
describe("history import: onAbort past the point of no return", () => {
  const runbook = runbookOf(`${header("late")}
steps:
  - { id: promote, type: test.effect, with: { name: promote }, pointOfNoReturn: true }
  - { id: shift, type: test.effect, with: { name: shift }, approval: { prompt: "Shift?" } }
onAbort:
  - { id: unfence, type: test.effect, with: { name: unfence } }
  - { id: page, type: test.effect, with: { name: page }, always: true }
`);
  const history = () => {
    const h = new HistoryBuilder();
    h.started({ run: {} });
    h.pass("start");
    h.stepTask("promote", "promote", [{ result: stepResult({ value: "promote" }) }]);
    const gate = h.gateTask("shift.gate-1", "shift", 1, { declinedBy: "dave", reason: "too late" });
    h.exit("shift.gate-1", "Task", gate);
    h.pass("onAbort.unfence.skip");
    h.stepTask("onAbort.page", "page", [{ result: stepResult({ value: "page" }) }]);
    h.push("ExecutionFailed", { executionFailedEventDetails: { error: "Runbook.Aborted" } });
    return h.events;
  };
  const manifest = (reason?: "pastPointOfNoReturn"): Manifest =>
    manifestOf({
      start: { kind: "start" },
      promote: { kind: "step", stepId: "promote", pointOfNoReturn: true },
      "shift.gate-1": { kind: "gate", stepId: "shift" },
      "onAbort.unfence.skip": {
        kind: "skip",
        stepId: "unfence",
        phase: "onAbort",
        ...(reason ? { reason } : {}),
      },
      "onAbort.page": { kind: "step", stepId: "page", phase: "onAbort" },
    });

  for (const reason of ["pastPointOfNoReturn", undefined] as const) {
    it(`skips the undoing step${reason ? " (the export says why)" : " (the import works out why)"}`, () => {
      const { drafts } = importHistory({
        manifest: manifest(reason),
        runbook,
        executionArn: EXECUTION_ARN,
        events: history(),
        cursor: cursorFromJournal([]),
      });
      const state = verifiedFold(writeJournal(runbook, drafts));
      expect(drafts.find((d) => d.stepId === "unfence")).toMatchObject({
        type: "step.skipped",
        data: { reason: "pastPointOfNoReturn" },
      });
      expect(state.status).toBe("aborted");
      expect(state.steps.get("page")!.status).toBe("succeeded");
      expect(state.abort).toMatchObject({ criterion: "gate:shift", reason: "gate declined by dave" });
    });
  }
});

describe("history import: RedriveExecution", () => {
  it("is a resume: the failed states run again and the run can still complete", () => {
    const s = SCENARIOS.failure();
    const h = new HistoryBuilder();
    h.events.push(...s.events);
    h.wait(60_000);
    h.push("ExecutionRedriven", { executionRedrivenEventDetails: { redriveCount: 1 } });
    const par = h.enter("both", "Parallel");
    h.push("ParallelStateStarted", {}, par);
    const a: Chain = { last: par.last };
    const b: Chain = { last: par.last };
    h.stepTask("a", "a", [{ result: stepResult({ value: "a" }) }], a);
    h.stepTask("b", "b", [{ result: stepResult({ value: "b" }) }], b);
    h.push("ParallelStateSucceeded", {}, b);
    h.exit("both", "Parallel", par);
    h.stepTask("never", "never", [{ result: stepResult({ value: "never" }) }]);
    h.push("ExecutionSucceeded", { executionSucceededEventDetails: { output: "{}" } });
    const { drafts } = importHistory({
      manifest: s.manifest,
      runbook: s.runbook,
      executionArn: EXECUTION_ARN,
      events: h.events,
      cursor: cursorFromJournal([]),
    });
    const state = verifiedFold(writeJournal(s.runbook, drafts));
    expect(drafts.map((d) => d.type)).toContain("execution.resumed");
    expect(state.status).toBe("completed");
    expect(state.failure).toBeUndefined();
    expect(state.steps.get("a")).toMatchObject({ status: "succeeded", attempts: 2 });
    expect(state.steps.get("both")!.status).toBe("succeeded");
  });
});
