import { describe, expect, it } from "vitest";
import {
  gateApprovalOf,
  probeResultOf,
  stepResultOf,
  taskErrorOf,
} from "../../src/stepfunctions/task-payloads.js";

describe("task payloads", () => {
  it("reads the steps function's error, wrapped by Lambda", () => {
    const cause = JSON.stringify({
      errorType: "Runbook.Conflict",
      errorMessage: JSON.stringify({
        message: "safety rule refused",
        class: "conflict",
        durationMs: 9,
        calls: { "arc:X": 2 },
      }),
    });
    expect(taskErrorOf("Runbook.Conflict", cause)).toEqual({
      name: "Runbook.Conflict",
      message: "safety rule refused",
      class: "conflict",
      durationMs: 9,
      calls: { "arc:X": 2 },
    });
  });

  it("keeps the text of errors that are not ours, classed by their name", () => {
    expect(taskErrorOf("Lambda.ServiceException", '{"errorMessage":"down"}')).toMatchObject({
      message: "down",
      class: "retryable",
    });
    expect(taskErrorOf("States.Runtime", "not json at all")).toMatchObject({
      message: "not json at all",
      class: "fatal",
    });
    expect(taskErrorOf(undefined, undefined)).toMatchObject({ name: "States.TaskFailed", class: "fatal" });
  });

  it("drops fields of the wrong type instead of trusting them", () => {
    const r = stepResultOf(
      JSON.stringify({
        outputs: [1],
        durationMs: "5",
        measures: { a: { value: "x" }, b: { value: 2 } },
        milestones: [{ name: 1 }],
      }),
    );
    expect(r).toEqual({ outputs: {}, measures: [{ name: "b", value: 2, unit: "" }], milestones: [] });
    expect(stepResultOf("{broken")).toEqual({ outputs: {}, measures: [], milestones: [] });
    expect(probeResultOf(JSON.stringify({ Payload: { failures: 2, tripped: "yes" } }))).toEqual({
      failures: 2,
      tripped: false,
    });
  });

  it("keeps only the proof's method, request id and nonce", () => {
    const out = JSON.stringify({
      approvedBy: "arn:aws:iam::1:user/a",
      proof: { method: "x", requestId: "r", nonce: "n", signature: "s" },
    });
    expect(gateApprovalOf(out)).toEqual({
      approvedBy: "arn:aws:iam::1:user/a",
      proof: { method: "sts:GetCallerIdentity", requestId: "r", nonce: "n" },
    });
  });
});
