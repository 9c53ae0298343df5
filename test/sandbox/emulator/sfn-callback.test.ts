import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import {
  type HistoryEvent,
  InvalidToken,
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  StopExecutionCommand,
  TaskDoesNotExist,
  TaskTimedOut,
} from "@aws-sdk/client-sfn";
import { describe, expect, it } from "vitest";
import { waitFor } from "./helpers.js";
import { FUNCTION_ARN, sfnWithFunction } from "./sfn-function-fixture.js";
import { createMachine, finished, historyOf, outline, start } from "./sfn-helpers.js";

describe("Step Functions callback Tasks (.waitForTaskToken) on a real function", () => {
  const t = sfnWithFunction();

  const targets = {
    declined: { Type: "Pass", End: true },
    wrong: { Type: "Fail", Error: "Wrong", Cause: "States.TaskFailed matched a timeout" },
  };
  const gate = (
    extra: object = {},
    catchers: { ErrorEquals: string[]; ResultPath?: string; Next: keyof typeof targets }[] = [],
  ) => ({
    StartAt: "approve.gate-1",
    States: {
      "approve.gate-1": {
        Type: "Task",
        Resource: "arn:aws:states:::lambda:invoke.waitForTaskToken",
        Parameters: {
          FunctionName: FUNCTION_ARN,
          Payload: {
            action: "gate.open",
            "token.$": "$$.Task.Token",
            "executionArn.$": "$$.Execution.Id",
            "recordTo.$": "$.recordTo",
          },
        },
        ResultPath: "$.gates.approve",
        TimeoutSeconds: 30,
        ...extra,
        ...(catchers.length ? { Catch: catchers } : {}),
        Next: "done",
      },
      done: { Type: "Pass", End: true },
      ...Object.fromEntries(catchers.map((c) => [c.Next, targets[c.Next]])),
    },
  });
  /** The token as the approval function finds it: in the open gate Task's TaskScheduled parameters. */
  const tokenOf = async (executionArn: string): Promise<string> =>
    waitFor("the gate to be submitted", async () => {
      const events = await historyOf(t.sfn, executionArn);
      if (!events.some((x) => x.type === "TaskSubmitted")) return undefined;
      const scheduled = events.find((x) => x.type === "TaskScheduled") as HistoryEvent;
      return JSON.parse(scheduled.taskScheduledEventDetails?.parameters ?? "{}").Payload.token as string;
    });

  it("waitForTaskToken: the function gets the real token, the Task waits, SendTaskSuccess from another identity ends it", async () => {
    const arn = await createMachine(t.sfn, "runbook-gate", gate(), t.role);
    const recordTo = join(t.dir, "gate-open.json");
    const e = await start(t.sfn, arn, { recordTo });
    const token = await tokenOf(e);
    expect(token).toMatch(/^AQB/);
    await waitFor("the function to run", async () => (existsSync(recordTo) ? true : undefined));
    expect(JSON.parse(readFileSync(recordTo, "utf8"))).toEqual({
      action: "gate.open",
      token,
      executionArn: e,
      recordTo,
    });
    expect((await historyOf(t.sfn, e)).at(-1)?.type).toBe("TaskSubmitted");
    await t.approver.send(
      new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify({ approvedBy: "approver" }) }),
    );
    const d = await finished(t.sfn, e);
    expect(JSON.parse(d.output ?? "{}").gates.approve).toEqual({ approvedBy: "approver" });
    const events = await historyOf(t.sfn, e);
    expect(outline(events)).toEqual([
      "ExecutionStarted",
      "TaskStateEntered(approve.gate-1)",
      "TaskScheduled",
      "TaskStarted",
      "TaskSubmitted",
      "TaskSucceeded",
      "TaskStateExited(approve.gate-1)",
      "PassStateEntered(done)",
      "PassStateExited(done)",
      "ExecutionSucceeded",
    ]);
    expect(JSON.parse(events[4]?.taskSubmittedEventDetails?.output ?? "{}")).toMatchObject({
      StatusCode: 202,
    });
    expect(events[2]?.taskScheduledEventDetails).toMatchObject({
      resource: "invoke.waitForTaskToken",
      timeoutInSeconds: 30,
    });
    // Answered once: the token is spent.
    await expect(
      t.approver.send(new SendTaskSuccessCommand({ taskToken: token, output: "{}" })),
    ).rejects.toBeInstanceOf(TaskTimedOut);
    await expect(
      t.approver.send(new SendTaskSuccessCommand({ taskToken: "nonsense", output: "{}" })),
    ).rejects.toBeInstanceOf(InvalidToken);
    await expect(
      t.approver.send(new SendTaskSuccessCommand({ taskToken: `AQB${"A".repeat(86)}`, output: "{}" })),
    ).rejects.toBeInstanceOf(TaskDoesNotExist);
  });

  it("SendTaskFailure fails the Task with the error and cause given, which Catch routes", async () => {
    const arn = await createMachine(
      t.sfn,
      "runbook-decline",
      gate({}, [{ ErrorEquals: ["Runbook.Declined"], ResultPath: "$.declined", Next: "declined" }]),
      t.role,
    );
    const e = await start(t.sfn, arn, { recordTo: join(t.dir, "decline.json") });
    const token = await tokenOf(e);
    await t.approver.send(
      new SendTaskFailureCommand({
        taskToken: token,
        error: "Runbook.Declined",
        cause: JSON.stringify({ by: "approver", reason: "lag" }),
      }),
    );
    const d = await finished(t.sfn, e);
    expect(JSON.parse(d.output ?? "{}").declined).toEqual({
      Error: "Runbook.Declined",
      Cause: '{"by":"approver","reason":"lag"}',
    });
    const failed = (await historyOf(t.sfn, e)).find((x) => x.type === "TaskFailed");
    expect(failed?.taskFailedEventDetails).toMatchObject({
      error: "Runbook.Declined",
      resource: "invoke.waitForTaskToken",
    });
  });

  it("TimeoutSeconds: TaskTimedOut with States.Timeout, which States.TaskFailed does not catch; a late answer is TaskTimedOut", async () => {
    const catchers = [
      { ErrorEquals: ["States.TaskFailed"], Next: "wrong" as const },
      { ErrorEquals: ["States.Timeout"], ResultPath: "$.timedOut", Next: "declined" as const },
    ];
    const arn = await createMachine(t.sfn, "runbook-timeout", gate({ TimeoutSeconds: 1 }, catchers), t.role);
    const e = await start(t.sfn, arn, { recordTo: join(t.dir, "timeout.json") });
    const token = await tokenOf(e);
    const d = await finished(t.sfn, e);
    expect(d.status).toBe("SUCCEEDED");
    expect(JSON.parse(d.output ?? "{}").timedOut.Error).toBe("States.Timeout");
    const events = await historyOf(t.sfn, e);
    expect(outline(events).slice(0, 7)).toEqual([
      "ExecutionStarted",
      "TaskStateEntered(approve.gate-1)",
      "TaskScheduled",
      "TaskStarted",
      "TaskSubmitted",
      "TaskTimedOut",
      "TaskStateExited(approve.gate-1)",
    ]);
    expect(events[5]?.taskTimedOutEventDetails).toMatchObject({
      error: "States.Timeout",
      resource: "invoke.waitForTaskToken",
    });
    await expect(
      t.approver.send(new SendTaskSuccessCommand({ taskToken: token, output: "{}" })),
    ).rejects.toBeInstanceOf(TaskTimedOut);
  });

  it("HeartbeatSeconds: heartbeats keep the Task alive; silence times it out", async () => {
    const arn = await createMachine(
      t.sfn,
      "runbook-heartbeat",
      gate({ HeartbeatSeconds: 1 }, [
        { ErrorEquals: ["States.HeartbeatTimeout"], ResultPath: "$.silent", Next: "declined" },
      ]),
      t.role,
    );
    const alive = await start(t.sfn, arn, { recordTo: join(t.dir, "hb1.json") });
    const token = await tokenOf(alive);
    for (let i = 0; i < 4; i++) {
      await new Promise((r) => setTimeout(r, 400));
      await t.approver.send(new SendTaskHeartbeatCommand({ taskToken: token }));
    }
    await t.approver.send(new SendTaskSuccessCommand({ taskToken: token, output: '"ok"' }));
    expect(JSON.parse((await finished(t.sfn, alive)).output ?? "{}").gates.approve).toBe("ok");
    const silent = await start(t.sfn, arn, { recordTo: join(t.dir, "hb2.json") });
    const d = await finished(t.sfn, silent);
    expect(JSON.parse(d.output ?? "{}").silent.Error).toBe("States.HeartbeatTimeout");
    expect((await historyOf(t.sfn, silent)).some((x) => x.type === "TaskTimedOut")).toBe(true);
  });

  it("StopExecution while a gate waits: the Task and its Parallel are aborted, the token is spent", async () => {
    const inner = gate();
    const definition = {
      StartAt: "guard.1",
      States: {
        "guard.1": {
          Type: "Parallel",
          Branches: [
            {
              StartAt: "approve.gate-1",
              States: { "approve.gate-1": { ...inner.States["approve.gate-1"], Next: undefined, End: true } },
            },
          ],
          End: true,
        },
      },
    };
    const arn = await createMachine(t.sfn, "runbook-stopped-gate", definition, t.role);
    const e = await start(t.sfn, arn, { recordTo: join(t.dir, "stopped.json") });
    const token = await tokenOf(e);
    await t.sfn.send(new StopExecutionCommand({ executionArn: e, cause: "operator stopped the failover" }));
    expect(outline(await historyOf(t.sfn, e)).slice(-3)).toEqual([
      "TaskStateAborted(approve.gate-1)",
      "ParallelStateAborted(guard.1)",
      "ExecutionAborted",
    ]);
    await expect(
      t.approver.send(new SendTaskSuccessCommand({ taskToken: token, output: "{}" })),
    ).rejects.toBeInstanceOf(TaskTimedOut);
  });
});
