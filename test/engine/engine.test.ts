import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { achievedRtoMs } from "../../src/journal/fold.js";
import { engineLogPath } from "../../src/journal/paths.js";
import { header, setup } from "./fixtures.js";

describe("engine: order, parallel, outputs", () => {
  it("runs steps in order, parallel children together, and passes outputs forward", async () => {
    const t = setup(`${header("order")}
steps:
  - { id: first, type: test.effect, with: { name: first, output: "42" } }
  - id: both
    parallel:
      - { id: left, type: test.effect, with: { name: left, delayMs: 150 } }
      - { id: right, type: test.effect, with: { name: right, delayMs: 150 } }
  - { id: last, type: test.effect, with: { name: "last-\${{ steps.first.outputs.value }}" } }
`);
    const out = await t.start();
    expect(out.status).toBe("completed");
    expect(t.world.effects[0]).toBe("first");
    expect(t.world.effects.slice(1, 3).sort()).toEqual(["left", "right"]);
    expect(t.world.effects[3]).toBe("last-42");
    const [l, r] = ["left", "right"].map((n) => t.world.starts.find((s) => s.name === n)!.at);
    expect(Math.abs(l! - r!)).toBeLessThan(100);
    expect(t.ofType("step.succeeded").map((e) => e.stepId)).toContain("both");
  });

  it("skips a step whose condition is false and says why", async () => {
    const t = setup(`${header("when", "inputs: { mode: { default: graceful } }")}
steps:
  - { id: drain, type: test.effect, with: { name: drain }, when: "\${{ inputs.mode == 'graceful' }}" }
  - { id: force, type: test.effect, with: { name: force }, when: "\${{ inputs.mode == 'ungraceful' }}" }
`);
    const out = await t.start({ mode: "graceful" });
    expect(out.status).toBe("completed");
    expect(t.world.effects).toEqual(["drain"]);
    const skipped = t.ofType("step.skipped");
    expect(skipped.map((e) => e.stepId)).toEqual(["force"]);
    expect(JSON.stringify(skipped[0]!.data)).toContain("condition false");
  });
});

describe("engine: retries and timeouts are runbook data", () => {
  it("retries a retryable failure with growing, jittered backoff and succeeds", async () => {
    const t = setup(`${header("retry")}
steps:
  - id: flaky
    type: test.effect
    with: { name: flaky, failTimes: 2 }
    retry: { attempts: 3, backoff: 20ms, maxBackoff: 1s }
`);
    const out = await t.start();
    expect(out.status).toBe("completed");
    expect(t.world.attempts.get("flaky")).toBe(3);
    const failed = t
      .ofType("step.failed")
      .map((e) => e.data as { willRetry: boolean; retryInMs: number; attempt: number });
    expect(failed.map((f) => [f.attempt, f.willRetry])).toEqual([
      [1, true],
      [2, true],
    ]);
    // random() = 0.5 → 3/4 of the ceiling: 20ms·2⁰ then 20ms·2¹.
    expect(failed.map((f) => f.retryInMs)).toEqual([15, 30]);
    expect(out.state.steps.get("flaky")!.attempts).toBe(3);
  });

  it("journals each attempt's own duration, from its intent line to its outcome", async () => {
    const t = setup(`${header("durations")}
steps:
  - id: flaky
    type: test.effect
    with: { name: flaky, failTimes: 2, delayMs: 30 }
    retry: { attempts: 3, backoff: 200ms, maxBackoff: 1s }
`);
    expect((await t.start()).status).toBe("completed");
    const intents = t.ofType("step.intent");
    const outcomes = t.events.filter((e) => e.type === "step.failed" || e.type === "step.succeeded");
    expect(outcomes).toHaveLength(3);
    outcomes.forEach((outcome, i) => {
      const span = Date.parse(outcome.ts) - Date.parse(intents[i]!.ts);
      const { durationMs } = outcome.data as { durationMs: number };
      expect(durationMs).toBeGreaterThanOrEqual(30);
      // Not the time since the first attempt, which includes the 100 ms+ backoffs (a margin for
      // the event loop between the attempt's end and its journal line).
      expect(Math.abs(durationMs - span)).toBeLessThanOrEqual(25);
    });
  });

  it("fails the execution when retries run out and runs nothing after", async () => {
    const t = setup(`${header("exhaust")}
steps:
  - { id: flaky, type: test.effect, with: { name: flaky, failTimes: 5 }, retry: { attempts: 2, backoff: 10ms } }
  - { id: after, type: test.effect, with: { name: after } }
`);
    const out = await t.start();
    expect(out.status).toBe("failed");
    expect(t.world.attempts.get("flaky")).toBe(2);
    expect(t.world.effects).toEqual([]);
    expect(out.state.failure).toMatchObject({ stepId: "flaky" });
    expect(t.ofType("execution.failed")).toHaveLength(1);
  });

  it("logs each failure's error in engine.log, with no secret in it or in the journal", async () => {
    const t = setup(
      `${header("logged")}
steps:
  - { id: flaky, type: test.effect, with: { name: "db \${{ env.DB_PASSWORD }}", failTimes: 1 }, retry: { attempts: 2, backoff: 10ms } }
`,
      { env: { DB_PASSWORD: "hunter2-xyz" } },
    );
    const out = await t.start();
    expect(out.status).toBe("completed");
    const log = readFileSync(engineLogPath(t.home, out.executionId), "utf8");
    const failure = log
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l))
      .find((l) => l.msg === "step failed");
    expect(failure).toMatchObject({ step: "flaky", attempt: 1, willRetry: true, class: "retryable" });
    expect(failure.err.message).toBe("db *** failed on attempt 1");
    expect(failure.err.stack).toContain("db *** failed on attempt 1");
    expect(log).not.toContain("hunter2-xyz");
    expect(t.journalText(out.executionId)).not.toContain("hunter2-xyz");
  });

  it("does not retry conflicts or fatal errors", async () => {
    const t = setup(`${header("conflict")}
steps:
  - { id: flip, type: test.effect, with: { name: flip, failTimes: 1, failClass: conflict }, retry: { attempts: 5, backoff: 10ms } }
`);
    const out = await t.start();
    expect(out.status).toBe("failed");
    expect(t.world.attempts.get("flip")).toBe(1);
    expect(t.ofType("step.failed")[0]!.data).toMatchObject({
      error: { class: "conflict" },
      willRetry: false,
    });
  });

  it("times a step out, aborts its work, and retries within the budget", async () => {
    const t = setup(`${header("timeout")}
steps:
  - { id: slow, type: test.effect, with: { name: slow, delayMs: 2000 }, timeout: 100ms, retry: { attempts: 2, backoff: 10ms } }
`);
    const started = Date.now();
    const out = await t.start();
    expect(out.status).toBe("failed");
    expect(Date.now() - started).toBeLessThan(1500);
    expect(t.world.attempts.get("slow")).toBe(2);
    expect(t.world.effects).toEqual([]);
    expect(t.ofType("step.failed").map((e) => (e.data as { error: { class: string } }).error.class)).toEqual([
      "timeout",
      "timeout",
    ]);
  });
});

describe("engine: abort criteria, onAbort and the point of no return", () => {
  const abortBook = (pnr: boolean) => `${header("abort", "objectives: { rto: 5m, rpo: 1m }")}
abort:
  - { id: lag, probe: { type: test.flag-clear, with: { flag: lag } }, every: 50ms }
steps:
  - { id: fence, type: test.effect, with: { name: fence } }
  - { id: promote, type: test.effect, with: { name: promote }, pointOfNoReturn: ${pnr} }
  - { id: trouble, type: test.set-flag, with: { flag: lag } }
  - { id: slow, type: test.effect, with: { name: slow, delayMs: 3000 } }
  - { id: shift, type: test.effect, with: { name: shift } }
onAbort:
  - { id: unfence, type: test.effect, with: { name: unfence } }
  - { id: page, type: test.effect, with: { name: page }, always: true }
`;

  it("fires on a failing probe, interrupts the running step, runs onAbort, and stops", async () => {
    const t = setup(abortBook(false));
    const out = await t.start();
    expect(out.status).toBe("aborted");
    expect(t.world.effects).toEqual(["fence", "promote", "unfence", "page"]);
    const fired = t.ofType("abort.fired")[0]!;
    expect(fired.data).toMatchObject({ criterion: "lag" });
    expect(t.ofType("execution.aborted")).toHaveLength(1);
  });

  it("past the point of no return, skips onAbort steps that would undo work but still pages", async () => {
    const t = setup(abortBook(true));
    const out = await t.start();
    expect(out.status).toBe("aborted");
    expect(t.world.effects).toEqual(["fence", "promote", "page"]);
    const skipped = t.ofType("step.skipped").find((e) => e.stepId === "unfence")!;
    expect(skipped.data).toMatchObject({ reason: "pastPointOfNoReturn" });
  });

  it("only watches a criterion during its steps", async () => {
    const t = setup(`${header("during")}
abort:
  - { id: lag, probe: { type: test.flag-clear, with: { flag: lag } }, every: 20ms, during: [early] }
steps:
  - { id: early, type: test.effect, with: { name: early } }
  - { id: trouble, type: test.set-flag, with: { flag: lag } }
  - { id: late, type: test.effect, with: { name: late, delayMs: 200 } }
`);
    const out = await t.start();
    expect(out.status).toBe("completed");
    expect(t.world.effects).toEqual(["early", "late"]);
  });
});

describe("engine: approval gates", () => {
  const gated = (approval: string) => `${header("gated")}
steps:
  - { id: before, type: test.effect, with: { name: before } }
  - { id: promote, type: test.effect, with: { name: promote }, approval: ${approval} }
`;

  it("pauses at a gate nobody can approve, with nothing past it executed", async () => {
    const t = setup(gated("true"), { autoApprove: false });
    const out = await t.start();
    expect(out.status).toBe("paused");
    expect(out.state.pausedAt).toMatchObject({ stepId: "promote", reason: "approval" });
    expect(t.world.effects).toEqual(["before"]);
  });

  it("records who approved with --approve", async () => {
    const t = setup(gated("true"));
    const out = await t.start();
    expect(out.status).toBe("completed");
    expect(t.ofType("gate.approved")[0]!.data).toEqual({ by: "alice", via: "flag" });
  });

  it("enforces the two-person rule: the operator's approval alone is not enough", async () => {
    const { dropInInbox } = await import("../../src/engine/approvals.js");
    const { approvalsInbox } = await import("../../src/journal/paths.js");
    const t = setup(gated("{ approvers: [alice, bob], minApprovals: 2 }"));
    setTimeout(() => {
      const id = t.events[0]!.data as { executionId: string };
      dropInInbox(approvalsInbox(t.home, id.executionId), {
        stepId: "promote",
        by: "bob",
        decision: "approve",
        at: "",
      });
    }, 200);
    const out = await t.start();
    expect(out.status).toBe("completed");
    expect(t.ofType("gate.approved").map((e) => (e.data as { by: string }).by)).toEqual(["alice", "bob"]);
    expect(out.state.steps.get("promote")!.approvals).toHaveLength(2);
  });

  it("aborts when a gate is declined, running onAbort", async () => {
    const { dropInInbox } = await import("../../src/engine/approvals.js");
    const { approvalsInbox } = await import("../../src/journal/paths.js");
    const t = setup(
      `${gated("{ approvers: [bob] }")}onAbort:\n  - { id: undo, type: test.effect, with: { name: undo } }\n`,
    );
    setTimeout(() => {
      const id = t.events[0]!.data as { executionId: string };
      dropInInbox(approvalsInbox(t.home, id.executionId), {
        stepId: "promote",
        by: "bob",
        decision: "decline",
        at: "",
      });
    }, 100);
    const out = await t.start();
    expect(out.status).toBe("aborted");
    expect(t.world.effects).toEqual(["before", "undo"]);
    expect(t.ofType("gate.declined")[0]!.data).toMatchObject({ by: "bob", via: "approve-command" });
  });
});

describe("engine: milestones and secrets", () => {
  it("measures RTO from the declared incident time to service_restored", async () => {
    const t = setup(`${header("rto", "objectives: { rto: 1m, rpo: 1m }")}
steps:
  - { id: promote, type: test.effect, with: { name: promote }, milestone: db_promoted }
  - { id: validate, type: test.effect, with: { name: validate, delayMs: 50 }, milestone: service_restored }
`);
    const declaredAt = new Date(Date.now() - 10_000);
    const out = await t.start({}, { declaredAt });
    const rto = achievedRtoMs(out.state)!;
    expect(rto).toBeGreaterThanOrEqual(10_000);
    expect(rto).toBeLessThan(12_000);
    expect(Object.keys(out.state.milestones)).toEqual([
      "incident_declared",
      "db_promoted",
      "service_restored",
    ]);
  });

  it("never writes secret inputs or credentials to the journal, nor shows them as progress", async () => {
    const progress: string[] = [];
    const t = setup(
      `${header("secrets", "inputs: { token: { secret: true, required: true } }")}
steps:
  - { id: use, type: test.effect, with: { name: "auth-\${{ inputs.token }}" } }
  - { id: env, type: test.effect, with: { name: "key-\${{ env.AWS_SECRET_ACCESS_KEY }}" } }
`,
      {
        env: { AWS_SECRET_ACCESS_KEY: "wJalrXUtnFEMI-K7MDENG" },
        onProgress: (stepId, message) => progress.push(`${stepId}: ${message}`),
      },
    );
    const out = await t.start({ token: "s3cr3t-value" });
    expect(out.status).toBe("completed");
    expect(t.world.effects).toEqual(["auth-s3cr3t-value", "key-wJalrXUtnFEMI-K7MDENG"]);
    const text = t.journalText(out.executionId);
    expect(text).not.toContain("s3cr3t-value");
    expect(text).not.toContain("wJalrXUtnFEMI-K7MDENG");
    expect(text).toContain("***");
    expect(progress).toEqual(["use: working on auth-***", "env: working on key-***"]);
  });
});

describe("engine: stopping at a safe point", () => {
  it("stops before the next step when asked, and resume finishes the rest", async () => {
    const { resumeExecution } = await import("../../src/engine/engine.js");
    const stop = new AbortController();
    const t = setup(`${header("stoppable")}
steps:
  - { id: one, type: test.effect, with: { name: one, delayMs: 100 } }
  - { id: two, type: test.effect, with: { name: two } }
`);
    setTimeout(() => stop.abort(), 30);
    const out = await startExecutionWith(t, stop.signal);
    expect(out.status).toBe("paused");
    expect(out.state.pausedAt).toMatchObject({ stepId: "two", reason: "stopped" });
    expect(t.world.effects).toEqual(["one"]);
    const resumed = await resumeExecution(out.executionId, {}, t.options);
    expect(resumed.status).toBe("completed");
    expect(t.world.effects).toEqual(["one", "two"]);
  });
});

async function startExecutionWith(t: ReturnType<typeof setup>, stop: AbortSignal) {
  const { startExecution } = await import("../../src/engine/engine.js");
  return startExecution(t.runbook, { inputs: {} }, { ...t.options, stop });
}
