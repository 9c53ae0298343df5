import { describe, expect, it } from "vitest";
import { parseJournal } from "../../src/journal/journal.js";
import { buildTimeline } from "../../src/report/build-timeline.js";
import { renderTimelineMarkdown } from "../../src/report/markdown-timeline.js";
import { MAX_GANTT_TASKS, renderGantt, sanitizeGanttText } from "../../src/report/mermaid-gantt.js";
import { timeDisplay } from "../../src/report/time-format.js";
import { JournalBuilder, okStep, start } from "../fixtures/journal-builder.js";
import { fixtureTimeline } from "./helpers.js";

describe("timeline model", () => {
  it("measures RTO from incident declared to service restored, and RPO from the measurement", () => {
    const t = fixtureTimeline("completed");
    expect(t.header.outcome).toBe("completed");
    expect(t.header.declaredAt).toBe("2026-11-27T03:10:00.000Z");
    expect(t.summary.rto).toMatchObject({ objectiveMs: 300_000, actualMs: 214_000, verdict: "pass" });
    expect(t.summary.rpo).toMatchObject({ objectiveMs: 5000, actualMs: 850, verdict: "pass" });
    expect(t.summary.verdict).toBe("pass");
    expect(t.summary.retries).toBe(2);
    expect(t.milestones.map((m) => m.name)).toEqual([
      "incident_declared",
      "writes_fenced",
      "db_promoted",
      "traffic_shifted",
      "service_restored",
    ]);
  });

  it("spans a parallel block over its children and counts attempts", () => {
    const t = fixtureTimeline("completed");
    const byId = new Map(t.steps.map((s) => [s.id, s]));
    const block = byId.get("promote-and-scale");
    expect(block?.parallel).toBe(true);
    expect(block?.startedAt).toBe("2026-11-27T03:12:44.100Z");
    expect(block?.endedAt).toBe(byId.get("promote-db")?.endedAt);
    expect(byId.get("promote-db")).toMatchObject({
      attempts: 2,
      parent: "promote-and-scale",
      status: "succeeded",
    });
    // The gate's span runs from the request to the approval: the wait is part of the RTO.
    expect(byId.get("approve-failover")?.durationMs).toBe(38_500);
    expect(byId.get("approve-failover")?.approvals[0]).toMatchObject({ by: "alice", via: "tty" });
  });

  it("an abort: RTO unknown, onAbort step run, the other skipped past the point of no return", () => {
    const t = fixtureTimeline("aborted");
    expect(t.header.outcome).toBe("aborted");
    expect(t.header.outcomeDetail).toContain("error-rate-alarm");
    expect(t.summary.rto.verdict).toBe("unknown");
    const unfence = t.steps.find((s) => s.id === "unfence-writes");
    expect(unfence).toMatchObject({ status: "skipped", phase: "onAbort" });
    expect(t.entries.some((e) => e.kind === "skip" && e.text.includes("past the point of no return"))).toBe(
      true,
    );
    expect(t.entries.find((e) => e.kind === "abort")?.severity).toBe("error");
    expect(t.steps.find((s) => s.id === "restore-routing")?.status).toBe("succeeded");
  });

  it("a declined gate names who declined and why", () => {
    const t = fixtureTimeline("declined-gate");
    expect(t.header).toMatchObject({ mode: "drill", outcome: "aborted" });
    const gate = t.steps.find((s) => s.id === "approve-failover");
    expect(gate?.status).toBe("declined");
    expect(gate?.declined).toMatchObject({ by: "bob", reason: "replica lag 45s is above the RPO objective" });
    expect(t.entries.find((e) => e.eventType === "gate.declined")?.actor).toBe("bob");
  });

  it("a resumed execution shows the takeover, the repair and the step found already in place", () => {
    const t = fixtureTimeline("resumed");
    // Nothing ran from the last event before the crash (03:12:05.100) to dave's resume.
    expect(t.resumes).toEqual([
      {
        at: "2026-11-27T03:18:11.000Z",
        operator: "dave",
        host: "dave-x1",
        after: "crash",
        idleSince: "2026-11-27T03:12:05.100Z",
        idleMs: 365_900,
      },
    ]);
    expect(t.lockTakeovers).toBe(1);
    expect(t.steps.find((s) => s.id === "promote-db")?.alreadyInPlace).toBe(true);
    const kinds = t.entries.map((e) => e.kind);
    expect(kinds).toContain("repair");
    expect(kinds).toContain("lock");
    expect(t.entries.some((e) => e.text.includes("issued again after resume"))).toBe(true);
    expect(t.summary.rto).toMatchObject({ actualMs: 523_000, verdict: "fail" });
  });

  it("unfinished executions: in progress with a torn tail, paused at a gate", () => {
    const running = fixtureTimeline("in-progress");
    expect(running.header.outcome).toBe("in progress");
    expect(running.header.endedAt).toBeUndefined();
    expect(running.steps.find((s) => s.id === "promote-db")?.status).toBe("running");
    expect(running.integrity).toMatchObject({ verified: true, tornTailBytes: 70 });
    expect(running.warnings[0]).toContain("70 bytes of an unfinished write");
    expect(running.summary.rto.note).toContain("not restored yet");

    const paused = fixtureTimeline("paused");
    expect(paused.header.outcome).toBe("paused");
    expect(paused.steps.find((s) => s.id === "approve-failover")?.status).toBe("awaiting approval");
  });

  it("a failed execution carries the step and the error class", () => {
    const t = fixtureTimeline("failed");
    expect(t.header.outcome).toBe("failed");
    expect(t.header.outcomeDetail).toContain("precheck-replica");
    expect(t.steps[0]).toMatchObject({ status: "failed", error: { class: "fatal" } });
    expect(t.summary.stepsFailed).toBe(1);
  });
});

describe("display time zone", () => {
  it("keeps UTC in the model and shows local wall-clock time when asked", () => {
    const t = fixtureTimeline("completed");
    const md = renderTimelineMarkdown(t, { tz: "America/New_York" });
    expect(md).toContain("Incident declared | 2026-11-26T22:10:00.000-05:00 America/New_York |");
    expect(md).toContain("| incident_declared | 2026-11-26T22:10:00.000-05:00 | T+0ms |");
    expect(md).toContain("| Time (America/New_York) |");
    expect(t.header.declaredAt).toBe("2026-11-27T03:10:00.000Z");
    const berlin = timeDisplay("Europe/Berlin");
    expect(berlin.wall("2026-07-01T12:00:00.000Z")).toBe("2026-07-01 14:00:00.000");
    // ISO 8601 with the offset in force at that instant, which names the same instant again.
    for (const [utc, local] of [
      ["2026-07-01T12:00:00.000Z", "2026-07-01T14:00:00.000+02:00"],
      ["2026-01-15T23:30:00.250Z", "2026-01-16T00:30:00.250+01:00"],
    ] as const) {
      expect(berlin.iso(utc)).toBe(local);
      expect(Date.parse(berlin.iso(utc))).toBe(Date.parse(utc));
    }
    expect(timeDisplay("Asia/Kolkata").iso("2026-11-27T03:10:00.000Z")).toBe("2026-11-27T08:40:00.000+05:30");
    expect(timeDisplay(undefined).full("2026-11-27T03:10:00.000Z")).toBe("2026-11-27T03:10:00.000Z");
  });
});

describe("mermaid gantt", () => {
  it("declares dateFormat and axisFormat, one task per started step, milestones, valid task lines", () => {
    const t = fixtureTimeline("completed");
    const g = renderGantt(t, timeDisplay(undefined));
    const lines = g.split("\n");
    expect(lines[0]).toBe("gantt");
    expect(g).toContain("    dateFormat YYYY-MM-DD HH:mm:ss.SSS");
    expect(g).toMatch(/^ {4}axisFormat %H:%M:%S$/m);
    const tasks = lines.filter((l) => /^ {4}[^:]+ :/.test(l) && !l.includes("milestone"));
    expect(tasks).toHaveLength(7);
    for (const l of lines.slice(1)) {
      expect(l).toMatch(
        /^ {4}(title [^#;:\n]+|dateFormat .+|axisFormat .+|section [^#;:\n]+|[^#;:\n]+ :((done|crit|active|milestone), )*[sm]\d+, \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}, \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3})$/,
      );
    }
  });

  it("sanitizes names that would break the chart", () => {
    expect(sanitizeGanttText("db: promote #1; now")).toBe("db promote 1 now");
    expect(sanitizeGanttText("section a")).toBe("step section a");
    expect(sanitizeGanttText("excludes weekends")).toBe("step excludes weekends");
    expect(sanitizeGanttText(":::")).toBe("step");
  });

  it("caps the number of tasks on huge executions and says so", () => {
    const b = new JournalBuilder("2026-11-27T00:00:00.000Z");
    const steps = Array.from({ length: MAX_GANTT_TASKS + 5 }, (_, i) => ({
      id: `s${i}`,
      type: "exec",
      phase: "main" as const,
      description: `step ${i}`,
    }));
    start(b, {
      executionId: "big",
      environment: "dev",
      mode: "drill",
      operator: "x",
      declaredAt: b.iso(0),
      steps,
    });
    for (const [i, s] of steps.entries()) okStep(b, s.id, "exec", i, i + 0.5);
    const t = buildTimeline(parseJournal(b.text()));
    const g = renderGantt(t, timeDisplay(undefined));
    expect(g).toContain("%% 5 more steps not drawn");
    expect(g.split("\n").filter((l) => / :done, s\d+,/.test(l))).toHaveLength(MAX_GANTT_TASKS);
  });
});

describe("retry storms in the printed chronology", () => {
  function storm(failures: number): string {
    const b = new JournalBuilder("2026-11-27T00:00:00.000Z");
    const steps = [{ id: "probe", type: "http.probe", phase: "main" as const, description: "probe" }];
    start(b, {
      executionId: "storm",
      environment: "dev",
      mode: "drill",
      operator: "x",
      declaredAt: b.iso(0),
      steps,
    });
    for (let a = 1; a <= failures; a++) {
      b.at(a).append("step.intent", { attempt: a, type: "http.probe", params: {} }, "probe");
      b.at(a + 0.5).append(
        "step.failed",
        { attempt: a, error: { message: `503 #${a}`, class: "retryable" }, durationMs: 500, willRetry: true },
        "probe",
      );
    }
    b.at(failures + 1).append(
      "step.intent",
      { attempt: failures + 1, type: "http.probe", params: {} },
      "probe",
    );
    b.at(failures + 1.2).append(
      "step.succeeded",
      { attempt: failures + 1, outputs: {}, durationMs: 200 },
      "probe",
    );
    b.at(failures + 1.3).append("execution.completed", {});
    return b.text();
  }

  it("folds a long run of retries into one line, keeps every entry in the model", () => {
    const t = buildTimeline(parseJournal(storm(40)));
    expect(t.entries.filter((e) => e.stepId === "probe")).toHaveLength(82);
    const md = renderTimelineMarkdown(t);
    expect(md).toContain("| probe | Attempt 1 failed (retryable): 503 #1 |");
    expect(md).toContain(
      "_… 39 more failed attempts, each retried (79 events, until 00:00:41.000); last: Attempt 40 failed (retryable): 503 #40_",
    );
    expect(md).not.toContain("503 #2 |");
    expect(md).toContain("| probe | Succeeded in 200ms on attempt 41 |");
  });

  it("prints short runs in full", () => {
    const md = renderTimelineMarkdown(buildTimeline(parseJournal(storm(2))));
    expect(md).toContain("Attempt 2 failed (retryable): 503 #2");
    expect(md).not.toContain("more failed attempts");
  });
});
