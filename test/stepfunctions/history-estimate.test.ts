import { describe, expect, it } from "vitest";
import type { AslBranch, AslState } from "../../src/stepfunctions/asl.js";
import { durationSeconds, estimateHistory } from "../../src/stepfunctions/history-estimate.js";

/** The worst-case history of a definition, counted from its states. */

const task = (next: string | undefined, o: Partial<AslState> = {}): AslState => ({
  Type: "Task",
  Resource: "arn:aws:states:::lambda:invoke",
  TimeoutSeconds: 10,
  ...(next ? { Next: next } : { End: true }),
  ...o,
});
const retried = (attempts: number) => ({
  Retry: [
    {
      ErrorEquals: ["Runbook.Retryable", "Runbook.Timeout", "States.Timeout"],
      IntervalSeconds: 2,
      MaxAttempts: attempts - 1,
      BackoffRate: 2,
      MaxDelaySeconds: 5,
    },
    // Lambda's own faults are not the runbook's retries: not counted.
    { ErrorEquals: ["Lambda.ServiceException"], IntervalSeconds: 1, MaxAttempts: 3, BackoffRate: 2 },
  ],
});

describe("history estimate", () => {
  it("counts 5 events per Task attempt, 6 per gate, 2 per other state, 2 for the execution", () => {
    const d: AslBranch = {
      StartAt: "a",
      States: {
        a: task("gate", retried(3)),
        gate: task("done", { Resource: "arn:aws:states:::lambda:invoke.waitForTaskToken" }),
        done: { Type: "Succeed" },
      },
    };
    expect(estimateHistory(d)).toEqual({ worstCase: 2 + 15 + 6 + 2, loops: [{ state: "a", events: 15 }] });
  });

  it("turns a watcher for as long as the other branches can last, every attempt timing out", () => {
    const work: AslBranch = { StartAt: "a", States: { a: task("b", retried(3)), b: task(undefined) } };
    // 3 attempts × 10 s, delays 2 + 4, then 10 s: 46 s.
    expect(durationSeconds(work)).toBe(46);
    const watcher: AslBranch = {
      StartAt: "probe",
      States: {
        probe: task("check", { TimeoutSeconds: 5 }),
        check: {
          Type: "Choice",
          Choices: [{ Variable: "$.t", BooleanEquals: true, Next: "tripped" }],
          Default: "wait",
        },
        wait: { Type: "Wait", Seconds: 5, Next: "probe" },
        tripped: { Type: "Fail", Error: "Runbook.Aborted" },
      },
    };
    const d: AslBranch = {
      StartAt: "g",
      States: { g: { Type: "Parallel", Branches: [work, watcher], End: true } },
    };
    const e = estimateHistory(d);
    // ceil(46 / 5) + 1 = 11 turns of probe, Choice, Wait (9 events), the Fail once.
    expect(e.loops[0]).toEqual({ state: "probe", events: 11 * 9 });
    expect(e.worstCase).toBe(2 + 4 + (15 + 5) + 11 * 9 + 2);
  });
});
