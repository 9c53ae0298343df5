import { describe, expect, it } from "vitest";
import { historyCommand } from "../../src/commands/history.js";
import { ExitCode, UsageError } from "../../src/errors.js";
import { parseJournal } from "../../src/journal/journal.js";
import { buildTimeline } from "../../src/report/build-timeline.js";
import { buildHistory, median } from "../../src/report/history-model.js";
import { JournalBuilder, start } from "../fixtures/journal-builder.js";
import { fakeIO, fixtureText, homeWith, tamper } from "./helpers.js";
import { drillSeries, seriesId } from "./history-series.js";

function seriesHome(extra: Record<string, string> = {}): string {
  const journals: Record<string, string> = {};
  drillSeries().forEach((text, i) => {
    journals[seriesId(i)] = text;
  });
  return homeWith({ ...journals, ...extra });
}

describe("history model", () => {
  const h = buildHistory(drillSeries().map((text) => buildTimeline(parseJournal(text))));
  const rb = h.runbooks[0];

  it("lists every execution oldest first with RTO/RPO against the objectives", () => {
    expect(h.runbooks).toHaveLength(1);
    expect(rb?.runs.map((r) => r.executionId)).toEqual(drillSeries().map((_, i) => seriesId(i)));
    expect(rb?.stats).toMatchObject({ executions: 9, drills: 7, completed: 8 });
    expect(rb?.runs[0]?.rto).toMatchObject({ actualMs: 122_000, objectiveMs: 300_000, verdict: "pass" });
  });

  it("calls out a run 20% worse than the median of the last five, even within the objective", () => {
    const run = rb?.runs[5];
    expect(run?.baselineRtoMs).toBe(122_000);
    expect(run?.regressions.map((r) => r.kind)).toEqual(["rto-over-baseline"]);
    expect(run?.regressions[0]?.message).toContain("43% worse than the median 2m02s");
  });

  it("calls out an RTO over the objective and an RPO over the objective", () => {
    expect(rb?.runs[8]?.regressions.map((r) => r.kind)).toEqual(["rto-over-objective", "rto-over-baseline"]);
    expect(rb?.runs[7]?.regressions.map((r) => r.kind)).toEqual(["rpo-over-objective"]);
    // Within 20% of its baseline and within the objectives: no regression.
    expect(rb?.runs[4]?.regressions).toEqual([]);
    // Too few previous runs for a baseline.
    expect(rb?.runs[2]?.baselineRtoMs).toBeUndefined();
  });

  it("a tampered run is shown but never part of a baseline", () => {
    const rtos = [100_000, 100_000, 200_000, 1_000_000, 150_000];
    const timelines = drillSeries()
      .slice(0, 5)
      .map((text, i) => {
        const t = buildTimeline(parseJournal(text));
        t.summary.rto = { ...t.summary.rto, actualMs: rtos[i] };
        if (i === 3) t.integrity = { ...t.integrity, verified: false };
        return t;
      });
    const runs = buildHistory(timelines).runbooks[0]?.runs ?? [];
    expect(runs[3]?.integrityVerified).toBe(false);
    // Baseline of the last run: median(100, 100, 200) s, not median(100, 100, 200, 1000) s.
    expect(runs[4]?.baselineRtoMs).toBe(100_000);
    expect(runs[4]?.regressions.map((r) => r.kind)).toEqual(["rto-over-baseline"]);
  });

  it("median of odd and even counts", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeUndefined();
  });
});

describe("historyCommand", () => {
  it("Markdown: table, xychart-beta trend, regressions called out", async () => {
    const f = fakeIO(seriesHome());
    expect(await historyCommand("failover-case-api", {}, f.io)).toBe(ExitCode.completed);
    const md = f.stdout();
    expect(md).toContain("> **Regressions (4)**");
    const header = md
      .split("\n")
      .find((l) => l.startsWith("| Started"))!
      .split("|")
      .map((c) => c.trim());
    expect(new Set(header).size).toBe(header.length - 1); // every column named once (the two ends are empty)
    expect(md).toContain(`\`${seriesId(5)}\`: RTO 2m55s is 43% worse than the median 2m02s`);
    expect(md).toContain(`\`${seriesId(8)}\`: RTO 5m40s exceeded the objective 5m00s`);
    const rpoChart = md.slice(md.lastIndexOf("```mermaid"), md.lastIndexOf("```"));
    expect(rpoChart).toContain("RPO observed vs objective (s)");
    expect(rpoChart).toContain("bar [0.8, 0.7, 0.9, 0.7, 0.8, 0.8, 0.6, 7.2, 1.1]");
    expect(rpoChart).toContain("line [5, 5, 5, 5, 5, 5, 5, 5, 5]");
    const chart = md.slice(md.indexOf("```mermaid"), md.indexOf("```", md.indexOf("```mermaid") + 3));
    expect(chart).toContain("xychart-beta");
    expect(chart).toMatch(/x-axis \["10-02 drill", .*"11-27 run"\]/);
    expect(chart).toContain("bar [122, 118, 130, 125, 121, 175, 128, 340]");
    expect(chart).toContain("line [300, 300, 300, 300, 300, 300, 300, 300]");
  });

  it("JSON and HTML carry the same regressions", async () => {
    const home = seriesHome();
    const j = fakeIO(home);
    expect(await historyCommand(undefined, { format: "json" }, j.io)).toBe(0);
    const json = JSON.parse(j.stdout());
    expect(json.schemaVersion).toBe(1);
    expect(json.runbooks[0].regressions).toHaveLength(4);
    const h = fakeIO(home);
    expect(await historyCommand(undefined, { format: "html" }, h.io)).toBe(0);
    expect(h.stdout()).toContain('<svg class="trend-chart rto"');
    expect(h.stdout()).toContain('<svg class="trend-chart rpo"');
    expect(h.stdout().match(/class="point regression/g)).toHaveLength(3);
  });

  it("groups several runbooks and keeps a tampered journal out of the baseline, exit 6", async () => {
    const b = new JournalBuilder("2026-11-01T10:00:00.000Z");
    start(b, {
      executionId: "billing-1",
      runbook: "failover-billing",
      environment: "prod",
      mode: "run",
      operator: "frank",
      declaredAt: b.iso(0),
      rtoMs: 600_000,
    });
    b.at(90).append("milestone", { name: "service_restored", at: b.iso(90) });
    b.at(91).append("execution.completed", {});
    const other = b.text();
    const home = seriesHome({
      "billing-1": other,
      "tampered-1": tamper(fixtureText("resumed"), "dave-x1", "dave-x2"),
    });
    const f = fakeIO(home);
    expect(await historyCommand(undefined, { format: "json" }, f.io)).toBe(ExitCode.tampered);
    const json = JSON.parse(f.stdout());
    expect(json.runbooks.map((r: { runbook: string }) => r.runbook)).toEqual([
      "failover-billing",
      "failover-case-api",
    ]);
    expect(json.tampered).toEqual(["failover-case-api-20261127T031200Z-a7b8"]);
    expect(json.unreadable).toEqual([]);
    const billing = json.runbooks[0].runs[0];
    expect(billing.rto).toMatchObject({ actualMs: 90_000, verdict: "pass" });
    const caseApi = json.runbooks[1].runs;
    expect(caseApi.find((r: { integrityVerified: boolean }) => !r.integrityVerified)?.executionId).toBe(
      "failover-case-api-20261127T031200Z-a7b8",
    );
  });

  it("a journal that is not an execution is listed as unreadable, not fatal", async () => {
    const f = fakeIO(seriesHome({ "empty-1": "" }));
    expect(await historyCommand(undefined, { format: "json" }, f.io)).toBe(0);
    const json = JSON.parse(f.stdout());
    expect(json.unreadable).toEqual([
      { executionId: "empty-1", reason: "the journal has no readable execution.started event" },
    ]);
    expect(json.runbooks[0].runs).toHaveLength(9);
    const md = fakeIO(seriesHome({ "empty-1": "" }));
    await historyCommand(undefined, {}, md.io);
    expect(md.stdout()).toContain("## Unreadable journals");
  });

  it("an unknown runbook is a UsageError naming the runbooks that have executions", async () => {
    const f = fakeIO(seriesHome());
    const err = await historyCommand("nope", {}, f.io).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).hint).toContain("failover-case-api");
  });

  it("no executions at all: says so, exit 0", async () => {
    const f = fakeIO(homeWith({}));
    expect(await historyCommand(undefined, {}, f.io)).toBe(0);
    expect(f.stdout()).toContain("No executions found.");
  });
});
