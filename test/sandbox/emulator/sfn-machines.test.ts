import {
  DeleteStateMachineCommand,
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  ExecutionAlreadyExists,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  SFNClient,
  StateMachineAlreadyExists,
  StateMachineDoesNotExist,
  StopExecutionCommand,
  UpdateStateMachineCommand,
} from "@aws-sdk/client-sfn";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Emulator } from "../../../src/sandbox/emulator/index.js";
import { clientConfig, REGION_A, REGION_B, startEmulator } from "./helpers.js";
import { createMachine, finished, historyOf, outline, start } from "./sfn-helpers.js";

const ROLE = "arn:aws:iam::111111111111:role/runbook-machines-states";
const pass = { StartAt: "P", States: { P: { Type: "Pass", End: true } } };
// 1000 s at the test's wait scale (0.01) is 10 s: still running when the test looks.
const slow = { StartAt: "W", States: { W: { Type: "Wait", Seconds: 1000, End: true } } };

describe("Step Functions state machines and executions through the real SDK and the AWS CLI", () => {
  let emulator: Emulator;
  let sfn: SFNClient;

  beforeAll(async () => {
    emulator = await startEmulator({ sfnWaitScale: 0.01 });
    sfn = new SFNClient(clientConfig(emulator.url, REGION_B));
  });
  afterAll(() => emulator.close());

  it("CreateStateMachine is idempotent for the same definition and role; Describe/Update/List/Delete answer as AWS", async () => {
    const arn = await createMachine(sfn, "runbook-one", pass, ROLE);
    expect(await createMachine(sfn, "runbook-one", pass, ROLE)).toBe(arn);
    await expect(createMachine(sfn, "runbook-one", slow, ROLE)).rejects.toBeInstanceOf(
      StateMachineAlreadyExists,
    );
    const described = await sfn.send(new DescribeStateMachineCommand({ stateMachineArn: arn }));
    expect(described).toMatchObject({
      name: "runbook-one",
      status: "ACTIVE",
      type: "STANDARD",
      roleArn: ROLE,
    });
    expect(JSON.parse(described.definition ?? "{}")).toEqual(pass);
    const updated = await sfn.send(
      new UpdateStateMachineCommand({ stateMachineArn: arn, definition: JSON.stringify(slow) }),
    );
    expect(updated.updateDate).toBeInstanceOf(Date);
    expect(updated.revisionId).not.toBe(described.revisionId);
    const after = await sfn.send(new DescribeStateMachineCommand({ stateMachineArn: arn }));
    expect(JSON.parse(after.definition ?? "{}")).toEqual(slow);
    await createMachine(sfn, "runbook-two", pass, ROLE);
    const listed = await sfn.send(new ListStateMachinesCommand({ maxResults: 1 }));
    expect(listed.stateMachines?.map((m) => m.name)).toEqual(["runbook-one"]);
    const rest = await sfn.send(new ListStateMachinesCommand({ maxResults: 1, nextToken: listed.nextToken }));
    expect(rest.stateMachines?.map((m) => m.name)).toEqual(["runbook-two"]);
    // Regional: the other region has none of them.
    const other = new SFNClient(clientConfig(emulator.url, REGION_A));
    expect((await other.send(new ListStateMachinesCommand({}))).stateMachines).toEqual([]);
    await sfn.send(
      new DeleteStateMachineCommand({ stateMachineArn: rest.stateMachines?.[0]?.stateMachineArn }),
    );
    await expect(
      sfn.send(
        new DescribeStateMachineCommand({ stateMachineArn: rest.stateMachines?.[0]?.stateMachineArn }),
      ),
    ).rejects.toBeInstanceOf(StateMachineDoesNotExist);
  });

  it("answers ListStateMachines as the AWS CLI sends it (it used to get UnknownOperationException)", async () => {
    // botocore's request, byte for byte what `aws stepfunctions list-state-machines` sends
    // (JSON 1.0, its target header, an empty object body), signed with SigV4 by @smithy.
    const { SignatureV4 } = await import("@smithy/signature-v4");
    const { NodeSha256 } = await import("../../../src/aws/identity-proof.js");
    const url = new URL(emulator.url);
    const signer = new SignatureV4({
      service: "states",
      region: REGION_B,
      credentials: { accessKeyId: "AKIDSANDBOX", secretAccessKey: "test" },
      sha256: NodeSha256,
    });
    const signed = await signer.sign({
      method: "POST",
      protocol: url.protocol,
      hostname: url.hostname,
      port: Number(url.port),
      path: "/",
      headers: {
        host: url.host,
        "content-type": "application/x-amz-json-1.0",
        "x-amz-target": "AWSStepFunctions.ListStateMachines",
        "user-agent":
          "aws-cli/2.15.0 md/awscrt#0.19.19 ua/2.0 os/linux#6.1 md/arch#x86_64 lang/python#3.11.8",
      },
      body: "{}",
    });
    const response = await fetch(emulator.url, { method: "POST", headers: signed.headers, body: "{}" });
    expect(response.status).toBe(200);
    const names = ((await response.json()) as { stateMachines: { name: string }[] }).stateMachines.map(
      (m) => m.name,
    );
    expect(names).toContain("runbook-one");
  });

  it("StartExecution: same name and input while running is the same execution; after it ends the name is taken", async () => {
    const arn = await createMachine(sfn, "runbook-names", slow, ROLE);
    const first = await start(sfn, arn, { a: 1 }, "exec-1");
    expect(await start(sfn, arn, { a: 1 }, "exec-1")).toBe(first);
    await expect(start(sfn, arn, { a: 2 }, "exec-1")).rejects.toBeInstanceOf(ExecutionAlreadyExists);
    await sfn.send(new StopExecutionCommand({ executionArn: first }));
    await expect(start(sfn, arn, { a: 1 }, "exec-1")).rejects.toBeInstanceOf(ExecutionAlreadyExists);
  });

  it("ListExecutions filters by status and pages, newest first", async () => {
    const arn = await createMachine(sfn, "runbook-list", pass, ROLE);
    const done = [await start(sfn, arn, {}, "a"), await start(sfn, arn, {}, "b")];
    for (const e of done) await finished(sfn, e);
    await sfn.send(new UpdateStateMachineCommand({ stateMachineArn: arn, definition: JSON.stringify(slow) }));
    const running = await start(sfn, arn, {}, "c");
    const all = await sfn.send(new ListExecutionsCommand({ stateMachineArn: arn }));
    expect(all.executions?.map((e) => e.name)).toEqual(["c", "b", "a"]);
    const runningOnly = await sfn.send(
      new ListExecutionsCommand({ stateMachineArn: arn, statusFilter: "RUNNING" }),
    );
    expect(runningOnly.executions?.map((e) => e.executionArn)).toEqual([running]);
    const page = await sfn.send(
      new ListExecutionsCommand({ stateMachineArn: arn, statusFilter: "SUCCEEDED", maxResults: 1 }),
    );
    expect(page.executions?.map((e) => e.name)).toEqual(["b"]);
    const next = await sfn.send(
      new ListExecutionsCommand({
        stateMachineArn: arn,
        statusFilter: "SUCCEEDED",
        maxResults: 1,
        nextToken: page.nextToken,
      }),
    );
    expect(next.executions?.map((e) => e.name)).toEqual(["a"]);
    expect(next.nextToken).toBeUndefined();
  });

  it("StopExecution aborts the running state and ends the history with ExecutionAborted", async () => {
    const arn = await createMachine(
      sfn,
      "runbook-stop",
      { StartAt: "Fence", States: { Fence: { Type: "Pass", Next: "W" }, ...slow.States } },
      ROLE,
    );
    const e = await start(sfn, arn);
    const stopped = await sfn.send(
      new StopExecutionCommand({ executionArn: e, error: "Operator.Stop", cause: "wrong runbook" }),
    );
    expect(stopped.stopDate).toBeInstanceOf(Date);
    const d = await sfn.send(new DescribeExecutionCommand({ executionArn: e }));
    expect(d).toMatchObject({ status: "ABORTED", error: "Operator.Stop", cause: "wrong runbook" });
    const events = await historyOf(sfn, e);
    expect(outline(events)).toEqual([
      "ExecutionStarted",
      "PassStateEntered(Fence)",
      "PassStateExited(Fence)",
      "WaitStateEntered(W)",
      "WaitStateAborted(W)",
      "ExecutionAborted",
    ]);
    expect(events.at(-1)?.executionAbortedEventDetails).toEqual({
      error: "Operator.Stop",
      cause: "wrong runbook",
    });
  });
});
