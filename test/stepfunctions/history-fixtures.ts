import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { HistoryEvent } from "@aws-sdk/client-sfn";
import { startedEventData } from "../../src/engine/engine.js";
import type { AnyJournalEvent } from "../../src/journal/events.js";
import { foldEvents } from "../../src/journal/fold.js";
import { JournalWriter, readJournal, verifyEvents } from "../../src/journal/journal.js";
import type { Runbook } from "../../src/language/runbook.js";
import { validateRunbook } from "../../src/language/validate.js";
import type { JournalDraft } from "../../src/stepfunctions/history-import.js";
import type { Manifest, ManifestState } from "../../src/stepfunctions/manifest.js";
import { testRegistry, World } from "../engine/fixtures.js";

/**
 * Histories shaped as GetExecutionHistory returns them (issue 13 contract): ids from 1, each
 * event pointing at the one before it in its own branch. A `Chain` is one branch's thread:
 * calls on different chains interleave as parallel branches do.
 */

export const EXECUTION_ARN = "arn:aws:states:us-west-2:111111111111:execution:runbook-test:exec-1";
export const T0 = Date.parse("2026-12-01T10:00:00.000Z");

export interface Chain {
  last: number;
}

type Details = Omit<HistoryEvent, "id" | "type" | "timestamp" | "previousEventId">;

export const lambdaOutput = (payload: unknown) =>
  JSON.stringify({ ExecutedVersion: "$LATEST", Payload: payload, StatusCode: 200 });

/** A step's result as the steps function returns it. */
export function stepResult(outputs: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return { outputs, finishedAt: "", durationMs: 120, measures: {}, milestones: [], ...extra };
}

/** Lambda's cause for an error the steps function threw (contract: name + JSON message). */
export function stepErrorCause(name: string, message: string, cls: string, durationMs = 80): string {
  return JSON.stringify({
    errorType: name,
    errorMessage: JSON.stringify({ message, class: cls, durationMs }),
    trace: [],
  });
}

export class HistoryBuilder {
  readonly events: HistoryEvent[] = [];
  private t = T0;

  /** Let time pass before the next event. */
  wait(ms: number): this {
    this.t += ms;
    return this;
  }

  push(type: string, details: Details = {}, prev?: Chain): Chain {
    const id = this.events.length + 1;
    this.t += 1;
    this.events.push({
      id,
      type: type as HistoryEvent["type"],
      timestamp: new Date(this.t),
      ...(id > 1 ? { previousEventId: prev?.last ?? id - 1 } : {}),
      ...details,
    });
    if (prev) prev.last = id;
    return { last: id };
  }

  get now(): number {
    return this.t;
  }

  started(input: unknown): Chain {
    return this.push("ExecutionStarted", {
      executionStartedEventDetails: { input: JSON.stringify(input), roleArn: "arn:aws:iam::1:role/r" },
    });
  }

  enter(name: string, kind: string, chain?: Chain): Chain {
    const c = chain ?? { last: this.events.length };
    this.push(`${kind}StateEntered`, { stateEnteredEventDetails: { name, input: "{}" } }, c);
    return c;
  }

  exit(name: string, kind: string, chain: Chain): Chain {
    this.push(`${kind}StateExited`, { stateExitedEventDetails: { name, output: "{}" } }, chain);
    return chain;
  }

  pass(name: string, chain?: Chain): Chain {
    return this.exit(name, "Pass", this.enter(name, "Pass", chain));
  }

  scheduled(c: Chain, payload: Record<string, unknown>, o: { wait?: boolean; timeout?: number } = {}): void {
    this.push(
      "TaskScheduled",
      {
        taskScheduledEventDetails: {
          resourceType: "lambda",
          resource: o.wait ? "invoke.waitForTaskToken" : "invoke",
          region: "us-west-2",
          parameters: JSON.stringify({
            FunctionName: "arn:aws:lambda:us-west-2:1:function:f",
            Payload: payload,
          }),
          timeoutInSeconds: o.timeout ?? 300,
        },
      },
      c,
    );
    this.push("TaskStarted", { taskStartedEventDetails: { resourceType: "lambda", resource: "invoke" } }, c);
  }

  succeeded(c: Chain, output: string): void {
    this.push(
      "TaskSucceeded",
      { taskSucceededEventDetails: { resourceType: "lambda", resource: "invoke", output } },
      c,
    );
  }

  failed(c: Chain, error: string, cause: string): void {
    this.push(
      "TaskFailed",
      { taskFailedEventDetails: { resourceType: "lambda", resource: "invoke", error, cause } },
      c,
    );
  }

  timedOut(c: Chain): void {
    this.push(
      "TaskTimedOut",
      { taskTimedOutEventDetails: { resourceType: "lambda", resource: "invoke", error: "States.Timeout" } },
      c,
    );
  }

  /** A step's Task state: its attempts in turn (a result, or an error Step Functions may retry). */
  stepTask(name: string, stepId: string, attempts: Attempt[], chain?: Chain, o: { ms?: number } = {}): Chain {
    const c = this.enter(name, "Task", chain);
    for (const [i, a] of attempts.entries()) {
      if (i > 0) this.wait(a.after ?? 1000);
      this.scheduled(c, { action: "step", stepId, state: {} });
      this.wait(o.ms ?? 100);
      if ("result" in a) this.succeeded(c, lambdaOutput(a.result));
      else if ("timeout" in a) this.timedOut(c);
      else this.failed(c, a.error, stepErrorCause(a.error, a.message, a.cls ?? "retryable"));
    }
    const lastAttempt = attempts.at(-1)!;
    if ("result" in lastAttempt) this.exit(name, "Task", c);
    return c;
  }

  gateTask(
    name: string,
    stepId: string,
    n: number,
    answer: GateAnswer,
    state: unknown = {},
    chain?: Chain,
  ): Chain {
    const c = this.enter(name, "Task", chain);
    const payload = {
      action: "gate.open",
      stepId,
      approval: n,
      token: "secret-token",
      executionArn: EXECUTION_ARN,
      state,
    };
    this.scheduled(c, payload, { wait: true, timeout: 86400 });
    this.push(
      "TaskSubmitted",
      {
        taskSubmittedEventDetails: {
          resourceType: "lambda",
          resource: "invoke.waitForTaskToken",
          output: "{}",
        },
      },
      c,
    );
    this.wait(5000);
    if ("approvedBy" in answer) {
      this.succeeded(
        c,
        JSON.stringify({
          approvedBy: answer.approvedBy,
          principalArn: answer.approvedBy,
          ...(answer.proof ? { proof: answer.proof } : {}),
        }),
      );
      this.exit(name, "Task", c);
    } else {
      this.failed(c, "Runbook.Declined", JSON.stringify({ by: answer.declinedBy, reason: answer.reason }));
    }
    return c;
  }

  probe(
    name: string,
    criterion: string,
    result: { failures: number; tripped: boolean; reason?: string },
    chain: Chain,
  ): Chain {
    this.enter(name, "Task", chain);
    this.scheduled(chain, { action: "probe", criterion, failures: 0, state: {} });
    this.succeeded(chain, lambdaOutput(result));
    return this.exit(name, "Task", chain);
  }
}

export type Attempt = { after?: number } & (
  | { result: unknown }
  | { error: string; message: string; cls?: string }
  | { timeout: true }
);

export type GateAnswer =
  | { approvedBy: string; proof?: { method: string; requestId: string; nonce: string } }
  | { declinedBy: string; reason: string };

export function manifestOf(states: Record<string, ManifestState>): Manifest {
  return {
    runbook: "test",
    environment: "sandbox",
    region: "us-west-2",
    stateMachineName: "runbook-test",
    functions: { steps: "runbook-test-steps", approvals: "runbook-test-approvals" },
    roles: {},
    states,
    historyEstimate: { worstCase: 0, loops: [] },
  };
}

export const header = (name: string, extra = "") => `apiVersion: runbook/v1
kind: Runbook
metadata: { name: ${name}, environment: sandbox }
${extra}`;

export function runbookOf(yaml: string): Runbook {
  const name = /name: ([a-z0-9-]+)/.exec(yaml)![1]!;
  return validateRunbook(yaml, `runbooks/${name}.yaml`, testRegistry(new World()));
}

/** The journal's first line, as `runbook run --engine stepfunctions` writes it before StartExecution. */
export function startedData(runbook: Runbook, inputs: Record<string, string> = {}) {
  return startedEventData(
    runbook,
    "exec-1",
    { inputs, declaredAt: new Date(T0 - 60_000) },
    { operator: "alice", workdir: "/tmp", registry: testRegistry(new World()) },
    new Date(T0),
  );
}

export interface WrittenJournal {
  path: string;
  text: string;
  events: AnyJournalEvent[];
}

/** A journal holding the start line and then `drafts`, appended as the follower does. */
export function writeJournal(
  runbook: Runbook,
  drafts: JournalDraft[],
  inputs: Record<string, string> = {},
): WrittenJournal {
  const path = join(mkdtempSync(join(tmpdir(), "runbook-import-")), "journal.jsonl");
  const w = JournalWriter.create(path);
  w.appendImported("execution.started", startedData(runbook, inputs), {
    ts: new Date(T0),
    origin: { executionArn: EXECUTION_ARN, eventId: 1 },
  });
  appendDrafts(w, drafts);
  w.close();
  return { path, text: readFileSync(path, "utf8"), events: readJournal(path).events };
}

export function appendDrafts(w: JournalWriter, drafts: JournalDraft[]): void {
  for (const d of drafts)
    w.appendImported(d.type, d.data as never, {
      ts: d.ts,
      origin: d.origin,
      ...(d.stepId !== undefined ? { stepId: d.stepId } : {}),
    });
}

export function verifiedFold(j: WrittenJournal) {
  const verified = verifyEvents(j.events);
  if (!verified.ok) throw new Error(`journal does not verify: ${JSON.stringify(verified.problem)}`);
  return foldEvents(j.events)!;
}
