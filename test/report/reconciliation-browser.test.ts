import { mkdirSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readJournal } from "../../src/journal/journal.js";
import { buildTimeline } from "../../src/report/build-timeline.js";
import { renderTimelineHtml } from "../../src/report/html-timeline.js";
import { launchChromium } from "./chromium.js";
import { reconciledHome, SCRIPT_KEY } from "./reconciled-journal.js";

const ARTIFACTS = resolve("test-artifacts");

let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium();
  mkdirSync(ARTIFACTS, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
});

describe("a reconciled timeline in headless Chromium", () => {
  it("shows both RPO cards and the lost writes as text: a key holding markup runs nothing", async () => {
    const path = resolve(ARTIFACTS, "timeline-reconciled.html");
    writeFileSync(path, renderTimelineHtml(buildTimeline(readJournal(reconciledHome().path))));
    const page = await browser.newPage({ viewport: { width: 1240, height: 1000 } });
    const problems: string[] = [];
    page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
    page.on("dialog", (d) => {
      problems.push(`dialog: ${d.message()}`);
      void d.dismiss();
    });
    await page.goto(pathToFileURL(path).href, { waitUntil: "load" });
    expect(await page.locator("script").count()).toBe(0);
    expect(await page.locator("#rpo-bound .v").textContent()).toBe("8.6s");
    expect(await page.locator(".card:has-text('RPO reconciled') .v").textContent()).toBe("2.43s");
    expect(await page.locator("#lost-writes > tbody > tr").count()).toBe(50);
    expect(await page.locator("#lost-writes > tbody > tr:first-child > td:nth-child(2)").textContent()).toBe(
      SCRIPT_KEY,
    );
    expect(await page.locator("#lost-writes-more").textContent()).toContain("and 70 more");
    await page.screenshot({ path: resolve(ARTIFACTS, "timeline-reconciled.png"), fullPage: true });
    expect(problems).toEqual([]);
    await page.close();
  });
});
