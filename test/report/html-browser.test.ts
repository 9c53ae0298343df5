import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseJournal } from "../../src/journal/journal.js";
import { buildTimeline } from "../../src/report/build-timeline.js";
import { chronologyRows } from "../../src/report/chronology-rows.js";
import { renderHistoryHtml } from "../../src/report/history-html.js";
import { buildHistory } from "../../src/report/history-model.js";
import { renderTimelineHtml } from "../../src/report/html-timeline.js";
import { chartedSteps } from "../../src/report/labels.js";
import { launchChromium } from "./chromium.js";
import { fixtureText, fixtureTimeline, tamper } from "./helpers.js";
import { drillSeries } from "./history-series.js";

const ARTIFACTS = resolve("test-artifacts");

let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium();
  mkdirSync(ARTIFACTS, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
});

/** Opens a report offline: any request beyond the file itself fails the test. */
async function open(file: string, html: string) {
  const path = resolve(ARTIFACTS, file);
  writeFileSync(path, html);
  const page = await browser.newPage({ viewport: { width: 1240, height: 1000 } });
  const problems: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error" || m.type() === "warning") problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("request", (r) => {
    if (r.url() !== pathToFileURL(path).href) problems.push(`network request: ${r.url()}`);
  });
  await page.goto(pathToFileURL(path).href, { waitUntil: "load" });
  return { page, problems };
}

describe("HTML timeline in headless Chromium", () => {
  it("runs the Chromium that npm ci installed (@sparticuz/chromium), not one from the system", async () => {
    const pkg = JSON.parse(
      readFileSync(resolve("node_modules/@sparticuz/chromium/package.json"), "utf8"),
    ) as { version: string };
    expect(browser.version().split(".")[0]).toBe(pkg.version.split(".")[0]);
  });

  it.each(["completed", "aborted", "resumed", "in-progress"])(
    "%s: no console errors, one bar per step, a screenshot",
    async (name) => {
      const t = fixtureTimeline(name);
      const { page, problems } = await open(`timeline-${name}.html`, renderTimelineHtml(t));
      const bars = page.locator("svg.step-chart rect.bar");
      expect(await bars.count()).toBe(chartedSteps(t.steps).length);
      expect(await bars.evaluateAll((els) => els.map((e) => e.getAttribute("data-step")))).toEqual(
        chartedSteps(t.steps).map((s) => s.id),
      );
      for (const box of await bars.evaluateAll((els) =>
        els.map((e) => (e as unknown as { getBBox(): { width: number } }).getBBox().width),
      )) {
        expect(box).toBeGreaterThan(0);
      }
      expect(await page.locator("svg.step-chart .marker.rto").count()).toBe(1);
      expect(await page.locator("svg.step-chart .marker.milestone").count()).toBe(t.milestones.length);
      expect(await page.locator("#outcome").textContent()).toBe(t.header.outcome.toUpperCase());
      expect(await page.locator("#chronology > tbody > tr").count()).toBe(chronologyRows(t.entries).length);
      await page.screenshot({ path: resolve(ARTIFACTS, `timeline-${name}.png`), fullPage: true });
      expect(problems).toEqual([]);
      await page.close();
    },
  );

  it("a tampered journal shows the alert above everything else", async () => {
    const t = buildTimeline(parseJournal(tamper(fixtureText("completed"), "Rate exceeded", "Rate exceedeD")));
    const { page, problems } = await open("timeline-tampered.html", renderTimelineHtml(t));
    const alert = page.locator("#integrity-warning");
    expect(await alert.isVisible()).toBe(true);
    expect(await alert.textContent()).toContain("integrity check FAILED at line 12");
    const alertTop = (await alert.boundingBox())?.y ?? Number.POSITIVE_INFINITY;
    const titleTop = (await page.locator("h1").boundingBox())?.y ?? 0;
    expect(alertTop).toBeLessThan(titleTop);
    await page.screenshot({ path: resolve(ARTIFACTS, "timeline-tampered.png") });
    expect(problems).toEqual([]);
    await page.close();
  });

  it("history: a trend point per measured run, regressions in red", async () => {
    const h = buildHistory(drillSeries().map((text) => buildTimeline(parseJournal(text))));
    const { page, problems } = await open("history.html", renderHistoryHtml(h));
    const runs = h.runbooks[0]?.runs ?? [];
    expect(await page.locator("svg.trend-chart.rto circle.point").count()).toBe(
      runs.filter((r) => r.rto.actualMs !== undefined).length,
    );
    expect(await page.locator("svg.trend-chart.rto circle.point.regression").count()).toBe(
      runs.filter((r) => r.regressions.some((g) => g.kind.startsWith("rto"))).length,
    );
    expect(await page.locator("svg.trend-chart.rpo circle.point").count()).toBe(
      runs.filter((r) => r.rpo.actualMs !== undefined).length,
    );
    expect(await page.locator("svg.trend-chart.rpo circle.point.regression").count()).toBe(1);
    await page.screenshot({ path: resolve(ARTIFACTS, "history.png"), fullPage: true });
    expect(problems).toEqual([]);
    await page.close();
  });
});
