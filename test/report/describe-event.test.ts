import { describe, expect, it } from "vitest";
import type { AnyJournalEvent } from "../../src/journal/events.js";
import { EventDescriber } from "../../src/report/describe-event.js";

const milestone = (ts: string, at: string) =>
  ({
    seq: 9,
    ts,
    type: "milestone",
    stepId: "validate",
    data: { name: "service_restored", at },
    prev: "",
    hash: "",
  }) as AnyJournalEvent;

describe("EventDescriber", () => {
  const describer = () => new EventDescriber(new Map(), Date.parse("2026-11-27T03:10:00.000Z"));

  it("a milestone journaled as it happened reads plainly", () => {
    const entry = describer().describe(milestone("2026-11-27T03:13:34.003Z", "2026-11-27T03:13:34.000Z"));
    expect(entry?.text).toBe("Milestone service_restored reached");
  });

  it("a milestone journaled by a resume says when it was reached", () => {
    const entry = describer().describe(milestone("2026-11-27T03:20:00.000Z", "2026-11-27T03:13:34.000Z"));
    expect(entry?.text).toBe(
      "Milestone service_restored reached at 2026-11-27T03:13:34.000Z (journaled on resume)",
    );
    expect(entry?.at).toBe("2026-11-27T03:20:00.000Z");
  });
});
