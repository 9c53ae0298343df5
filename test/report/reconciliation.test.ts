import { describe, expect, it } from "vitest";
import { parseJournal, readJournal } from "../../src/journal/journal.js";
import { buildTimeline } from "../../src/report/build-timeline.js";
import { renderHistoryHtml } from "../../src/report/history-html.js";
import { renderHistoryMarkdown, trendChart } from "../../src/report/history-markdown.js";
import { buildHistory } from "../../src/report/history-model.js";
import { renderTimelineHtml } from "../../src/report/html-timeline.js";
import { renderTimelineJson } from "../../src/report/json-timeline.js";
import { renderTimelineMarkdown } from "../../src/report/markdown-timeline.js";
import { mdCode } from "../../src/report/md-cell.js";
import { renderGantt } from "../../src/report/mermaid-gantt.js";
import { renderStepChartSvg } from "../../src/report/step-chart-svg.js";
import { timeDisplay } from "../../src/report/time-format.js";
import { MAX_LOST_WRITES_SHOWN } from "../../src/report/timeline-model.js";
import { timelineSchema } from "../../src/report/timeline-schema.js";
import {
  appendReconciliation,
  ENDED_AT,
  LOST_WRITES,
  RECONCILED_AT,
  RECONCILED_ID,
  reconciledHome,
  reconciledRpo,
  SCRIPT_KEY,
  ungracefulFailover,
} from "./reconciled-journal.js";

const reconciled = () => buildTimeline(readJournal(reconciledHome().path));
const unreconciled = () => buildTimeline(parseJournal(ungracefulFailover()));

describe("a reconciled RPO in the timeline", () => {
  it("without a reconciliation the RPO is the measured one and nothing is added", () => {
    const t = unreconciled();
    expect(t.summary.rpo).toEqual({
      objectiveMs: 5000,
      actualMs: 8600,
      verdict: "fail",
      note: "measured (rpo_observed_ms)",
    });
    expect(t.reconciliation).toBeUndefined();
    expect(renderTimelineMarkdown(t)).not.toContain("reconciled");
  });

  it("the summary's RPO is the reconciled one, judged against the objective, with the measured bound beside it", () => {
    const t = reconciled();
    expect(t.summary.rpo).toEqual({
      objectiveMs: 5000,
      actualMs: 2430,
      boundMs: 8600,
      verdict: "pass",
      reconciledAt: RECONCILED_AT,
      note: `reconciled from the old primary's data at ${RECONCILED_AT}: 120 lost writes, 2 conflicts`,
    });
    // The bound alone failed the objective; the exact figure passes, and so does the whole.
    expect(unreconciled().summary.verdict).toBe("fail");
    expect(t.summary.verdict).toBe("pass");
  });

  it("the bound comes from rpo_observed_ms in seconds too, and the latest reconciliation wins", () => {
    const journal = ungracefulFailover({ rpo: { value: 8.6, unit: "s" } });
    const { path } = reconciledHome(reconciledRpo({ boundMs: undefined, rpoMs: 9000 }), journal);
    appendReconciliation(path, "2026-11-27T04:00:00.000Z", reconciledRpo({ boundMs: undefined }));
    const t = buildTimeline(readJournal(path));
    expect(t.integrity.verified).toBe(true);
    expect(t.summary.rpo).toMatchObject({
      actualMs: 2430,
      boundMs: 8600,
      reconciledAt: "2026-11-27T04:00:00.000Z",
    });
    expect(t.reconciliation?.boundMs).toBe(8600);
    expect(t.entries.filter((e) => e.eventType === "rpo.reconciled").map((e) => e.text.slice(0, 30))).toEqual(
      ["RPO reconciled: 9.00s exact (b", "RPO reconciled: 2.43s exact (b"],
    );
  });

  it("the chronology says it, dated from incident_declared, by whoever ran it", () => {
    const t = reconciled();
    const e = t.entries.at(-1);
    expect(e).toMatchObject({
      eventType: "rpo.reconciled",
      kind: "measure",
      severity: "warn",
      actor: "alice",
      at: RECONCILED_AT,
      // 03:10:00 declared → 03:23:34.5 reconciled.
      offsetMs: 814_500,
      text: "RPO reconciled: 2.43s exact (bound measured during the failover 8.6s), 120 lost writes, 2 conflicts, 118 to replay",
    });
    expect(t.reconciliation).toMatchObject({ at: RECONCILED_AT, offsetMs: 814_500, operator: "alice" });
  });

  it("a reconciliation ten minutes after the end stretches no chart, axis or elapsed time", () => {
    const t = reconciled();
    const before = unreconciled();
    expect(t.header.lastEventAt).toBe(ENDED_AT);
    expect(t.header.endedAt).toBe(ENDED_AT);
    expect(t.summary.elapsedMs).toBe(before.summary.elapsedMs);
    const time = timeDisplay(undefined);
    expect(renderStepChartSvg(t, time)).toBe(renderStepChartSvg(before, time));
    expect(renderGantt(t, time)).toBe(renderGantt(before, time));
    // The axis ends at the RTO objective (T+5m, past the end at T+3m34.5s), not at the reconciliation (T+13m34.5s).
    const ticks = [...renderStepChartSvg(t, time).matchAll(/class="tick" [^>]*>T\+([^<]+)</g)].map(
      (m) => m[1],
    );
    expect(ticks.at(-1)).toBe("5m00s");
  });

  it("an unfinished execution reconciled later keeps its own last event", () => {
    const { path } = reconciledHome(reconciledRpo(), ungracefulFailover({ completed: false }));
    const t = buildTimeline(readJournal(path));
    expect(t.header.outcome).toBe("in progress");
    expect(t.header.lastEventAt).toBe("2026-11-27T03:13:34.000Z");
    expect(t.summary.elapsedMs).toBe(214_000);
    const svg = renderStepChartSvg(t, timeDisplay(undefined));
    expect(svg).toContain(">last event<");
    expect(svg).toContain("at 2026-11-27 03:13:34.000 UTC");
  });

  it("the JSON keeps the first 50 lost writes, says how many there were, and validates", () => {
    const t = reconciled();
    const json = JSON.parse(renderTimelineJson(t));
    const result = timelineSchema.safeParse(json);
    expect(result.success ? [] : result.error.issues).toEqual([]);
    expect(json.schemaVersion).toBe(1);
    expect(json.reconciliation).toMatchObject({
      rpoMs: 2430,
      boundMs: 8600,
      lostWritesTotal: LOST_WRITES,
      lostWritesShown: MAX_LOST_WRITES_SHOWN,
      conflicts: 2,
      replayCount: 118,
      oldPrimary: "postgres://app:***@10.0.1.5:5432/cases",
    });
    expect(json.reconciliation.lostWrites).toHaveLength(MAX_LOST_WRITES_SHOWN);
    expect(json.reconciliation.lostWrites[0].key).toBe(SCRIPT_KEY);
    expect(json.reconciliation.lostWrites[2].conflict).toEqual({ rewrittenAt: "2026-11-27T03:13:39.000Z" });
    expect(
      timelineSchema.safeParse({ ...json, reconciliation: { ...json.reconciliation, extra: 1 } }).success,
    ).toBe(false);
  });
});

describe("Markdown and HTML show the bound and the reconciled RPO side by side", () => {
  it("Markdown: a reconciled RPO row, a bound row, and the data-lost section capped at 50", () => {
    const md = renderTimelineMarkdown(reconciled());
    const lines = md.split("\n");
    const rpo = lines.findIndex((l) => l.startsWith("| RPO (reconciled) |"));
    expect(lines[rpo]).toMatch(
      /^\| RPO \(reconciled\) \| 5\.0s \| 2\.43s \| \*\*PASS\*\* \| 2\.6s to spare; reconciled from/,
    );
    expect(lines[rpo + 1]).toMatch(
      /^\| RPO bound \(measured during the failover\) \| 5\.0s \| 8\.6s \| — \| upper bound/,
    );
    expect(md).toContain("## Data lost (reconciled)");
    expect(md).toContain("| Old primary | `postgres://app:***@10.0.1.5:5432/cases` |");
    expect(md).toContain("| Last commit on the old primary | 2026-11-27T03:12:39.430Z |");
    expect(md).toContain("| Last of its commits replicated | 2026-11-27T03:12:37.000Z |");
    expect(md).toContain("| `cases` | `id` | 400 | 100 | 2 |");
    expect(md).toContain("### Lost writes (first 50 of 120, oldest first)");
    const start = lines.indexOf("| Table | Key | Committed at (UTC) | Conflict: rewritten at |");
    const end = lines.indexOf("", start);
    expect(end - start - 2).toBe(50);
    expect(lines[start + 2]).toBe(`| \`cases\` | \`${SCRIPT_KEY}\` | 2026-11-27T03:12:37.000Z | no |`);
    expect(lines[start + 3]).toBe("| `cases` | ``a\\|b`c`` | 2026-11-27T03:12:37.020Z | no |");
    expect(lines[start + 4]).toContain("| yes: 2026-11-27T03:13:39.000Z |");
    expect(md).toContain(`_… and 70 more (runbook reconcile ${RECONCILED_ID} --format json lists all)._`);
  });

  it("Markdown: a short list is complete and says so", () => {
    const { path } = reconciledHome(
      reconciledRpo({ lostWrites: [], lostWritesTotal: 0, conflicts: 0, replayCount: 0 }),
    );
    const md = renderTimelineMarkdown(buildTimeline(readJournal(path)));
    expect(md).toContain("No application write was lost.");
    expect(md).not.toContain("more (runbook reconcile");
  });

  it("HTML: two RPO cards and the data-lost section, user data escaped", () => {
    const html = renderTimelineHtml(reconciled());
    expect(html).toMatch(/id="rpo-bound"><div class="k">RPO bound .*<div class="v">8\.6s<\/div>/);
    expect(html).toMatch(
      /<div class="card pass"><div class="k">RPO reconciled <span class="badge pass">PASS<\/span><\/div><div class="v">2\.43s<\/div>/,
    );
    expect(html).toContain('<h2 id="data-lost">Data lost (reconciled)</h2>');
    expect(html).not.toContain("<script>");
    expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    const table = html.slice(
      html.indexOf('<table id="lost-writes">'),
      html.indexOf("</table>", html.indexOf('<table id="lost-writes">')),
    );
    expect(table.match(/<tr/g)).toHaveLength(51);
    expect(html).toContain(`and 70 more (runbook reconcile ${RECONCILED_ID} --format json lists all)`);
  });

  it("mdCode fences any backticks and escapes pipes", () => {
    expect(mdCode("plain")).toBe("`plain`");
    expect(mdCode("a`b")).toBe("``a`b``");
    expect(mdCode("`x")).toBe("`` `x ``");
    expect(mdCode("a|b")).toBe("`a\\|b`");
  });
});

describe("history uses the reconciled RPO", () => {
  const h = buildHistory([reconciled()]);
  const run = h.runbooks[0]?.runs[0];

  it("the run's RPO is the reconciled value, marked as such, and no RPO regression is called", () => {
    expect(run?.rpo).toMatchObject({
      actualMs: 2430,
      boundMs: 8600,
      reconciledAt: RECONCILED_AT,
      verdict: "pass",
    });
    expect(run?.regressions).toEqual([]);
    expect(buildHistory([unreconciled()]).runbooks[0]?.runs[0]?.regressions.map((r) => r.kind)).toEqual([
      "rpo-over-objective",
    ]);
  });

  it("Markdown and HTML tables mark it reconciled; the trend chart plots the same value", () => {
    const md = renderHistoryMarkdown(h);
    expect(md).toContain("| 2.43s reconciled (bound 8.6s) | 5.0s | PASS |");
    expect(md).toContain("_RPO “reconciled”");
    const rb = h.runbooks[0];
    if (!rb) throw new Error("no runbook");
    const chart = trendChart(rb, "rpo") ?? "";
    expect(chart).toContain("RPO (reconciled where known)");
    expect(chart).toContain("bar [2.4]");
    const html = renderHistoryHtml(h);
    expect(html).toContain('<td class="num reconciled">2.43s reconciled (bound 8.6s)</td>');
    expect(html).toMatch(
      /<circle class="point reconciled"[^>]*><title>[^<]*RPO 2\.43s reconciled \(bound 8\.6s\)/,
    );
  });
});
