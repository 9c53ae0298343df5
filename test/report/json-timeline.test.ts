import { readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { syntheticJournal } from "../../bench/synthetic-journal.js";
import { parseJournal } from "../../src/journal/journal.js";
import { buildTimeline } from "../../src/report/build-timeline.js";
import { renderTimelineJson } from "../../src/report/json-timeline.js";
import { FIXTURES, fixtureTimeline } from "./helpers.js";

describe("renderTimelineJson", () => {
  it("writes, element by element, exactly what JSON.stringify(timeline, null, 2) would", () => {
    const names = readdirSync(FIXTURES).map((f) => f.replace(/\.jsonl$/, ""));
    expect(names.length).toBeGreaterThanOrEqual(9);
    const timelines = names.map(fixtureTimeline);
    timelines.push(buildTimeline(parseJournal(syntheticJournal(2_000))));
    for (const t of timelines) {
      const text = renderTimelineJson(t);
      expect(text).toBe(`${JSON.stringify(t, null, 2)}\n`);
      expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(t)));
    }
  });
});
