import { describe, expect, it } from "vitest";
import { REGION_B } from "./helpers.js";
import { FUNCTION, FUNCTION_ARN, sfnWithFunction } from "./sfn-function-fixture.js";
import { createMachine, finished, historyOf, start } from "./sfn-helpers.js";

describe("Step Functions Lambda Tasks on a real function in a worker process", () => {
  const t = sfnWithFunction();

  it("lambda:invoke returns {ExecutedVersion, Payload, StatusCode}; a function error fails the Task with its errorType, retried", async () => {
    const definition = {
      StartAt: "promote",
      States: {
        promote: {
          Type: "Task",
          Resource: "arn:aws:states:::lambda:invoke",
          Parameters: { FunctionName: FUNCTION_ARN, Payload: { action: "step", "stepId.$": "$.step" } },
          ResultSelector: {
            "outputs.$": "$.Payload.echo",
            "status.$": "$.StatusCode",
            "version.$": "$.ExecutedVersion",
          },
          ResultPath: "$.steps.promote",
          TimeoutSeconds: 10,
          Next: "verify",
        },
        verify: {
          Type: "Task",
          Resource: "arn:aws:states:::lambda:invoke",
          Parameters: {
            FunctionName: FUNCTION,
            Payload: { fail: { type: "Runbook.Retryable", message: "not yet" } },
          },
          TimeoutSeconds: 10,
          Retry: [{ ErrorEquals: ["Runbook.Retryable"], IntervalSeconds: 1, MaxAttempts: 1 }],
          Catch: [{ ErrorEquals: ["Runbook.Retryable"], ResultPath: "$.failure", Next: "done" }],
          End: true,
        },
        done: { Type: "Pass", End: true },
      },
    };
    const arn = await createMachine(t.sfn, "runbook-invoke", definition, t.role);
    const e = await start(t.sfn, arn, { step: "promote" });
    const d = await finished(t.sfn, e);
    expect(d.status).toBe("SUCCEEDED");
    const output = JSON.parse(d.output ?? "{}");
    expect(output.steps.promote).toEqual({
      outputs: { action: "step", stepId: "promote" },
      status: 200,
      version: "$LATEST",
    });
    expect(output.failure.Error).toBe("Runbook.Retryable");
    expect(JSON.parse(output.failure.Cause)).toEqual({
      errorType: "Runbook.Retryable",
      errorMessage: "not yet",
      trace: [],
    });
    const events = await historyOf(t.sfn, e);
    const tasks = events.filter((x) => x.type?.startsWith("Task") && !x.type.includes("State"));
    expect(tasks.map((x) => x.type)).toEqual([
      "TaskScheduled",
      "TaskStarted",
      "TaskSucceeded",
      "TaskScheduled",
      "TaskStarted",
      "TaskFailed",
      "TaskScheduled",
      "TaskStarted",
      "TaskFailed",
    ]);
    expect(tasks[0]?.taskScheduledEventDetails).toMatchObject({
      resourceType: "lambda",
      resource: "invoke",
      region: REGION_B,
    });
    expect(JSON.parse(tasks[2]?.taskSucceededEventDetails?.output ?? "{}")).toMatchObject({
      StatusCode: 200,
      ExecutedVersion: "$LATEST",
    });
    // Step Functions' own calls, as its role.
    const invokes = t.emulator.calls.filter((c) => c.service === "lambda" && c.operation === "Invoke");
    expect(invokes).toHaveLength(3);
    expect(invokes[0]?.principal).toMatch(/^arn:aws:sts::111111111111:assumed-role\/runbook-sfn-states\//);
  });
});
