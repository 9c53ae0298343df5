import type { HistoryEvent } from "@aws-sdk/client-sfn";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { newNonce, signIdentityProof } from "../../../src/aws/identity-proof.js";
import { SANDBOX_USERS } from "../../../src/sandbox/emulator/iam/iam-defaults.js";
import {
  type ApprovalDeps,
  handleGateDecide,
  handleGateOpen,
} from "../../../src/stepfunctions/runner/approval-handler.js";
import type { FunctionConfig } from "../../../src/stepfunctions/runner/function-config.js";
import { configFor, executionId, REGION, runnerEmulator, stateFor, WORKLOAD } from "./runner-fixture.js";

/**
 * The approval function: proofs checked for real at the emulator's STS, approvers matched as
 * the local gate keeper matches them. Step Functions itself is a small fake here, of
 * GetExecutionHistory (paged) and SendTaskSuccess/Failure only: it schedules the next gate
 * Task of the step when one is answered, as the exported machine does.
 */

const held = runnerEmulator();
const arnOf = (name: string) => `arn:aws:iam::${WORKLOAD}:user/${name}`;
const keysOf = (name: "operator" | "approver" | "outsider") => {
  const u = SANDBOX_USERS.find((x) => x.name === name)!;
  return { accessKeyId: u.accessKeyId, secretAccessKey: u.secretAccessKey };
};

const RUNBOOK = `apiVersion: runbook/v1
kind: Runbook
metadata: { name: gated, environment: sandbox }
approvals: { identities: aws }
inputs:
  where: { default: us-west-2 }
steps:
  - id: promote
    type: note
    with: { message: promoted }
    approval:
      prompt: "Promote in \${{ inputs.where }}?"
      approvers: ["${arnOf("approver")}", "${arnOf("operator")}"]
      minApprovals: 2
`;

const NAMES_RUNBOOK = `apiVersion: runbook/v1
kind: Runbook
metadata: { name: gated, environment: sandbox }
steps:
  - id: confirm
    type: approval
    with: { prompt: "Go?", minApprovals: 2 }
`;

/** An execution's history as Step Functions keeps it, and the gate Tasks the machine schedules. */
class FakeStepFunctions {
  readonly events: HistoryEvent[] = [];
  readonly sent: { type: string; input: Record<string, unknown> }[] = [];
  private tokens = 0;

  constructor(
    readonly executionArn: string,
    private readonly stepId: string,
    private readonly minApprovals: number,
    private readonly state: unknown,
  ) {
    this.add("ExecutionStarted", {});
    this.openGate(1);
  }

  async send(command: { constructor: { name: string }; input: Record<string, unknown> }): Promise<unknown> {
    const type = command.constructor.name;
    const input = command.input;
    if (type === "GetExecutionHistoryCommand") {
      expect(input.executionArn).toBe(this.executionArn);
      expect(input.includeExecutionData).toBe(true);
      // Three events a page: the handler must follow nextToken to the end.
      const from = input.nextToken ? Number(input.nextToken) : 0;
      const page = this.events.slice(from, from + 3);
      return { events: page, ...(from + 3 < this.events.length ? { nextToken: String(from + 3) } : {}) };
    }
    this.sent.push({ type, input });
    const open = this.openTask();
    if (!open || open.token !== input.taskToken)
      throw Object.assign(new Error("Invalid token"), { name: "InvalidToken" });
    if (type === "SendTaskSuccessCommand") {
      this.add("TaskSucceeded", {
        taskSucceededEventDetails: {
          resourceType: "lambda",
          resource: "invoke.waitForTaskToken",
          output: String(input.output),
        },
      });
      this.add("TaskStateExited", {});
      if (open.approval < this.minApprovals) this.openGate(open.approval + 1);
      else this.add("ExecutionSucceeded", {});
    } else {
      this.add("TaskFailed", {
        taskFailedEventDetails: {
          resourceType: "lambda",
          resource: "invoke.waitForTaskToken",
          error: String(input.error),
          cause: String(input.cause),
        },
      });
      this.add("ExecutionFailed", {});
    }
    return {};
  }

  private openGate(approval: number) {
    this.add("TaskStateEntered", { stateEnteredEventDetails: { name: `${this.stepId}.gate-${approval}` } });
    const token = `token-${++this.tokens}`;
    const Payload = {
      action: "gate.open",
      stepId: this.stepId,
      approval,
      token,
      executionArn: this.executionArn,
      state: this.state,
    };
    this.add("TaskScheduled", {
      taskScheduledEventDetails: {
        resourceType: "lambda",
        resource: "invoke.waitForTaskToken",
        region: REGION,
        parameters: JSON.stringify({ FunctionName: "runbook-gated-approvals", Payload }),
      },
    });
    this.add("TaskStarted", {});
    this.add("TaskSubmitted", {});
  }

  private openTask(): { token: string; approval: number } | undefined {
    const closed = new Set(["TaskSucceeded", "TaskFailed"]);
    const last = [...this.events]
      .reverse()
      .find((e) => e.type === "TaskScheduled" || closed.has(String(e.type)));
    if (last?.type !== "TaskScheduled") return undefined;
    const p = JSON.parse(last.taskScheduledEventDetails!.parameters!).Payload;
    return { token: p.token, approval: p.approval };
  }

  private add(type: string, details: Partial<HistoryEvent>) {
    const id = this.events.length + 1;
    this.events.push({
      id,
      previousEventId: id - 1,
      timestamp: new Date(),
      type,
      ...details,
    } as HistoryEvent);
  }
}

function setup(
  yaml: string,
  stepId: string,
  minApprovals: number,
  kind?: FunctionConfig["environment"]["kind"],
) {
  const config = configFor(held.emulator, yaml, kind ? { kind } : {});
  const id = executionId();
  const executionArn = `arn:aws:states:${REGION}:${WORKLOAD}:execution:runbook-gated:${id}`;
  const sfn = new FakeStepFunctions(
    executionArn,
    stepId,
    minApprovals,
    stateFor(id, {}, { where: "us-west-2" }),
  );
  const deps: ApprovalDeps = {
    config,
    sfn,
    sts: { endpoint: held.emulator.url, region: REGION },
    logger: pino({ level: "silent" }),
  };
  const proof = (
    who: "operator" | "approver" | "outsider",
    decision: "approve" | "decline" = "approve",
    step = stepId,
  ) =>
    signIdentityProof({
      target: deps.sts,
      binding: { executionId: id, stepId: step, decision, nonce: newNonce() },
      credentials: keysOf(who),
    });
  const decide = (
    p: unknown,
    decision: "approve" | "decline" = "approve",
    extra: Record<string, unknown> = {},
  ) => handleGateDecide({ action: "gate.decide", executionArn, stepId, decision, proof: p, ...extra }, deps);
  return { config, id, executionArn, sfn, deps, proof, decide };
}

describe("the approval function", () => {
  it("opens a gate by saying what it asks, rendered in the execution's state", async () => {
    const { deps, id, executionArn } = setup(RUNBOOK, "promote", 2);
    const opened = await handleGateOpen(
      {
        action: "gate.open",
        stepId: "promote",
        approval: 1,
        token: "t",
        executionArn,
        state: stateFor(id, {}, { where: "eu-west-1" }),
      },
      deps,
    );
    expect(opened).toEqual({
      stepId: "promote",
      approval: 1,
      prompt: "Promote in eu-west-1?",
      minApprovals: 2,
      approvers: [arnOf("approver"), arnOf("operator")],
    });
  });

  it("takes a proven approver's approval, records who with the proof's request id, never its signature", async () => {
    const { sfn, proof, decide } = setup(RUNBOOK, "promote", 2);
    const p = await proof("approver");
    expect(await decide(p)).toEqual({ accepted: true, remaining: 1 });
    expect(sfn.sent).toHaveLength(1);
    expect(sfn.sent[0]!.type).toBe("SendTaskSuccessCommand");
    expect(sfn.sent[0]!.input.taskToken).toBe("token-1");
    const output = JSON.parse(String(sfn.sent[0]!.input.output));
    expect(output).toEqual({
      approvedBy: arnOf("approver"),
      principalArn: arnOf("approver"),
      proof: {
        method: "sts:GetCallerIdentity",
        requestId: expect.any(String),
        nonce: p.binding.split("/")[3],
      },
    });
    expect(output.proof.requestId).not.toBe("");
    expect(String(sfn.sent[0]!.input.output)).not.toContain(p.signature);

    // The second gate Task now waits: a replay, the same approver again and an outsider are refused.
    const replay = await decide(p);
    expect(replay).toMatchObject({ accepted: false, remaining: 1 });
    expect(replay.reason).toMatch(/already used \(a replay of nonce/);
    const again = await decide(await proof("approver"));
    expect(again).toMatchObject({ accepted: false, remaining: 1 });
    expect(again.reason).toBe(
      `${arnOf("approver")} already approved gate promote; another person must give the next approval`,
    );
    const outsider = await decide(await proof("outsider"));
    expect(outsider.accepted).toBe(false);
    expect(outsider.reason).toMatch(new RegExp(`^${arnOf("outsider")} is not an approver of gate promote`));
    expect(sfn.sent).toHaveLength(1);

    // A second person completes the gate; after that no gate of the step waits.
    expect(await decide(await proof("operator"))).toEqual({ accepted: true, remaining: 0 });
    expect(sfn.sent.map((s) => s.input.taskToken)).toEqual(["token-1", "token-2"]);
    const late = await decide(await proof("outsider"));
    expect(late).toMatchObject({ accepted: false, reason: expect.stringMatching(/has ended/) });
  });

  it("refuses a proof bound to another decision or step, an unsigned claim, and a forged signature", async () => {
    const { sfn, proof, decide, id } = setup(RUNBOOK, "promote", 2);
    const declineProof = await proof("approver", "decline");
    expect((await decide(declineProof)).reason).toBe(
      `the proof was made for ${id}/promote/decline, not ${id}/promote/approve`,
    );
    expect((await decide(await proof("approver", "approve", "other"))).reason).toBe(
      `the proof was made for ${id}/other/approve, not ${id}/promote/approve`,
    );
    expect((await decide(undefined, "approve", { by: arnOf("approver") })).reason).toMatch(
      /^no proof of identity/,
    );
    const forged = { ...(await proof("approver")), signature: "0".repeat(64) };
    expect((await decide(forged)).reason).toMatch(/^STS refused the proof: SignatureDoesNotMatch/);
    expect(sfn.sent).toHaveLength(0);
  });

  it("a decline fails the gate Task with Runbook.Declined, saying who and why", async () => {
    const { sfn, proof, decide } = setup(RUNBOOK, "promote", 2);
    const p = await proof("operator", "decline");
    expect(await decide(p, "decline", { reason: "primary recovered" })).toEqual({
      accepted: true,
      remaining: 0,
    });
    expect(sfn.sent).toHaveLength(1);
    expect(sfn.sent[0]!.type).toBe("SendTaskFailureCommand");
    expect(sfn.sent[0]!.input.error).toBe("Runbook.Declined");
    expect(JSON.parse(String(sfn.sent[0]!.input.cause))).toEqual({
      by: arnOf("operator"),
      reason: "primary recovered",
      proof: {
        method: "sts:GetCallerIdentity",
        requestId: expect.any(String),
        nonce: p.binding.split("/")[3],
      },
    });
  });

  it("decides only gates of its own state machine", async () => {
    const { deps, id } = setup(RUNBOOK, "promote", 2);
    await expect(
      handleGateDecide(
        {
          action: "gate.decide",
          executionArn: `arn:aws:states:${REGION}:${WORKLOAD}:execution:someone-elses:${id}`,
          stepId: "promote",
          decision: "approve",
        },
        deps,
      ),
    ).rejects.toMatchObject({
      name: "Runbook.Fatal",
      message: expect.stringMatching(/not of state machine runbook-gated/),
    });
  });

  it("where the sandbox allows names, takes a name as given, once per person", async () => {
    const { sfn, decide } = setup(NAMES_RUNBOOK, "confirm", 2);
    expect(await decide(undefined, "approve", { by: "alice" })).toEqual({ accepted: true, remaining: 1 });
    expect(JSON.parse(String(sfn.sent[0]!.input.output))).toEqual({ approvedBy: "alice" });
    const twice = await decide(undefined, "approve", { by: "alice" });
    expect(twice).toMatchObject({
      accepted: false,
      remaining: 1,
      reason: expect.stringMatching(/^alice already approved/),
    });
    expect(await decide(undefined, "approve", { by: "bob" })).toEqual({ accepted: true, remaining: 0 });
    // A proof given instead of a name is still checked, and names its signer.
    const other = setup(NAMES_RUNBOOK, "confirm", 2);
    expect(await other.decide(await other.proof("outsider"))).toEqual({ accepted: true, remaining: 1 });
    expect(JSON.parse(String(other.sfn.sent[0]!.input.output)).approvedBy).toBe(arnOf("outsider"));
    const forged = { ...(await other.proof("approver")), signature: "0".repeat(64) };
    expect((await other.decide(forged)).accepted).toBe(false);
  });
});
