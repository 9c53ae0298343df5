import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseJournal, verifyEvents } from "../../src/journal/journal.js";
import { renderTimelineJson } from "../../src/report/json-timeline.js";
import { renderTimelineMarkdown } from "../../src/report/markdown-timeline.js";
import { SCENARIOS } from "../fixtures/journal-scenarios.js";
import { FIXTURES, fixtureText, fixtureTimeline, GOLDEN } from "./helpers.js";

/**
 * Golden files: the Markdown and JSON timelines of each recorded journal. A change in
 * output fails here; accept it deliberately with `UPDATE_GOLDEN=1 npx vitest run test/report`
 * and review the diff. Missing golden files fail too: they are never written silently.
 * They end in `.snap` so the formatter (biome.json ignores `*.snap`) leaves them byte-exact.
 */
const update = process.env.UPDATE_GOLDEN === "1";

function golden(file: string, actual: string): void {
  const url = new URL(file, GOLDEN);
  if (update) writeFileSync(url, actual);
  if (!existsSync(url))
    throw new Error(`golden file ${file} is missing: run with UPDATE_GOLDEN=1 to create it`);
  expect(actual).toBe(readFileSync(url, "utf8"));
}

/** Journals recorded from real engine runs (the failover-toy runbook), not generated. */
const ENGINE_RECORDED = readdirSync(FIXTURES)
  .filter((f) => f.endsWith(".jsonl"))
  .map((f) => f.replace(/\.jsonl$/, ""))
  .filter((name) => !(name in SCENARIOS));

describe.each(ENGINE_RECORDED)("journal recorded from the engine: %s", (name) => {
  it("has an intact hash chain", () => {
    expect(verifyEvents(parseJournal(fixtureText(name)).events).ok).toBe(true);
  });

  it("renders the golden Markdown and JSON", () => {
    golden(`${name}.md.snap`, renderTimelineMarkdown(fixtureTimeline(name)));
    golden(`${name}.json.snap`, renderTimelineJson(fixtureTimeline(name)));
  });
});

it("the engine-recorded journals are there", () => {
  expect(ENGINE_RECORDED).toEqual(["engine-toy-completed", "engine-toy-declined-after-pauses"]);
});

describe.each(Object.keys(SCENARIOS))("recorded journal %s", (name) => {
  it("is what the scenario generator writes, with an intact hash chain", () => {
    const text = fixtureText(name);
    expect(text).toBe(SCENARIOS[name]?.());
    const read = parseJournal(text);
    expect(verifyEvents(read.events).ok).toBe(true);
  });

  it("renders the golden Markdown", () => {
    golden(`${name}.md.snap`, renderTimelineMarkdown(fixtureTimeline(name)));
  });

  it("renders the golden JSON", () => {
    golden(`${name}.json.snap`, renderTimelineJson(fixtureTimeline(name)));
  });
});
