import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { JournalWriter, readJournal } from "../../src/journal/journal.js";
import {
  cursorFromJournal,
  type ImportCursor,
  importHistory,
  type JournalDraft,
} from "../../src/stepfunctions/history-import.js";
import { appendDrafts, EXECUTION_ARN, writeJournal } from "./history-fixtures.js";
import { SCENARIOS, type Scenario } from "./history-scenarios.js";

/**
 * A follower imports as the history grows, stops (Ctrl-C, a lost laptop, a crash mid-batch),
 * and is started again, maybe on another machine: whatever the cut, the journal it ends with
 * is byte for byte the one an uninterrupted import writes.
 */

const imp = (s: Scenario, events: Scenario["events"], cursor: ImportCursor) =>
  importHistory({ manifest: s.manifest, runbook: s.runbook, executionArn: EXECUTION_ARN, events, cursor });

/** Continue a journal on disk as a restarted follower does: rebuild the cursor, read the whole history. */
function resume(s: Scenario, path: string): string {
  const { writer, events } = JournalWriter.reopen(path);
  const { drafts } = imp(s, s.events, cursorFromJournal(events));
  appendDrafts(writer, drafts);
  writer.close();
  return readFileSync(path, "utf8");
}

const names = Object.keys(SCENARIOS) as (keyof typeof SCENARIOS)[];

describe("history import: stopping and going on", () => {
  for (const name of names) {
    const s = SCENARIOS[name]();
    const all = imp(s, s.events, cursorFromJournal([])).drafts;
    const whole = writeJournal(s.runbook, all, s.inputs).text;

    it(`${name}: two batches with the cursor carried (as JSON) write the same journal`, () => {
      fc.assert(
        fc.property(fc.integer({ min: 0, max: s.events.length }), (cut) => {
          const first = imp(s, s.events.slice(0, cut), cursorFromJournal([]));
          const carried = JSON.parse(JSON.stringify(first.cursor)) as ImportCursor;
          // The follower asks for the events after the cursor; overlap is harmless.
          const second = imp(s, s.events.slice(Math.max(0, cut - 3)), carried);
          const drafts: JournalDraft[] = [...first.drafts, ...second.drafts];
          expect(writeJournal(s.runbook, drafts, s.inputs).text).toBe(whole);
        }),
        { numRuns: 25 },
      );
    });

    it(`${name}: a cursor rebuilt from the first batch's journal goes on without a gap or a repeat`, () => {
      fc.assert(
        fc.property(fc.integer({ min: 0, max: s.events.length }), (cut) => {
          const first = imp(s, s.events.slice(0, cut), cursorFromJournal([]));
          const j = writeJournal(s.runbook, first.drafts, s.inputs);
          expect(resume(s, j.path)).toBe(whole);
        }),
        { numRuns: 25 },
      );
    });

    it(`${name}: a crash after any line of a batch is made good by the next follower`, () => {
      fc.assert(
        fc.property(fc.integer({ min: 0, max: all.length }), (written) => {
          const j = writeJournal(s.runbook, all.slice(0, written), s.inputs);
          expect(resume(s, j.path)).toBe(whole);
        }),
        { numRuns: 25 },
      );
    });
  }

  it("a follower that already wrote everything writes nothing more", () => {
    const s = SCENARIOS.gates();
    const all = imp(s, s.events, cursorFromJournal([])).drafts;
    const j = writeJournal(s.runbook, all, s.inputs);
    expect(imp(s, s.events, cursorFromJournal(j.events)).drafts).toEqual([]);
  });
});

describe("history import: refusals", () => {
  it("refuses a history with a hole in it: none may be skipped", () => {
    const s = SCENARIOS.retries();
    const first = imp(s, s.events.slice(0, 10), cursorFromJournal([]));
    expect(() => imp(s, s.events.slice(12), first.cursor)).toThrow(/event 11 is missing before event 13/);
    expect(() => imp(s, s.events.slice(3), cursorFromJournal([]))).toThrow(/from its first event/);
  });

  it("refuses to continue a journal imported from another execution", () => {
    const s = SCENARIOS.retries();
    const first = imp(s, s.events.slice(0, 10), cursorFromJournal([]));
    expect(() =>
      importHistory({
        manifest: s.manifest,
        runbook: s.runbook,
        executionArn: `${EXECUTION_ARN}-other`,
        events: s.events,
        cursor: first.cursor,
      }),
    ).toThrow(/imported from .*exec-1, not from/);
  });

  it("refuses a journal the history does not account for", () => {
    const s = SCENARIOS.retries();
    const other = SCENARIOS.parallel();
    const all = imp(other, other.events, cursorFromJournal([])).drafts;
    const j = writeJournal(other.runbook, all, other.inputs);
    expect(() => imp(s, s.events, cursorFromJournal(readJournal(j.path).events))).toThrow(
      /not written from this execution's history/,
    );
  });

  it("names the event it cannot attribute to a Task state", () => {
    const s = SCENARIOS.parallel();
    // Two branches open, and a Task result that points at neither of them.
    const events = s.events.map((e) =>
      e.type === "TaskSucceeded" && e.id === 19 ? { ...e, previousEventId: 2 } : e,
    );
    expect(events.find((e) => e.id === 19)?.type).toBe("TaskSucceeded");
    expect(() => imp(s, events, cursorFromJournal([]))).toThrow(/history event 19 \(TaskSucceeded\)/);
  });
});
