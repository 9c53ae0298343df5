import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import type { DrillRequest, DrillResult, DrillRunner } from "../../src/drill/drill-types.js";
import {
  type HistoryRecord,
  type HistorySink,
  historyPath,
  ScheduleHistory,
} from "../../src/schedule/history.js";
import { cloudWatchPublisher, drillMetrics } from "../../src/schedule/publish.js";
import { parseSchedule } from "../../src/schedule/schedule-file.js";
import { Scheduler, type SchedulerEvent } from "../../src/schedule/scheduler.js";
import { ManualClock, settle } from "./manual-clock.js";

const START = "2026-11-27T08:00:00.000Z";

function schedule(drills: string) {
  return parseSchedule(
    `apiVersion: runbook/v1\nkind: DrillSchedule\nmetadata: { name: game-days }\ndrills:\n${drills}`,
    "drills.yaml",
    { now: new Date(START) },
  );
}

function result(
  request: DrillRequest,
  verdict: DrillResult["verdict"],
  extra: Partial<DrillResult> = {},
): DrillResult {
  return {
    runbook: request.runbook,
    ...(request.scenario ? { scenario: request.scenario } : {}),
    verdict,
    outcome: verdict === "pass" ? "completed" : "failed",
    expectations: [{ name: "outcome", ok: verdict === "pass", detail: "as expected" }],
    startedAt: START,
    endedAt: START,
    ...extra,
  };
}

/** A runner whose drills return when the test says so, remembering the signal each got. */
function controlledRunner() {
  const calls: { request: DrillRequest; signal: AbortSignal; finish: (r: DrillResult) => void }[] = [];
  const runner: DrillRunner = (request, signal) =>
    new Promise((resolve) => {
      calls.push({ request, signal, finish: resolve });
    });
  return { runner, calls };
}

/** History kept in memory: appends complete at once, so the fake clock alone decides timing. */
class MemoryHistory implements HistorySink {
  readonly path = "memory";
  readonly records: HistoryRecord[] = [];
  async append(record: HistoryRecord) {
    this.records.push(record);
  }
  async flush() {}
}

function setup(
  drills: string,
  runner: DrillRunner,
  extra: { publish?: (r: DrillResult) => Promise<void>; file?: boolean } = {},
) {
  const clock = new ManualClock(START);
  const events: SchedulerEvent[] = [];
  const home = mkdtempSync(join(tmpdir(), "runbook-schedule-"));
  const history: HistorySink = extra.file
    ? new ScheduleHistory(historyPath(home, "game-days"))
    : new MemoryHistory();
  const scheduler = new Scheduler({
    schedule: schedule(drills),
    runner,
    clock,
    history,
    onEvent: (e) => events.push(e),
    ...(extra.publish ? { publish: extra.publish } : {}),
  });
  const readHistory = (): HistoryRecord[] =>
    history instanceof MemoryHistory
      ? history.records
      : readFileSync(history.path, "utf8")
          .trim()
          .split("\n")
          .map((l) => JSON.parse(l));
  const of = <T extends SchedulerEvent["type"]>(type: T) =>
    events.filter((e): e is Extract<SchedulerEvent, { type: T }> => e.type === type);
  return { clock, events, of, scheduler, history, readHistory };
}

describe("Scheduler", () => {
  it("fires a */5 drill at each fifth minute of the fake clock, with the drill's request", async () => {
    const requests: { request: DrillRequest; at: string }[] = [];
    const { clock, scheduler, of } = setup(
      "  - { name: five, runbook: rb-a, env: sandbox, scenario: s1, expect: completed, cron: '*/5 * * * *' }\n",
      async (request) => {
        requests.push({ request, at: clock.now().toISOString() });
        return result(request, "pass");
      },
    );
    scheduler.start();
    await settle();
    expect(clock.pending()).toEqual(["2026-11-27T08:05:00.000Z"]);
    await clock.advanceTo("2026-11-27T08:21:00.000Z");
    expect(requests.map((r) => r.at)).toEqual([
      "2026-11-27T08:05:00.000Z",
      "2026-11-27T08:10:00.000Z",
      "2026-11-27T08:15:00.000Z",
      "2026-11-27T08:20:00.000Z",
    ]);
    expect(requests[0]!.request).toEqual({
      runbook: "rb-a",
      env: "sandbox",
      scenario: "s1",
      expect: "completed",
    });
    await vi.waitFor(() =>
      expect(of("finished").map((e) => e.verdict)).toEqual(["pass", "pass", "pass", "pass"]),
    );
    expect(clock.pending()).toEqual(["2026-11-27T08:25:00.000Z"]);
    await scheduler.stop();
  });

  it("a weekly drill fires on its day and hour in the schedule's time zone", async () => {
    const fired: string[] = [];
    const clock = new ManualClock(START);
    const s = parseSchedule(
      "apiVersion: runbook/v1\nkind: DrillSchedule\nmetadata: { name: w }\ntimezone: America/New_York\ndrills:\n  - { name: weekly, runbook: rb, cron: '0 3 * * MON' }\n",
      "w.yaml",
    );
    const scheduler = new Scheduler({
      schedule: s,
      clock,
      runner: async (r) => {
        fired.push(clock.now().toISOString());
        return result(r, "pass");
      },
    });
    scheduler.start();
    await clock.advanceTo("2026-12-15T00:00:00.000Z");
    // 03:00 in New York (EST, UTC-5) is 08:00 UTC, on Mondays.
    expect(fired).toEqual([
      "2026-11-30T08:00:00.000Z",
      "2026-12-07T08:00:00.000Z",
      "2026-12-14T08:00:00.000Z",
    ]);
    await scheduler.stop();
  });

  it("skips a fire of a runbook that is still running, and still runs another runbook's drill", async () => {
    const { runner, calls } = controlledRunner();
    const { clock, scheduler, of, readHistory } = setup(
      [
        "  - { name: a-every-5, runbook: rb-a, cron: '*/5 * * * *' }",
        "  - { name: a-every-10, runbook: rb-a, cron: '*/10 * * * *' }",
        "  - { name: b-every-10, runbook: rb-b, cron: '*/10 * * * *' }",
        "",
      ].join("\n"),
      runner,
    );
    scheduler.start();
    await clock.advanceTo("2026-11-27T08:05:00.000Z");
    expect(calls.map((c) => c.request.runbook)).toEqual(["rb-a"]);
    // 08:10: rb-a is still running (a-every-5 from 08:05): both rb-a fires skipped; rb-b runs.
    await clock.advanceTo("2026-11-27T08:10:00.000Z");
    expect(calls.map((c) => c.request.runbook)).toEqual(["rb-a", "rb-b"]);
    const skipped = of("skipped");
    expect(skipped.map((e) => e.drill).sort()).toEqual(["a-every-10", "a-every-5"]);
    expect(skipped[0]!.running).toBe("a-every-5@2026-11-27T08:05:00.000Z");
    expect(scheduler.running().sort()).toEqual([
      "a-every-5@2026-11-27T08:05:00.000Z",
      "b-every-10@2026-11-27T08:10:00.000Z",
    ]);
    // Not queued: once rb-a is free, nothing runs until its next fire time.
    calls[0]!.finish(result(calls[0]!.request, "pass"));
    await vi.waitFor(() => expect(of("finished")).toHaveLength(1));
    await clock.advanceTo("2026-11-27T08:14:59.000Z");
    expect(calls).toHaveLength(2);
    await clock.advanceTo("2026-11-27T08:15:00.000Z");
    expect(calls.map((c) => c.request.runbook)).toEqual(["rb-a", "rb-b", "rb-a"]);
    calls[1]!.finish(result(calls[1]!.request, "pass"));
    calls[2]!.finish(result(calls[2]!.request, "pass"));
    await scheduler.stop();
    const types = readHistory().map((r) => `${r.type}:${r.drill}`);
    expect(types.filter((t) => t.startsWith("skipped")).sort()).toEqual([
      "skipped:a-every-10",
      "skipped:a-every-5",
    ]);
    expect(types.filter((t) => t.startsWith("fired"))).toHaveLength(3);
    expect(types.filter((t) => t.startsWith("result"))).toHaveLength(3);
  });

  it("survives a runner that throws and one that returns fail, and keeps firing", async () => {
    let n = 0;
    const { clock, scheduler, of, readHistory } = setup(
      "  - { name: flaky, runbook: rb, scenario: s, cron: '*/5 * * * *' }\n",
      async (request) => {
        n++;
        if (n === 1) throw new Error("sandbox exploded");
        if (n === 2) return result(request, "fail");
        return result(request, "pass", { rtoMs: 1234 });
      },
    );
    scheduler.start();
    await clock.advanceTo("2026-11-27T08:15:00.000Z");
    await vi.waitFor(() => expect(of("finished").map((e) => e.verdict)).toEqual(["error", "fail", "pass"]));
    expect(of("error").map((e) => e.message)).toEqual(["the drill runner threw: sandbox exploded"]);
    const thrown = of("finished")[0]!.result;
    expect(thrown).toMatchObject({ runbook: "rb", scenario: "s", verdict: "error", outcome: "not-run" });
    expect(thrown.error).toContain("sandbox exploded");
    expect(clock.pending()).toEqual(["2026-11-27T08:20:00.000Z"]);
    await scheduler.stop();
    const results = readHistory().filter((r) => r.type === "result");
    expect(results.map((r) => (r.type === "result" ? r.result.verdict : ""))).toEqual([
      "error",
      "fail",
      "pass",
    ]);
  });

  it("a runner answering without a verdict is an error result, not a crash", async () => {
    const { clock, scheduler, of } = setup(
      "  - { name: odd, runbook: rb, cron: '*/5 * * * *' }\n",
      async () => Promise.resolve(undefined as unknown as DrillResult),
    );
    scheduler.start();
    await clock.advanceTo("2026-11-27T08:05:00.000Z");
    await vi.waitFor(() => expect(of("finished").map((e) => e.verdict)).toEqual(["error"]));
    expect(of("error")[0]!.message).toContain("returned no verdict");
    await scheduler.stop();
  });

  it("fires missed while the machine was suspended collapse into one late fire", async () => {
    // A clock whose first sleep oversleeps by two hours, like a laptop lid closed at 08:04.
    let t = new Date(START).getTime();
    let overslept = false;
    const clock = {
      now: () => new Date(t),
      sleepUntil: async (at: Date, signal: AbortSignal) => {
        if (signal.aborted) return;
        if (!overslept) {
          overslept = true;
          t = at.getTime() + 2 * 3600_000;
          return;
        }
        await new Promise<void>((resolve) =>
          signal.addEventListener("abort", () => resolve(), { once: true }),
        );
      },
    };
    const fired: string[] = [];
    const scheduled: string[] = [];
    const scheduler = new Scheduler({
      schedule: schedule("  - { name: d, runbook: rb, cron: '*/5 * * * *' }\n"),
      clock,
      runner: async (r) => {
        fired.push(new Date(t).toISOString());
        return result(r, "pass");
      },
      onEvent: (e) => {
        if (e.type === "scheduled") scheduled.push(e.next);
      },
    });
    scheduler.start();
    await vi.waitFor(() => expect(scheduled).toHaveLength(2));
    expect(fired).toEqual(["2026-11-27T10:05:00.000Z"]);
    // The next fire is computed from the waking time, not from 08:05: no burst of 24 fires.
    expect(scheduled).toEqual(["2026-11-27T08:05:00.000Z", "2026-11-27T10:10:00.000Z"]);
    await scheduler.stop();
  });

  it("stop() fires nothing new, aborts the running drill's signal, and resolves only after it returns", async () => {
    const { runner, calls } = controlledRunner();
    const { clock, scheduler, of, readHistory } = setup(
      "  - { name: long, runbook: rb, cron: '*/5 * * * *' }\n",
      runner,
    );
    scheduler.start();
    await clock.advanceTo("2026-11-27T08:05:00.000Z");
    expect(calls).toHaveLength(1);
    const signal = calls[0]!.signal;
    expect(signal.aborted).toBe(false);

    let stopped = false;
    const stopping = scheduler.stop().then(() => {
      stopped = true;
    });
    expect(signal.aborted).toBe(true);
    expect(of("stopping")[0]!.running).toEqual(["long@2026-11-27T08:05:00.000Z"]);
    await settle();
    expect(stopped).toBe(false);
    // Time passing after stop fires nothing.
    await clock.advanceTo("2026-11-27T09:00:00.000Z");
    expect(calls).toHaveLength(1);
    expect(stopped).toBe(false);

    // The drill reaches its safe point and returns.
    calls[0]!.finish(result(calls[0]!.request, "fail", { outcome: "paused" }));
    await stopping;
    expect(stopped).toBe(true);
    expect(of("stopped")).toHaveLength(1);
    expect(of("finished").map((e) => e.result.outcome)).toEqual(["paused"]);
    expect(readHistory().map((r) => r.type)).toEqual(["fired", "result"]);
  });

  it("stop() with nothing running resolves at once and leaves no sleeper", async () => {
    const { clock, scheduler, of } = setup(
      "  - { name: idle, runbook: rb, cron: '0 3 * * 1' }\n",
      async (r) => result(r, "pass"),
    );
    scheduler.start();
    await settle();
    expect(clock.pending()).toEqual(["2026-11-30T03:00:00.000Z"]);
    await scheduler.stop();
    expect(clock.pending()).toEqual([]);
    expect(of("stopped")).toHaveLength(1);
  });

  it("writes fired, skipped and result lines to <home>/schedule/<name>.jsonl, appending across runs", async () => {
    const { runner, calls } = controlledRunner();
    const { clock, scheduler, history, readHistory } = setup(
      "  - { name: d, runbook: rb, cron: '*/5 * * * *' }\n",
      runner,
      { file: true },
    );
    expect(history.path).toMatch(/schedule[/\\]game-days\.jsonl$/);
    scheduler.start();
    await clock.advanceTo("2026-11-27T08:05:00.000Z");
    // The fired line is on disk before the drill starts.
    await vi.waitFor(() => expect(calls).toHaveLength(1));
    expect(readHistory().map((l) => l.type)).toEqual(["fired"]);
    await clock.advanceTo("2026-11-27T08:10:00.000Z");
    calls[0]!.finish(result(calls[0]!.request, "pass", { executionId: "rb-1", rtoMs: 5000, rpoMs: 200 }));
    await scheduler.stop();
    const lines = readHistory();
    expect(lines.map((l) => l.type)).toEqual(["fired", "skipped", "result"]);
    expect(lines[0]).toMatchObject({
      drill: "d",
      runbook: "rb",
      scheduledFor: "2026-11-27T08:05:00.000Z",
      via: "schedule",
    });
    expect(lines[1]).toMatchObject({ reason: "overlap", scheduledFor: "2026-11-27T08:10:00.000Z" });
    expect(lines[2]).toMatchObject({
      run: "d@2026-11-27T08:05:00.000Z",
      result: { executionId: "rb-1", rtoMs: 5000 },
    });

    // A second scheduler on the same history appends (--once here).
    const again = new Scheduler({
      schedule: scheduler.schedule,
      runner: async (r) => result(r, "fail"),
      clock,
      history,
    });
    expect((await again.runNow("d"))?.verdict).toBe("fail");
    await again.stop();
    const after = readHistory();
    expect(after.slice(0, 3)).toEqual(lines);
    expect(after.slice(3).map((l) => l.type)).toEqual(["fired", "result"]);
    expect(after[3]).toMatchObject({ via: "once" });
  });

  it("publishes each result with its drill; a failing publish is reported and does not stop the scheduler", async () => {
    const published: string[] = [];
    let first = true;
    const { clock, scheduler, of } = setup(
      "  - { name: p, runbook: rb, cron: '*/5 * * * *' }\n",
      async (r) => result(r, "pass"),
      {
        publish: async (r) => {
          if (first) {
            first = false;
            throw new Error("no credentials");
          }
          published.push(r.verdict);
        },
      },
    );
    scheduler.start();
    await clock.advanceTo("2026-11-27T08:10:00.000Z");
    await vi.waitFor(() => expect(published).toEqual(["pass"]));
    expect(of("error").map((e) => e.message)).toEqual(["publishing the result failed: no credentials"]);
    expect(of("finished")).toHaveLength(2);
    await scheduler.stop();
  });
});

describe("CloudWatch metrics of a drill result", () => {
  const drill = { name: "weekly", runbook: "failover-case-api", cron: "0 3 * * 1", scenario: "region-down" };
  const base: DrillResult = {
    runbook: "failover-case-api",
    scenario: "region-down",
    verdict: "pass",
    outcome: "completed",
    expectations: [],
    startedAt: "2026-11-30T03:00:00.000Z",
    endedAt: "2026-11-30T03:04:00.000Z",
  };

  it("DrillPassed 1, RTO and RPO in ms, dimensions Runbook, Drill, Scenario", () => {
    const data = drillMetrics({ ...base, rtoMs: 182_000, rpoMs: 900 }, drill);
    expect(data.map((d) => [d.MetricName, d.Value, d.Unit])).toEqual([
      ["DrillPassed", 1, "Count"],
      ["DrillRtoAchieved", 182_000, "Milliseconds"],
      ["DrillRpoObserved", 900, "Milliseconds"],
    ]);
    expect(data[0]!.Dimensions).toEqual([
      { Name: "Runbook", Value: "failover-case-api" },
      { Name: "Drill", Value: "weekly" },
      { Name: "Scenario", Value: "region-down" },
    ]);
    expect(data[0]!.Timestamp).toEqual(new Date("2026-11-30T03:04:00.000Z"));
  });

  it("a failed drill is DrillPassed 0; unmeasured RTO/RPO are not invented; no scenario is 'none'", () => {
    const data = drillMetrics(
      { ...base, verdict: "fail", scenario: undefined },
      { ...drill, scenario: undefined },
    );
    expect(data.map((d) => [d.MetricName, d.Value])).toEqual([["DrillPassed", 0]]);
    expect(data[0]!.Dimensions?.[2]).toEqual({ Name: "Scenario", Value: "none" });
  });

  it("the publisher sends PutMetricData to the configured region and namespace through the client factory", async () => {
    const sent: { service: string; region: string; input: unknown; command: string }[] = [];
    const factory = {
      client: async (service: string, region: string) => ({
        send: async (command: { input: unknown; constructor: { name: string } }) => {
          sent.push({ service, region, input: command.input, command: command.constructor.name });
          return {};
        },
      }),
    } as unknown as Parameters<typeof cloudWatchPublisher>[1];
    const publish = cloudWatchPublisher({ region: "eu-west-1", namespace: "Runbook/Drills" }, factory);
    await publish({ ...base, rtoMs: 60_000 }, drill);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({
      service: "cloudwatch",
      region: "eu-west-1",
      command: "PutMetricDataCommand",
    });
    const input = sent[0]!.input as { Namespace: string; MetricData: { MetricName: string }[] };
    expect(input.Namespace).toBe("Runbook/Drills");
    expect(input.MetricData.map((m) => m.MetricName)).toEqual(["DrillPassed", "DrillRtoAchieved"]);
  });
});
