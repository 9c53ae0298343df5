import { GetExecutionHistoryCommand, type HistoryEvent, SFNClient } from "@aws-sdk/client-sfn";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Emulator } from "../../../src/sandbox/emulator/index.js";
import { clientConfig, REGION_B, startEmulator } from "./helpers.js";
import { createMachine, detailsOf, finished, historyOf, outline, start } from "./sfn-helpers.js";

const ROLE = "arn:aws:iam::111111111111:role/runbook-history-states";
const PROBE = "arn:aws:lambda:us-west-2:111111111111:function:probe";
const FENCE = "arn:aws:lambda:us-west-2:111111111111:function:fence";

/** A guarded Parallel as the export writes one: the steps in one branch, a watcher in the other. */
const guarded = {
  StartAt: "guard.1",
  States: {
    "guard.1": {
      Type: "Parallel",
      Branches: [
        {
          StartAt: "fence",
          States: {
            fence: {
              Type: "Task",
              Resource: FENCE,
              TimeoutSeconds: 30,
              Retry: [{ ErrorEquals: ["Runbook.Retryable"], IntervalSeconds: 1, MaxAttempts: 1 }],
              End: true,
            },
          },
        },
        {
          StartAt: "guard.1.wait.lag",
          States: { "guard.1.wait.lag": { Type: "Wait", Seconds: 1000, End: true } },
        },
      ],
      Catch: [{ ErrorEquals: ["States.ALL"], ResultPath: "$.failure", Next: "aborted" }],
      Next: "end",
    },
    aborted: { Type: "Pass", End: true },
    end: { Type: "Succeed" },
  },
};

describe("Step Functions history: AWS's event types, order and ids", () => {
  let emulator: Emulator;
  let sfn: SFNClient;

  beforeAll(async () => {
    emulator = await startEmulator({ sfnWaitScale: 0.01 });
    sfn = new SFNClient(clientConfig(emulator.url, REGION_B));
  });
  afterAll(() => emulator.close());

  it("Parallel + Retry + Catch: a retry is a second TaskScheduled, the other branch's Wait is aborted, the Catch exits the Parallel", async () => {
    let attempts = 0;
    emulator.registerTaskHandler(FENCE, async () => {
      attempts++;
      throw Object.assign(new Error(`fence refused (${attempts})`), { name: "Runbook.Retryable" });
    });
    const arn = await createMachine(sfn, "runbook-guarded", guarded, ROLE);
    const e = await start(sfn, arn, { run: { executionId: "x" } });
    const d = await finished(sfn, e);
    expect(d.status).toBe("SUCCEEDED");
    expect(JSON.parse(d.output ?? "{}").failure).toMatchObject({ Error: "Runbook.Retryable" });
    expect(attempts).toBe(2);
    const events = await historyOf(sfn, e);
    expect(events.map((x) => x.id)).toEqual(events.map((_, i) => i + 1));
    expect(outline(events)).toEqual([
      "ExecutionStarted",
      "ParallelStateEntered(guard.1)",
      "ParallelStateStarted",
      ...interleaved(outline(events)),
      "ParallelStateFailed",
      "ParallelStateExited(guard.1)",
      "PassStateEntered(aborted)",
      "PassStateExited(aborted)",
      "ExecutionSucceeded",
    ]);
    const inside = interleaved(outline(events));
    // Each branch in its own order; the fence Task never exits (it failed twice, then the Parallel did).
    expect(inside.filter((t) => !t.includes("guard.1.wait"))).toEqual([
      "TaskStateEntered(fence)",
      "TaskScheduled",
      "TaskStarted",
      "TaskFailed",
      "TaskScheduled",
      "TaskStarted",
      "TaskFailed",
    ]);
    expect(inside.filter((t) => t.includes("guard.1.wait"))).toEqual([
      "WaitStateEntered(guard.1.wait.lag)",
      "WaitStateAborted(guard.1.wait.lag)",
    ]);
    expect(inside.at(-1)).toBe("WaitStateAborted(guard.1.wait.lag)");
    const failed = events.filter((x) => x.type === "TaskFailed").map((x) => x.taskFailedEventDetails);
    expect(failed.map((f) => f?.error)).toEqual(["Runbook.Retryable", "Runbook.Retryable"]);
    expect(JSON.parse(failed[1]?.cause ?? "{}")).toMatchObject({
      errorType: "Runbook.Retryable",
      errorMessage: "fence refused (2)",
    });
    const scheduled = events.find((x) => x.type === "TaskScheduled")?.taskScheduledEventDetails;
    expect(scheduled).toMatchObject({
      resourceType: "lambda",
      resource: FENCE,
      region: REGION_B,
      timeoutInSeconds: 30,
    });
    // A branch's first event follows the Parallel's start; a retry follows the attempt before it.
    const byId = new Map(events.map((x) => [x.id, x]));
    const entered = events.find((x) => x.stateEnteredEventDetails?.name === "fence");
    expect(byId.get(entered?.previousEventId)?.type).toBe("ParallelStateStarted");
    const second = events.filter((x) => x.type === "TaskScheduled")[1];
    expect(byId.get(second?.previousEventId)?.type).toBe("TaskFailed");
  });

  it("ids never change and pages never skip or repeat while the execution grows; reverseOrder and includeExecutionData", async () => {
    const loop = {
      StartAt: "count",
      States: {
        count: { Type: "Task", Resource: PROBE, TimeoutSeconds: 5, Next: "enough" },
        enough: {
          Type: "Choice",
          Choices: [{ Variable: "$.n", NumericGreaterThanEquals: 8, Next: "done" }],
          Default: "pause",
        },
        pause: { Type: "Wait", Seconds: 2, Next: "count" },
        done: { Type: "Succeed" },
      },
    };
    // Each iteration waits for a read of the history first: the reads are interleaved with the
    // growth whatever the machine's load, so they must see it grow.
    let release: () => void = () => undefined;
    let readDone = new Promise<void>((r) => {
      release = r;
    });
    emulator.registerTaskHandler(PROBE, async (input) => {
      await readDone;
      readDone = new Promise<void>((r) => {
        release = r;
      });
      return { n: ((input as { n?: number }).n ?? 0) + 1 };
    });
    const arn = await createMachine(sfn, "runbook-loop", loop, ROLE);
    const e = await start(sfn, arn, { n: 0 });
    const seen: HistoryEvent[] = [];
    const lengths = new Set<number>();
    // The whole history, three events a page, again and again while the loop runs.
    for (let reads = 0; reads < 500 && seen.at(-1)?.type !== "ExecutionSucceeded"; reads++) {
      const read = await historyOf(sfn, e, 3);
      expect(read.map((x) => x.id)).toEqual(read.map((_, i) => i + 1));
      lengths.add(read.length);
      seen.splice(0, seen.length, ...dedupe([...seen, ...read]));
      release();
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(lengths.size).toBeGreaterThan(2);
    const final = await historyOf(sfn, e, 7);
    expect(final.at(-1)?.type).toBe("ExecutionSucceeded");
    expect(dedupe(seen).map((x) => [x.id, x.type, JSON.stringify(detailsOf(x))])).toEqual(
      final.map((x) => [x.id, x.type, JSON.stringify(detailsOf(x))]),
    );
    expect(final.filter((x) => x.type === "TaskSucceeded")).toHaveLength(8);
    const newest = await sfn.send(
      new GetExecutionHistoryCommand({ executionArn: e, reverseOrder: true, maxResults: 2 }),
    );
    expect(newest.events?.map((x) => x.id)).toEqual([final.length, final.length - 1]);
    const older = await sfn.send(
      new GetExecutionHistoryCommand({
        executionArn: e,
        reverseOrder: true,
        maxResults: 2,
        nextToken: newest.nextToken,
      }),
    );
    expect(older.events?.map((x) => x.id)).toEqual([final.length - 2, final.length - 3]);
    const bare = await sfn.send(
      new GetExecutionHistoryCommand({ executionArn: e, includeExecutionData: false, maxResults: 1 }),
    );
    expect(bare.events?.[0]?.executionStartedEventDetails).toEqual({
      inputDetails: { truncated: false },
      roleArn: ROLE,
    });
    await expect(
      sfn.send(new GetExecutionHistoryCommand({ executionArn: e, maxResults: 1001 })),
    ).rejects.toThrow(/less than or equal to 1000/);
  });
});

/** The events between ParallelStateStarted and ParallelStateFailed. */
function interleaved(all: string[]): string[] {
  return all.slice(all.indexOf("ParallelStateStarted") + 1, all.indexOf("ParallelStateFailed"));
}

function dedupe(events: HistoryEvent[]): HistoryEvent[] {
  const byId = new Map<number, HistoryEvent>();
  for (const e of events) {
    const known = byId.get(e.id ?? 0);
    // The same id must always be the same event.
    if (known) expect(JSON.stringify(known)).toBe(JSON.stringify(e));
    else byId.set(e.id ?? 0, e);
  }
  return [...byId.values()].sort((a, b) => (a.id ?? 0) - (b.id ?? 0));
}
