import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { dropInInbox } from "../../src/engine/approvals.js";
import { startExecution } from "../../src/engine/engine.js";
import type { AnyJournalEvent } from "../../src/journal/events.js";
import type { ExecutionState } from "../../src/journal/fold.js";
import { approvalsInbox } from "../../src/journal/paths.js";
import { cursorFromJournal, importHistory } from "../../src/stepfunctions/history-import.js";
import { testRegistry, World } from "../engine/fixtures.js";
import { EXECUTION_ARN, verifiedFold, writeJournal } from "./history-fixtures.js";
import { SCENARIOS, type Scenario } from "./history-scenarios.js";

/**
 * The same runbook through the local engine and through (a recorded) Step Functions: the
 * imported journal must tell the same story, step by step.
 */

async function runLocally(
  s: Scenario,
  approvals: { stepId: string; by: string; decision: "approve" | "decline" }[] = [],
) {
  const home = mkdtempSync(join(tmpdir(), "runbook-parity-"));
  const events: AnyJournalEvent[] = [];
  const run = startExecution(
    s.runbook,
    { inputs: s.inputs },
    {
      home,
      workdir: home,
      env: {},
      operator: "alice",
      autoApprove: false,
      registry: testRegistry(new World()),
      random: () => 0.5,
      approvalPollMs: 20,
      onEvent: (e) => {
        events.push(e);
        if (e.type === "execution.started")
          for (const a of approvals) dropInInbox(approvalsInbox(home, e.data.executionId), { ...a, at: "" });
      },
    },
  );
  const out = await run;
  return { state: out.state, events };
}

function imported(s: Scenario) {
  const { drafts } = importHistory({
    manifest: s.manifest,
    runbook: s.runbook,
    executionArn: EXECUTION_ARN,
    events: s.events,
    cursor: cursorFromJournal([]),
  });
  const j = writeJournal(s.runbook, drafts, s.inputs);
  return { state: verifiedFold(j), events: j.events };
}

/** Per step: the journal's events about it, in order; and how the fold ends it. */
function story(events: AnyJournalEvent[], state: ExecutionState) {
  const perStep: Record<string, string[]> = {};
  for (const e of events) if (e.stepId) perStep[e.stepId] = [...(perStep[e.stepId] ?? []), e.type];
  const steps = [...state.steps].map(([id, st]) => ({
    id,
    status: st.status,
    outputs: st.outputs,
    error: st.error,
    skip: st.skipReason,
    approvals: st.approvals.map((a) => a.by),
  }));
  return {
    status: state.status,
    failure: state.failure,
    abort: state.abort && {
      reason: state.abort.reason,
      criterion: state.abort.criterion,
      duringStep: state.abort.duringStep,
    },
    milestones: Object.keys(state.milestones).sort(),
    perStep,
    steps,
    terminal: events.at(-1)?.type,
  };
}

describe("history import: parity with the local engine", () => {
  it("a failure in a block cancels its sibling and fails the run, as locally", async () => {
    const s = SCENARIOS.failure();
    const local = await runLocally(s);
    const sfn = imported(s);
    expect(story(sfn.events, sfn.state)).toEqual(story(local.events, local.state));
  });

  it("gates: approvals, a decline, the abort and onAbort, as locally", async () => {
    const s = SCENARIOS.gates();
    const local = await runLocally(s, [
      { stepId: "confirm", by: "alice", decision: "approve" },
      { stepId: "confirm", by: "bob", decision: "approve" },
      { stepId: "promote", by: "carol", decision: "approve" },
      { stepId: "shift", by: "dave", decision: "decline" },
    ]);
    const sfn = imported(s);
    expect(story(sfn.events, sfn.state)).toEqual(story(local.events, local.state));
  });

  it("a parallel block with a skipped child, as locally", async () => {
    const s = SCENARIOS.parallel({ lambdaHiccup: false });
    const local = await runLocally(s);
    const sfn = imported(s);
    const a = story(sfn.events, sfn.state);
    const b = story(local.events, local.state);
    expect(a).toEqual(b);
  });
});
