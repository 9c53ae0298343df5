import { describe, expect, it } from "vitest";
import type { AnyJournalEvent, EventData, EventType } from "../../src/journal/events.js";
import {
  achievedRtoMs,
  applyEvent,
  foldEvents,
  observedRpoMs,
  reconciledRpoMs,
} from "../../src/journal/fold.js";
import { GENESIS_HASH, hashEvent } from "../../src/journal/journal.js";

/** Builds a properly chained event list in memory; `at` is seconds after 07:00:00. */
class Events {
  readonly list: AnyJournalEvent[] = [];
  private prev = GENESIS_HASH;

  add<T extends EventType>(at: number, type: T, data: EventData[T], stepId?: string): this {
    const base = {
      seq: this.list.length + 1,
      ts: ts(at),
      type,
      data,
      prev: this.prev,
      ...(stepId !== undefined ? { stepId } : {}),
    };
    const e = { ...base, hash: hashEvent(base) } as AnyJournalEvent;
    this.list.push(e);
    this.prev = e.hash;
    return this;
  }

  fold() {
    const s = foldEvents(this.list);
    if (!s) throw new Error("no state");
    return s;
  }
}

const ts = (sec: number) => new Date(Date.parse("2026-11-27T07:00:00.000Z") + sec * 1000).toISOString();

function started(): EventData["execution.started"] {
  return {
    executionId: "db-failover-1",
    runbook: { name: "db-failover", file: "runbooks/db-failover.yaml", sourceSha256: "00".repeat(32) },
    environment: "prod",
    mode: "drill",
    objectives: { rtoMs: 900_000, rpoMs: 60_000 },
    inputs: { region: "us-west-2" },
    steps: [
      { id: "fence", type: "exec", phase: "main", description: "run fence" },
      { id: "promote", type: "note", phase: "main", description: "promote", gate: true },
      { id: "verify", type: "parallel", phase: "main", description: "verify", parallel: true },
      { id: "undo", type: "note", phase: "onAbort", description: "undo" },
    ],
    abortCriteria: [],
    operator: "alice",
    host: "h",
    pid: 10,
    // Declared one minute before the run started.
    declaredAt: ts(-60),
    workdir: "/work",
    engineVersion: "0.1.0",
    runbookIr: { name: "db-failover" },
  };
}

const run = () => new Events().add(0, "execution.started", started());

describe("foldEvents", () => {
  it("nothing before execution.started", () => {
    expect(foldEvents([])).toBeUndefined();
    const orphan = new Events().add(0, "milestone", { name: "db_promoted", at: ts(0) });
    expect(foldEvents(orphan.list)).toBeUndefined();
  });

  it("execution.started sets up the plan, with every step pending", () => {
    const s = run().fold();
    expect(s.executionId).toBe("db-failover-1");
    expect(s.status).toBe("running");
    expect(s.mode).toBe("drill");
    expect(s.startedAt).toBe(ts(0));
    expect(s.declaredAt).toBe(ts(-60));
    expect([...s.steps.keys()]).toEqual(["fence", "promote", "verify", "undo"]);
    for (const st of s.steps.values())
      expect(st).toMatchObject({ status: "pending", attempts: 0, inDoubt: false });
    expect(s.milestones).toEqual({ incident_declared: ts(-60) });
    expect(s.lastSeq).toBe(1);
  });

  it("a step that fails, retries and then succeeds", () => {
    const e = run().add(1, "step.intent", { attempt: 1, type: "exec", params: {} }, "fence");
    expect(e.fold().steps.get("fence")).toMatchObject({
      status: "running",
      attempts: 1,
      inDoubt: true,
      firstStartedAt: ts(1),
    });
    e.add(
      2,
      "step.failed",
      {
        attempt: 1,
        error: { message: "exit 1", class: "retryable" },
        durationMs: 1000,
        willRetry: true,
        retryInMs: 500,
      },
      "fence",
    );
    const retrying = e.fold().steps.get("fence")!;
    expect(retrying).toMatchObject({ status: "retrying", inDoubt: false, error: { message: "exit 1" } });
    expect(retrying.endedAt).toBeUndefined();

    e.add(3, "step.intent", { attempt: 2, type: "exec", params: {} }, "fence");
    const again = e.fold().steps.get("fence")!;
    expect(again).toMatchObject({ status: "running", attempts: 2, inDoubt: true, firstStartedAt: ts(1) });
    expect(again.error).toBeUndefined();

    e.add(4, "step.succeeded", { attempt: 2, outputs: { stdout: "ok" }, durationMs: 900 }, "fence");
    expect(e.fold().steps.get("fence")).toMatchObject({
      status: "succeeded",
      attempts: 2,
      firstStartedAt: ts(1),
      endedAt: ts(4),
      outputs: { stdout: "ok" },
      inDoubt: false,
    });
  });

  it("a step that fails for good, and the run with it", () => {
    const s = run()
      .add(1, "step.intent", { attempt: 1, type: "exec", params: {} }, "fence")
      .add(
        2,
        "step.failed",
        {
          attempt: 1,
          error: { message: "denied", class: "fatal" },
          durationMs: 5,
          willRetry: false,
        },
        "fence",
      )
      .add(3, "execution.failed", { stepId: "fence", message: "denied" })
      .fold();
    expect(s.steps.get("fence")).toMatchObject({
      status: "failed",
      endedAt: ts(2),
      error: { class: "fatal" },
    });
    expect(s.status).toBe("failed");
    expect(s.failure).toEqual({ stepId: "fence", message: "denied" });
    expect(s.endedAt).toBe(ts(3));
  });

  it("an intent without an outcome is in doubt", () => {
    const s = run()
      .add(1, "step.intent", { attempt: 1, type: "exec", params: {} }, "fence")
      .add(2, "step.checked", { attempt: 1, inPlace: false }, "fence")
      .fold();
    expect(s.steps.get("fence")).toMatchObject({ status: "running", inDoubt: true });
    expect(s.status).toBe("running");
  });

  it("an outcome clears the doubt, including one found in place or asserted by an operator", () => {
    const s = run()
      .add(1, "step.intent", { attempt: 1, type: "exec", params: {} }, "fence")
      .add(2, "execution.paused", { reason: "in-doubt", stepId: "fence", message: "did it run?" })
      .add(3, "execution.resumed", { operator: "bob", host: "h2", pid: 11 })
      .add(
        4,
        "step.succeeded",
        {
          attempt: 1,
          outputs: {},
          durationMs: 0,
          alreadyInPlace: true,
          assumedBy: "bob",
        },
        "fence",
      )
      .fold();
    expect(s.steps.get("fence")).toMatchObject({
      status: "succeeded",
      inDoubt: false,
      alreadyInPlace: true,
      assumedBy: "bob",
    });
    expect(s.status).toBe("running");
  });

  it("approvals: requested, approved by several, declined", () => {
    const e = run().add(
      1,
      "gate.requested",
      { prompt: "Promote?", approvers: ["a", "b"], minApprovals: 2 },
      "promote",
    );
    expect(e.fold().steps.get("promote")).toMatchObject({
      status: "awaiting-approval",
      gateRequested: { prompt: "Promote?", approvers: ["a", "b"], minApprovals: 2, at: ts(1) },
    });
    e.add(2, "gate.approved", { by: "a", via: "approve-command" }, "promote").add(
      3,
      "gate.approved",
      { by: "b", via: "tty" },
      "promote",
    );
    expect(e.fold().steps.get("promote")!.approvals).toEqual([
      { by: "a", via: "approve-command", at: ts(2) },
      { by: "b", via: "tty", at: ts(3) },
    ]);
    const declined = run()
      .add(1, "gate.requested", { prompt: "Promote?", minApprovals: 1 }, "promote")
      .add(2, "gate.declined", { by: "c", via: "tty", reason: "not now" }, "promote")
      .fold();
    expect(declined.steps.get("promote")!.declined).toEqual({ by: "c", at: ts(2), reason: "not now" });
  });

  it("pause and resume", () => {
    const paused = run()
      .add(1, "gate.requested", { prompt: "Promote?", minApprovals: 1 }, "promote")
      .add(2, "execution.paused", { reason: "approval", stepId: "promote", message: "needs approval" });
    expect(paused.fold()).toMatchObject({
      status: "paused",
      pausedAt: { stepId: "promote", at: ts(2), reason: "approval", message: "needs approval" },
    });
    const resumed = paused.add(9, "execution.resumed", { operator: "bob", host: "h2", pid: 77 }).fold();
    expect(resumed.status).toBe("running");
    expect(resumed.pausedAt).toBeUndefined();
    expect(resumed.resumes).toEqual([{ at: ts(9), operator: "bob", pid: 77 }]);
  });

  it("a resumed failed run is running again, its failure cleared", () => {
    const s = run()
      .add(1, "execution.failed", { stepId: "fence", message: "x" })
      .add(2, "execution.resumed", { operator: "bob", host: "h", pid: 2 })
      .fold();
    expect(s.status).toBe("running");
    expect(s.failure).toBeUndefined();
    expect(s.endedAt).toBeUndefined();
  });

  it("skipped steps keep their reason", () => {
    const s = run()
      .add(1, "step.skipped", { reason: "condition", detail: "condition false: ${{ inputs.x }}" }, "verify")
      .fold();
    expect(s.steps.get("verify")).toMatchObject({
      status: "skipped",
      skipReason: "condition false: ${{ inputs.x }}",
      endedAt: ts(1),
    });
  });

  it("milestones: the first occurrence wins, and incident_declared stays the declaration time", () => {
    const s = run()
      .add(1, "milestone", { name: "incident_declared", at: ts(30) })
      .add(2, "milestone", { name: "db_promoted", at: ts(2) })
      .add(3, "milestone", { name: "db_promoted", at: ts(100) })
      .add(4, "milestone", { name: "service_restored", at: ts(240) })
      .add(5, "milestone", { name: "service_restored", at: ts(999) })
      .fold();
    expect(s.milestones).toEqual({
      incident_declared: ts(-60),
      db_promoted: ts(2),
      service_restored: ts(240),
    });
  });

  it("achievedRtoMs is service_restored − incident_declared, once restored", () => {
    const e = run().add(2, "milestone", { name: "db_promoted", at: ts(2) });
    expect(achievedRtoMs(e.fold())).toBeUndefined();
    e.add(3, "milestone", { name: "service_restored", at: ts(240) });
    expect(achievedRtoMs(e.fold())).toBe(300_000);
  });

  it("measures: the last value counts; observedRpoMs reads rpo_observed_ms", () => {
    const e = run();
    expect(observedRpoMs(e.fold())).toBeUndefined();
    e.add(1, "measure", { name: "rpo_observed_ms", value: 800, unit: "ms" }).add(2, "measure", {
      name: "rpo_observed_ms",
      value: 1200,
      unit: "ms",
    });
    expect(observedRpoMs(e.fold())).toBe(1200);
    expect(e.fold().measures).toEqual({ rpo_observed_ms: { value: 1200, unit: "ms" } });
  });

  it("rpo.reconciled after the end: the latest wins, with its time; the execution stays ended", () => {
    const reconciled = (rpoMs: number): EventData["rpo.reconciled"] => ({
      rpoMs,
      boundMs: 8600,
      lastCommittedAt: ts(1),
      lastReplicatedAt: ts(0),
      heartbeat: { table: "heartbeat", lastWrittenAt: ts(1), lastReplicatedAt: ts(0), rpoMs: 1000, lost: 1 },
      oldPrimary: "postgres://app:***@old/db",
      promoted: "postgres://app:***@new/db",
      tables: [],
      lostWrites: [],
      lostWritesTotal: 0,
      conflicts: 0,
      replayCount: 0,
      operator: "bob",
      host: "h2",
    });
    const e = run().add(5, "execution.completed", {});
    expect(reconciledRpoMs(e.fold())).toBeUndefined();
    e.add(600, "rpo.reconciled", reconciled(3000)).add(900, "rpo.reconciled", reconciled(2430));
    const s = e.fold();
    expect(reconciledRpoMs(s)).toBe(2430);
    expect(s.reconciled).toMatchObject({ at: ts(900), operator: "bob", boundMs: 8600 });
    expect(s).toMatchObject({ status: "completed", endedAt: ts(5) });
  });

  it("abort: the fired reason is kept when the run ends aborted", () => {
    const s = run()
      .add(1, "abort.fired", { criterion: "errors", reason: "5xx rate 12%", duringStep: "promote" })
      .add(2, "step.skipped", { reason: "pastPointOfNoReturn", detail: "past" }, "undo")
      .add(3, "execution.aborted", { reason: "aborted", criterion: "errors" })
      .fold();
    expect(s.status).toBe("aborted");
    expect(s.endedAt).toBe(ts(3));
    expect(s.abort).toEqual({
      reason: "5xx rate 12%",
      criterion: "errors",
      at: ts(1),
      duringStep: "promote",
    });
  });

  it("abort by a declined gate records the gate", () => {
    const s = run().add(1, "execution.aborted", { reason: "gate declined", declinedGate: "promote" }).fold();
    expect(s.abort).toEqual({ reason: "gate declined", declinedGate: "promote", at: ts(1) });
  });

  it("completion, lock takeovers and the last seq/hash", () => {
    const e = run()
      .add(1, "lock.takenOver", { previous: { pid: 1, host: "h", executionId: "old", since: ts(-5) } })
      .add(2, "journal.repaired", { droppedBytes: 10 })
      .add(3, "execution.completed", {});
    const s = e.fold();
    expect(s.status).toBe("completed");
    expect(s.endedAt).toBe(ts(3));
    expect(s.lockTakeovers).toBe(1);
    expect(s.lastSeq).toBe(4);
    expect(s.lastHash).toBe(e.list.at(-1)!.hash);
    expect(s.lastEventAt).toBe(ts(3));
  });

  it("events for steps not in the plan create them; unknown event types are ignored", () => {
    const e = run().add(1, "step.intent", { attempt: 1, type: "note", params: {} }, "extra");
    const unknown = {
      ...e.list[0]!,
      seq: 3,
      type: "from.the.future",
      data: {},
    } as unknown as AnyJournalEvent;
    const s = applyEvent(e.fold(), unknown)!;
    expect(s.steps.get("extra")).toMatchObject({ status: "running" });
    expect(s.status).toBe("running");
    expect(s.lastSeq).toBe(3);
  });

  it("applyEvent one by one gives the same state as foldEvents", () => {
    const e = run()
      .add(1, "step.intent", { attempt: 1, type: "exec", params: {} }, "fence")
      .add(2, "step.succeeded", { attempt: 1, outputs: {}, durationMs: 1 }, "fence")
      .add(3, "milestone", { name: "writes_fenced", at: ts(3) });
    let s: ReturnType<typeof applyEvent>;
    for (const ev of e.list) s = applyEvent(s, ev);
    expect(s).toEqual(e.fold());
  });
});
