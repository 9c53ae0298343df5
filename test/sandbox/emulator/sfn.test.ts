import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  GetExecutionHistoryCommand,
  InvalidDefinition,
  SFNClient,
  StartExecutionCommand,
  StateMachineDoesNotExist,
} from "@aws-sdk/client-sfn";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Emulator } from "../../../src/sandbox/emulator/index.js";
import { clientConfig, REGION_B, startEmulator, waitFor } from "./helpers.js";

const PROMOTE = "arn:aws:lambda:us-west-2:111111111111:function:promote";
const FAILING = "arn:aws:lambda:us-west-2:111111111111:function:explode";
const FLAKY = "arn:aws:lambda:us-west-2:111111111111:function:measure-lag";

const definition = JSON.stringify({
  StartAt: "Fence",
  States: {
    Fence: { Type: "Pass", Result: { fenced: true }, ResultPath: "$.fence", Next: "Settle" },
    Settle: { Type: "Wait", Seconds: 2, Next: "Promote" },
    Promote: { Type: "Task", Resource: PROMOTE, ResultPath: "$.promotion", Next: "Done" },
    Done: { Type: "Succeed" },
  },
});

describe("Step Functions through the real SDK (JSON 1.0)", () => {
  let emulator: Emulator;
  let sfn: SFNClient;
  let machineArn: string;
  const seen: unknown[] = [];

  beforeAll(async () => {
    emulator = await startEmulator({ sfnWaitScale: 0.01 });
    emulator.registerTaskHandler(PROMOTE, async (input) => {
      seen.push(input);
      return { writer: REGION_B };
    });
    emulator.registerTaskHandler(FAILING, async () => {
      throw new Error("standby unreachable");
    });
    sfn = new SFNClient(clientConfig(emulator.url, REGION_B));
    const created = await sfn.send(
      new CreateStateMachineCommand({
        name: "failover",
        definition,
        roleArn: "arn:aws:iam::111111111111:role/sfn",
      }),
    );
    machineArn = created.stateMachineArn ?? "";
  });
  afterAll(() => emulator.close());

  it("CreateStateMachine returns a regional ARN and rejects invalid definitions", async () => {
    expect(machineArn).toBe(`arn:aws:states:${REGION_B}:111111111111:stateMachine:failover`);
    const bad = sfn.send(
      new CreateStateMachineCommand({
        name: "bad",
        definition: '{"StartAt":"X","States":{}}',
        roleArn: "arn:aws:iam::1:role/r",
      }),
    );
    await expect(bad).rejects.toBeInstanceOf(InvalidDefinition);
  });

  it("StartExecution runs Pass, Wait, Task and Succeed; DescribeExecution and history show it", async () => {
    const started = await sfn.send(
      new StartExecutionCommand({
        stateMachineArn: machineArn,
        name: "drill-1",
        input: '{"incident":"INC-1"}',
      }),
    );
    expect(started.startDate).toBeInstanceOf(Date);
    const done = await waitFor("execution to finish", async () => {
      const d = await sfn.send(new DescribeExecutionCommand({ executionArn: started.executionArn }));
      return d.status === "RUNNING" ? undefined : d;
    });
    expect(done.status).toBe("SUCCEEDED");
    expect(JSON.parse(done.output ?? "null")).toEqual({
      incident: "INC-1",
      fence: { fenced: true },
      promotion: { writer: REGION_B },
    });
    expect(seen).toEqual([{ incident: "INC-1", fence: { fenced: true } }]);
    const history = await sfn.send(new GetExecutionHistoryCommand({ executionArn: started.executionArn }));
    const types = history.events?.map((e) => e.type);
    expect(types?.[0]).toBe("ExecutionStarted");
    expect(types).toContain("WaitStateEntered");
    expect(types).toContain("TaskSucceeded");
    expect(types?.at(-1)).toBe("ExecutionSucceeded");
    const entered = history.events?.find((e) => e.type === "TaskStateEntered");
    expect(entered?.stateEnteredEventDetails?.name).toBe("Promote");
    expect(history.events?.[0]?.executionStartedEventDetails?.input).toBe('{"incident":"INC-1"}');
  });

  it("StartExecution is idempotent by name while running with the same input, refused otherwise", async () => {
    // Runs 10 s at this wait scale: long enough to still be RUNNING; close() aborts it.
    const slow = JSON.stringify({ StartAt: "W", States: { W: { Type: "Wait", Seconds: 1000, End: true } } });
    const m = await sfn.send(
      new CreateStateMachineCommand({ name: "slow", definition: slow, roleArn: "arn:aws:iam::1:role/r" }),
    );
    const first = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: m.stateMachineArn, name: "once", input: "{}" }),
    );
    const again = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: m.stateMachineArn, name: "once", input: "{}" }),
    );
    expect(again.executionArn).toBe(first.executionArn);
    const different = sfn.send(
      new StartExecutionCommand({ stateMachineArn: m.stateMachineArn, name: "once", input: '{"x":1}' }),
    );
    await expect(different).rejects.toBeInstanceOf(ExecutionAlreadyExists);
  });

  it("a failing task or a Fail state fails the execution with error and cause", async () => {
    const def = JSON.stringify({
      StartAt: "T",
      States: { T: { Type: "Task", Resource: FAILING, End: true } },
    });
    const m = await sfn.send(
      new CreateStateMachineCommand({ name: "boom", definition: def, roleArn: "arn:aws:iam::1:role/r" }),
    );
    const ex = await sfn.send(new StartExecutionCommand({ stateMachineArn: m.stateMachineArn }));
    const failed = await waitFor("failure", async () => {
      const d = await sfn.send(new DescribeExecutionCommand({ executionArn: ex.executionArn }));
      return d.status === "RUNNING" ? undefined : d;
    });
    expect(failed).toMatchObject({ status: "FAILED", error: "Error" });
    expect(failed.cause).toContain("standby unreachable");

    const failDef = JSON.stringify({
      StartAt: "F",
      States: { F: { Type: "Fail", Error: "Abort", Cause: "lag too high" } },
    });
    const fm = await sfn.send(
      new CreateStateMachineCommand({ name: "fail", definition: failDef, roleArn: "arn:aws:iam::1:role/r" }),
    );
    const fx = await sfn.send(new StartExecutionCommand({ stateMachineArn: fm.stateMachineArn }));
    const f = await waitFor("fail state", async () => {
      const d = await sfn.send(new DescribeExecutionCommand({ executionArn: fx.executionArn }));
      return d.status === "RUNNING" ? undefined : d;
    });
    expect(f).toMatchObject({ status: "FAILED", error: "Abort", cause: "lag too high" });
  });

  it("Task Retry and Catch, and Choice, route the execution like Step Functions", async () => {
    let calls = 0;
    emulator.registerTaskHandler(FLAKY, async (input) => {
      calls++;
      if (calls < 3) throw Object.assign(new Error("throttled"), { name: "Throttled" });
      return { lagMs: (input as { lagMs: number }).lagMs };
    });
    const def = JSON.stringify({
      StartAt: "Measure",
      States: {
        Measure: {
          Type: "Task",
          Resource: FLAKY,
          Retry: [{ ErrorEquals: ["Throttled"], IntervalSeconds: 1, MaxAttempts: 2 }],
          Next: "Decide",
        },
        Decide: {
          Type: "Choice",
          Choices: [{ Variable: "$.lagMs", NumericGreaterThan: 1000, Next: "TooLate" }],
          Default: "Promote",
        },
        Promote: {
          Type: "Task",
          Resource: FAILING,
          Catch: [{ ErrorEquals: ["States.ALL"], ResultPath: "$.failure", Next: "Report" }],
          End: true,
        },
        Report: { Type: "Pass", End: true },
        TooLate: { Type: "Fail", Error: "LagTooHigh", Cause: "replication lag above 1 s" },
      },
    });
    const m = await sfn.send(
      new CreateStateMachineCommand({ name: "branchy", definition: def, roleArn: "arn:aws:iam::1:role/r" }),
    );
    const run = async (name: string, input: object) => {
      const ex = await sfn.send(
        new StartExecutionCommand({ stateMachineArn: m.stateMachineArn, name, input: JSON.stringify(input) }),
      );
      return waitFor(name, async () => {
        const d = await sfn.send(new DescribeExecutionCommand({ executionArn: ex.executionArn }));
        return d.status === "RUNNING" ? undefined : d;
      });
    };
    const low = await run("low-lag", { lagMs: 10 });
    expect(calls).toBe(3); // two retries, then success
    expect(low.status).toBe("SUCCEEDED");
    expect(JSON.parse(low.output ?? "{}")).toEqual({
      lagMs: 10,
      // As Step Functions reports a Lambda's error: its errorType, and the error object as the cause.
      failure: {
        Error: "Error",
        Cause: JSON.stringify({ errorType: "Error", errorMessage: "standby unreachable", trace: [] }),
      },
    });
    const high = await run("high-lag", { lagMs: 5000 });
    expect(high).toMatchObject({ status: "FAILED", error: "LagTooHigh" });
  });

  it("unknown machine and execution are typed errors", async () => {
    await expect(
      sfn.send(new StartExecutionCommand({ stateMachineArn: `${machineArn}-nope` })),
    ).rejects.toBeInstanceOf(StateMachineDoesNotExist);
    await expect(
      sfn.send(new DescribeExecutionCommand({ executionArn: "arn:aws:states:us-west-2:1:execution:x:y" })),
    ).rejects.toBeInstanceOf(ExecutionDoesNotExist);
  });
});
