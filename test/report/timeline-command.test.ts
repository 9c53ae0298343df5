import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { SYNTHETIC_EXECUTION_ID, syntheticJournal } from "../../bench/synthetic-journal.js";
import { emitReport, timelineCommand } from "../../src/commands/timeline.js";
import { ExitCode, JournalTamperedError, UsageError } from "../../src/errors.js";
import { parseJournal } from "../../src/journal/journal.js";
import { buildTimeline } from "../../src/report/build-timeline.js";
import { renderTimelineHtml } from "../../src/report/html-timeline.js";
import { renderTimelineJson } from "../../src/report/json-timeline.js";
import { renderTimelineMarkdown } from "../../src/report/markdown-timeline.js";
import { fakeIO, fixtureText, homeWith, tamper } from "./helpers.js";

const ID = "failover-case-api-20261127T031200Z-a1b2";
// One byte in line 12: promote-db's first failure now claims a different error.
const tampered = () => tamper(fixtureText("completed"), "Rate exceeded", "Rate exceedeD");

describe("a tampered journal", () => {
  it("is flagged at the top of Markdown, in the HTML and in the JSON", () => {
    const t = buildTimeline(parseJournal(tampered()));
    expect(t.integrity.verified).toBe(false);
    expect(t.integrity.problem).toMatchObject({ line: 12, seq: 12 });

    const md = renderTimelineMarkdown(t);
    const firstLines = md.split("\n").slice(0, 4).join("\n");
    expect(firstLines).toContain("> **WARNING: journal integrity check FAILED at line 12**");
    expect(md).toContain("Journal integrity: **FAILED** at line 12");

    const html = renderTimelineHtml(t);
    expect(html.indexOf('id="integrity-warning"')).toBeLessThan(html.indexOf("<h1>"));
    expect(html).toContain("WARNING: journal integrity check FAILED at line 12");

    const json = JSON.parse(renderTimelineJson(t));
    expect(json.integrity.verified).toBe(false);
    expect(json.warnings[0]).toMatch(/^journal integrity check FAILED at line 12/);
  });

  it("a line that is no longer JSON is named, not shown as an event", () => {
    const t = buildTimeline(parseJournal(tamper(fixtureText("completed"), '"seq":5,', '"seq":5;')));
    expect(t.integrity.problem).toMatchObject({ line: 5, seq: null });
    expect(t.entries.some((e) => Number.isNaN(e.seq))).toBe(false);
    expect(renderTimelineMarkdown(t)).toContain("FAILED at line 5** (not JSON)");
  });

  it("the command still renders the timeline and exits 6", async () => {
    const home = homeWith({ [ID]: tampered() });
    for (const format of ["md", "html", "json"] as const) {
      const f = fakeIO(home);
      expect(await timelineCommand(ID, { format }, f.io)).toBe(ExitCode.tampered);
      expect(f.stdout()).toContain("integrity check FAILED at line 12");
      expect(f.stderr()).toContain("WARNING: journal integrity check FAILED at line 12");
    }
  });
});

describe("timelineCommand", () => {
  it("writes Markdown to stdout and exits 0 for an intact journal", async () => {
    const f = fakeIO(homeWith({ [ID]: fixtureText("completed") }));
    expect(await timelineCommand(ID, {}, f.io)).toBe(ExitCode.completed);
    expect(f.stdout()).toMatch(/^# Failover timeline: failover-case-api \(prod\)/);
    expect(f.stdout()).toContain("| RTO | 5m00s | 3m34s | **PASS** |");
  });

  it("writes to -o relative to the working directory, in the zone asked for", async () => {
    const home = homeWith({ [ID]: fixtureText("completed") });
    const f = fakeIO(home);
    expect(await timelineCommand(ID, { format: "html", output: "out/t.html", tz: "Asia/Tokyo" }, f.io)).toBe(
      0,
    );
    const html = readFileSync(join(home, "out/t.html"), "utf8");
    expect(html).toContain("2026-11-27 12:10:00.000 Asia/Tokyo");
    expect(f.stdout()).toBe("");
    expect(f.stderr()).toContain("timeline written to");
  });

  it("accepts a unique prefix of an execution id", async () => {
    const f = fakeIO(homeWith({ [ID]: fixtureText("completed") }));
    expect(await timelineCommand("failover-case-api-20261127T031200Z-a1", { format: "json" }, f.io)).toBe(0);
    expect(JSON.parse(f.stdout()).header.executionId).toBe(ID);
  });

  it("an unknown id is a UsageError whose hint lists the executions and how to find them", async () => {
    const f = fakeIO(homeWith({ [ID]: fixtureText("completed"), "other-1": fixtureText("failed") }));
    const err = await timelineCommand("nope", {}, f.io).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).exitCode).toBe(ExitCode.invalid);
    expect((err as UsageError).hint).toContain(ID);
    expect((err as UsageError).hint).toContain("runbook history");
  });

  it("an empty journal is a usage error; a journal whose first line is garbage is tampering (exit 6)", async () => {
    const empty = fakeIO(homeWith({ "x-1": "" }));
    await expect(timelineCommand("x-1", {}, empty.io)).rejects.toBeInstanceOf(UsageError);
    const garbage = fakeIO(homeWith({ "x-2": tamper(fixtureText("completed"), '{"seq":1,', '{"seq":1;') }));
    const err = await timelineCommand("x-2", {}, garbage.io).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(JournalTamperedError);
    expect((err as JournalTamperedError).exitCode).toBe(ExitCode.tampered);
  });

  it("refuses path tricks, unknown formats and unknown zones", async () => {
    const f = fakeIO(homeWith({ [ID]: fixtureText("completed") }));
    await expect(timelineCommand("../executions", {}, f.io)).rejects.toBeInstanceOf(UsageError);
    await expect(timelineCommand(ID, { format: "pdf" as "md" }, f.io)).rejects.toThrow(/unknown format/);
    await expect(timelineCommand(ID, { tz: "Mars/Olympus" }, f.io)).rejects.toThrow(/unknown time zone/);
  });

  it("checks a journal too big to hash on this thread in a worker, and still names a changed line", async () => {
    // 13,000 events is about 4.3 MiB: past the size where hashing moves to a worker.
    const text = syntheticJournal(13_000);
    const lines = text.split("\n");
    const intact = fakeIO(homeWith({ [SYNTHETIC_EXECUTION_ID]: text }));
    expect(await timelineCommand(SYNTHETIC_EXECUTION_ID, {}, intact.io)).toBe(ExitCode.completed);
    expect(intact.stdout()).toContain("hash chain **verified** over 13000 events");

    lines[9_000] = lines[9_000]!.replace('"attempt":1', '"attempt":2');
    const f = fakeIO(homeWith({ [SYNTHETIC_EXECUTION_ID]: lines.join("\n") }));
    expect(await timelineCommand(SYNTHETIC_EXECUTION_ID, {}, f.io)).toBe(ExitCode.tampered);
    expect(f.stderr()).toContain("integrity check FAILED at line 9001");
  });
});

describe("emitReport", () => {
  it("leaves no file, and no partial one, when rendering fails half way", () => {
    const home = homeWith({});
    const f = fakeIO(home);
    const failing = (sink: { line(text: string): void; flush(): void }) => {
      for (let i = 0; i < 10_000; i++) sink.line(`row ${i} ${"x".repeat(40)}`);
      sink.flush();
      throw new Error("renderer bug");
    };
    expect(() => emitReport(failing, "out/t.md", f.io, "timeline")).toThrow("renderer bug");
    expect(readdirSync(join(home, "out"))).toEqual([]);
    emitReport((sink) => sink.line("whole"), "out/t.md", f.io, "timeline");
    expect(readFileSync(join(home, "out/t.md"), "utf8")).toBe("whole\n");
    expect(readdirSync(join(home, "out"))).toEqual(["t.md"]);
  });
});
