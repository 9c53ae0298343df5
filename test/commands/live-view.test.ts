import { describe, expect, it } from "vitest";
import { RunOutput } from "../../src/commands/live-view.js";
import { parseJournal } from "../../src/journal/journal.js";
import { fakeIO, fixtureText } from "../report/helpers.js";

const events = () => parseJournal(fixtureText("failed")).events;

describe("RunOutput off a terminal", () => {
  it("prints one readable line per event: clock, offset, step, what happened", () => {
    const f = fakeIO("/tmp");
    const out = new RunOutput(f.io, false);
    expect(out.live).toBe(false);
    for (const e of parseJournal(fixtureText("completed")).events) out.onEvent(e);
    const lines = f.stdout().trimEnd().split("\n");
    expect(lines[0]).toMatch(/^\d\d:\d\d:\d\d\.\d{3} {2}T\+\S+ +Execution started \(run, prod\)/);
    expect(lines.some((l) => / promote-db +! Attempt 1 failed \(retryable\): .*Rate exceeded/.test(l))).toBe(
      true,
    );
    expect(lines.at(-1)).toMatch(/Execution completed$/);
    expect(f.stdout()).not.toContain('"hash"');

    const failed = fakeIO("/tmp");
    const again = new RunOutput(failed.io, false);
    for (const e of events()) again.onEvent(e);
    expect(failed.stdout().trimEnd().split("\n").at(-1)).toMatch(/✖ Execution failed at precheck-replica/);
  });

  it("on resume, prints only what happens after the journal it was seeded with", () => {
    const all = events();
    const f = fakeIO("/tmp");
    const out = new RunOutput(f.io, false);
    out.seed(all.slice(0, -1));
    out.onEvent(all.at(-1)!);
    expect(f.stdout().trimEnd().split("\n")).toHaveLength(1);
    expect(f.stdout()).toContain("Execution failed");
  });

  it("with --json, one journal event per line, as written", () => {
    const f = fakeIO("/tmp");
    const out = new RunOutput(f.io, true);
    for (const e of events()) out.onEvent(e);
    const parsed = f
      .stdout()
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(parsed).toEqual(events());
  });
});
