import { describe, expect, it } from "vitest";
import { achievedRtoMs, observedRpoMs } from "../../src/journal/fold.js";
import {
  cursorFromJournal,
  importHistory,
  type JournalDraft,
  startedFromHistory,
} from "../../src/stepfunctions/history-import.js";
import {
  EXECUTION_ARN,
  HistoryBuilder,
  startedData,
  T0,
  verifiedFold,
  writeJournal,
} from "./history-fixtures.js";
import { SCENARIOS, type Scenario } from "./history-scenarios.js";

function importAll(s: Scenario) {
  const { drafts, cursor } = importHistory({
    manifest: s.manifest,
    runbook: s.runbook,
    executionArn: EXECUTION_ARN,
    events: s.events,
    cursor: cursorFromJournal([]),
  });
  const journal = writeJournal(s.runbook, drafts, s.inputs);
  return { drafts, cursor, journal, state: verifiedFold(journal) };
}

const line = (d: JournalDraft) => `${d.type}${d.stepId ? ` ${d.stepId}` : ""}`;
const dataOf = (drafts: JournalDraft[], type: string, stepId?: string) =>
  drafts.filter((d) => d.type === type && (stepId === undefined || d.stepId === stepId)).map((d) => d.data);

describe("history import: steps, retries, milestones", () => {
  it("journals each attempt as the local engine does, with Step Functions' own retry delays", () => {
    const { drafts, state } = importAll(SCENARIOS.retries());
    expect(drafts.filter((d) => d.stepId === "fence").map(line)).toEqual([
      "step.intent fence",
      "step.failed fence",
      "step.intent fence",
      "step.failed fence",
      "step.intent fence",
      "measure fence",
      "step.succeeded fence",
      "milestone fence",
    ]);
    const failed = dataOf(drafts, "step.failed", "fence");
    expect(failed).toEqual([
      {
        attempt: 1,
        error: { message: "throttled by ARC", class: "retryable" },
        durationMs: 80,
        willRetry: true,
        retryInMs: 2000,
      },
      {
        attempt: 2,
        error: { message: "timed out after 30000 ms", class: "timeout" },
        durationMs: 102,
        willRetry: true,
        retryInMs: 4000,
      },
    ]);
    // The intent carries the params as written, templates unrendered.
    expect(dataOf(drafts, "step.intent", "validate")[0]).toMatchObject({
      params: { name: "${{ steps.promote.outputs.value }}" },
    });
    expect(state.status).toBe("completed");
    const fence = state.steps.get("fence")!;
    expect(fence).toMatchObject({ status: "succeeded", attempts: 3, outputs: { value: "fence" } });
    expect(fence).toMatchObject({ account: "222222222222", calls: { "arc:UpdateRoutingControlStates": 1 } });
    expect(fence.principal).toContain("assumed-role/runbook");
    expect(observedRpoMs(state)).toBe(1200);
  });

  it("an effect found in place is checked, not run, and the milestone times are the Pass states' entries", () => {
    const s = SCENARIOS.retries();
    const { drafts, state } = importAll(s);
    expect(drafts.filter((d) => d.stepId === "promote").map(line)).toEqual([
      "step.intent promote",
      "step.checked promote",
      "step.succeeded promote",
      "milestone promote",
    ]);
    expect(dataOf(drafts, "step.checked", "promote")[0]).toEqual({
      attempt: 1,
      inPlace: true,
      detail: "writer already in us-west-2",
    });
    expect(state.steps.get("promote")).toMatchObject({ status: "succeeded", alreadyInPlace: true });
    const entered = (name: string) =>
      s.events.find((e) => e.type === "PassStateEntered" && e.stateEnteredEventDetails?.name === name)!;
    expect(state.milestones.service_restored).toBe(
      entered("milestone.service_restored").timestamp!.toISOString(),
    );
    // RTO: service_restored − the declared incident time (a minute before the start).
    const restoredAt = entered("milestone.service_restored").timestamp!.getTime();
    expect(achievedRtoMs(state)).toBe(restoredAt - (T0 - 60_000));
    expect(drafts.at(-1)).toMatchObject({ type: "execution.completed" });
    // Every draft says which history event it came from.
    for (const d of drafts) expect(d.origin.executionArn).toBe(EXECUTION_ARN);
    expect(drafts.map((d) => d.origin.eventId)).toEqual(
      [...drafts.map((d) => d.origin.eventId)].sort((a, b) => a - b),
    );
  });
});

describe("history import: parallel blocks", () => {
  it("attributes interleaved branches, skips a child by its condition, then ends the block", () => {
    const { drafts, state } = importAll(SCENARIOS.parallel());
    expect(drafts.map(line)).toEqual([
      "step.intent left",
      "step.intent middle",
      "step.failed middle",
      "step.skipped right",
      "step.intent middle",
      "step.succeeded left",
      "step.succeeded middle",
      "step.succeeded both",
      "milestone both",
      "step.intent last",
      "step.succeeded last",
      "execution.completed",
    ]);
    // Lambda's own failure is retried by its own retrier, whatever the step's retry says.
    expect(dataOf(drafts, "step.failed", "middle")[0]).toMatchObject({
      error: { class: "retryable", message: "Lambda is unavailable" },
      willRetry: true,
      retryInMs: 1000,
    });
    expect(dataOf(drafts, "step.skipped", "right")[0]).toEqual({
      reason: "condition",
      detail: "condition false: ${{ inputs.mode == 'ungraceful' }}",
    });
    expect(dataOf(drafts, "step.succeeded", "both")[0]).toEqual({ attempt: 1, outputs: {}, durationMs: 0 });
    expect(state.status).toBe("completed");
    expect(state.steps.get("middle")).toMatchObject({ status: "succeeded", attempts: 2 });
    expect(state.steps.get("right")).toMatchObject({ status: "skipped" });
    expect(state.milestones.traffic_shifted).toBeDefined();
  });
});

describe("history import: gates", () => {
  it("journals requests, approvals with their proof, a decline and the abort it causes", () => {
    const { drafts, state } = importAll(SCENARIOS.gates());
    expect(dataOf(drafts, "gate.requested")).toEqual([
      { prompt: "Fail over case-api?", minApprovals: 2, approvers: ["alice", "bob"] },
      { prompt: 'Promote ["alice","bob"]?', minApprovals: 1, approvers: ["carol"] },
      { prompt: "Shift traffic?", minApprovals: 1 },
    ]);
    expect(dataOf(drafts, "gate.approved", "promote")).toEqual([
      {
        by: "carol",
        via: "approve-command",
        proof: { method: "sts:GetCallerIdentity", requestId: "req-1", nonce: "n-1" },
      },
    ]);
    // A `type: approval` step: its gates are its attempt; it succeeds with who approved.
    expect(dataOf(drafts, "step.succeeded", "confirm")[0]).toMatchObject({
      attempt: 1,
      outputs: { approvedBy: ["alice", "bob"] },
    });
    expect(dataOf(drafts, "gate.declined", "shift")).toEqual([
      { by: "dave", via: "approve-command", reason: "not now" },
    ]);
    expect(dataOf(drafts, "abort.fired")).toEqual([
      { criterion: "gate:shift", reason: "gate declined by dave", duringStep: "shift" },
    ]);
    expect(state.status).toBe("aborted");
    expect(state.abort).toMatchObject({ criterion: "gate:shift", reason: "gate declined by dave" });
    expect(state.steps.get("undo")).toMatchObject({ status: "succeeded" });
    expect(state.steps.get("promote")!.approvals.map((a) => a.by)).toEqual(["carol"]);
    // The task token is the approval function's to use: it never reaches the journal.
    expect(JSON.stringify(drafts)).not.toContain("secret-token");
  });

  it("a gate naming an ARN asks for proven identities", () => {
    const s = SCENARIOS.gates();
    const { drafts } = importHistory({
      manifest: s.manifest,
      runbook: s.runbook,
      executionArn: EXECUTION_ARN,
      events: s.events,
      cursor: cursorFromJournal([]),
      identities: "aws",
    });
    for (const d of dataOf(drafts, "gate.requested")) expect(d).toMatchObject({ identities: "aws" });
  });
});

describe("history import: abort criteria", () => {
  it("a tripped probe fires the abort during the open step, which is interrupted; onAbort runs", () => {
    const { drafts, state } = importAll(SCENARIOS.guard());
    expect(drafts.map(line)).toEqual([
      "step.intent fence",
      "step.succeeded fence",
      "step.intent slow",
      "abort.fired",
      "step.failed slow",
      "step.intent unfence",
      "step.succeeded unfence",
      "step.intent page",
      "step.succeeded page",
      "execution.aborted",
    ]);
    expect(dataOf(drafts, "abort.fired")[0]).toEqual({
      criterion: "lag",
      reason: "flag lag is set",
      duringStep: "slow",
    });
    expect(dataOf(drafts, "step.failed", "slow")[0]).toMatchObject({
      error: { message: 'interrupted: abort criterion "lag" fired', class: "fatal" },
      willRetry: false,
    });
    expect(dataOf(drafts, "execution.aborted")[0]).toEqual({ reason: "flag lag is set", criterion: "lag" });
    expect(state.status).toBe("aborted");
    expect(state.steps.get("promote")!.status).toBe("pending");
  });
});

describe("history import: failures and stops", () => {
  it("a step failing for good fails the run with its message; its running sibling is cancelled", () => {
    const { drafts, state } = importAll(SCENARIOS.failure());
    expect(dataOf(drafts, "step.failed")).toEqual([
      {
        attempt: 1,
        error: { message: "a failed on attempt 1", class: "fatal" },
        durationMs: 150,
        willRetry: false,
      },
      expect.objectContaining({ error: { message: 'cancelled: step "a" failed', class: "fatal" } }),
    ]);
    expect(drafts.at(-1)).toMatchObject({
      type: "execution.failed",
      data: { stepId: "a", message: "a failed on attempt 1" },
    });
    expect(state.status).toBe("failed");
    expect(state.failure).toEqual({ stepId: "a", message: "a failed on attempt 1" });
  });

  it("StopExecution fails the run, saying it was stopped in Step Functions", () => {
    const { drafts, state } = importAll(SCENARIOS.stopped());
    expect(drafts.slice(-2).map(line)).toEqual(["step.failed slow", "execution.failed"]);
    expect(dataOf(drafts, "step.failed", "slow")[0]).toMatchObject({
      attempt: 1,
      durationMs: 3002,
      error: { class: "fatal", message: "cancelled: the execution was stopped in Step Functions" },
    });
    expect(state.status).toBe("failed");
    expect(state.failure?.message).toBe("stopped in Step Functions (StopExecution): operator stopped it");
    expect(state.steps.get("slow")).toMatchObject({ status: "failed", inDoubt: false });
  });

  it("a timed-out execution fails the run", () => {
    const s = SCENARIOS.stopped();
    const events = s.events.slice(0, -1);
    const h = new HistoryBuilder();
    h.events.push(...events);
    h.push("ExecutionTimedOut", { executionTimedOutEventDetails: { error: "States.Timeout" } });
    const { state } = importAll({ ...s, events: h.events });
    expect(state.status).toBe("failed");
    expect(state.failure?.message).toContain("timed out in Step Functions");
  });
});

describe("startedFromHistory", () => {
  it("reads the start record from the execution's input, with the runbook IR", () => {
    const s = SCENARIOS.retries();
    const started = startedData(s.runbook);
    const { runbookIr: _, ...withoutIr } = started;
    const h = new HistoryBuilder();
    h.started({ run: {}, started: withoutIr });
    expect(startedFromHistory(h.events[0]!, s.runbook)).toEqual({ ...withoutIr, runbookIr: s.runbook });
    // Without the IR anywhere, there is nothing to follow the execution with.
    expect(startedFromHistory(h.events[0]!)).toBeUndefined();
    const k = new HistoryBuilder();
    k.started({ run: {}, started });
    expect(startedFromHistory(k.events[0]!)).toEqual(started);
  });

  it("is undefined for an execution runbook did not start, or another event", () => {
    const h = new HistoryBuilder();
    h.started({ anything: true });
    h.pass("start");
    expect(startedFromHistory(h.events[0]!)).toBeUndefined();
    expect(startedFromHistory(h.events[1]!)).toBeUndefined();
  });
});
