import type { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import {
  fitToWidth,
  RunOutput,
  rowsOf,
  STILL_RUNNING_AFTER_MS,
  wrapToWidth,
} from "../../src/commands/live-view.js";
import { renderStatus } from "../../src/commands/status-view.js";
import type { AnyJournalEvent } from "../../src/journal/events.js";
import { foldEvents } from "../../src/journal/fold.js";
import { parseJournal } from "../../src/journal/journal.js";
import { fakeIO, fixtureText } from "../report/helpers.js";
import { VtScreen } from "./vt-screen.js";

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

  it("says which step is still running after 30 s of silence, then every 30 s, and never in --json", () => {
    const f = fakeIO("/tmp");
    const out = new RunOutput(f.io, false);
    for (const e of parseJournal(fixtureText("in-progress")).events) out.onEvent(e);
    const printed = () => f.stdout().trimEnd().split("\n").length;
    const before = printed();
    const t0 = Date.now();
    out.remind(new Date(t0 + STILL_RUNNING_AFTER_MS - 1_000));
    expect(printed()).toBe(before);
    out.remind(new Date(t0 + STILL_RUNNING_AFTER_MS + 1_000));
    const reminder = f.stdout().trimEnd().split("\n").slice(before);
    expect(reminder).toHaveLength(1);
    expect(reminder[0]).toMatch(
      /^\d\d:\d\d:\d\d\.\d{3} {2}T\+\S+ +promote-db +… still running, \S+ since it started$/,
    );
    out.remind(new Date(t0 + STILL_RUNNING_AFTER_MS + 2_000));
    expect(printed()).toBe(before + 1);
    out.remind(new Date(t0 + 2 * STILL_RUNNING_AFTER_MS + 2_000));
    expect(printed()).toBe(before + 2);
    out.stop();

    const waiting = fakeIO("/tmp");
    const paused = new RunOutput(waiting.io, false);
    for (const e of parseJournal(fixtureText("paused")).events) paused.onEvent(e);
    paused.remind(new Date(Date.now() + STILL_RUNNING_AFTER_MS + 1_000));
    expect(waiting.stdout()).toMatch(
      /approve-failover +… still waiting for approval, \S+ since it was asked: runbook approve \S+ --step approve-failover\n$/,
    );
    paused.stop();

    const machine = fakeIO("/tmp");
    const json = new RunOutput(machine.io, true);
    for (const e of parseJournal(fixtureText("in-progress")).events) json.onEvent(e);
    const lines = machine.stdout();
    json.remind(new Date(Date.now() + 10 * STILL_RUNNING_AFTER_MS));
    expect(machine.stdout()).toBe(lines);
  });

  it("shows what a running step waits for, until the step's next event", () => {
    const f = fakeIO("/tmp");
    const out = new RunOutput(f.io, false);
    const all = parseJournal(fixtureText("in-progress")).events;
    for (const e of all) out.onEvent(e);
    out.onProgress("promote-db", "waiting for case-us-west-2 to be the writer: global cluster failing-over");
    out.remind(new Date(Date.now() + STILL_RUNNING_AFTER_MS + 1_000));
    expect(f.stdout().trimEnd().split("\n").at(-1)).toMatch(
      /promote-db +… still running, \S+ since it started: waiting for case-us-west-2 to be the writer: global cluster failing-over$/,
    );
    const frame = (progress: ReadonlyMap<string, string>) =>
      renderStatus(foldEvents(all)!, new Date(), { color: false, live: "running", progress });
    const running = frame(new Map([["promote-db", "global cluster failing-over"]]));
    expect(running.find((l) => l.includes("promote-db"))).toMatch(/global cluster failing-over$/);
    // The attempt fails and will be retried: what it waited for is stale now.
    const last = all.at(-1)!;
    const failed = {
      attempt: 1,
      error: { message: "throttled", class: "retryable" },
      durationMs: 9,
      willRetry: true,
    };
    out.onEvent({
      ...last,
      seq: last.seq + 1,
      type: "step.failed",
      stepId: "promote-db",
      data: failed,
    } as AnyJournalEvent);
    out.remind(new Date(Date.now() + 3 * STILL_RUNNING_AFTER_MS));
    expect(f.stdout().trimEnd().split("\n").at(-1)).toMatch(
      /promote-db +… still running, \S+ since it started$/,
    );
    out.stop();
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

describe("RunOutput on a terminal", () => {
  it("cuts every line of the live frame to the terminal's width, so redrawing never leaves rows behind", () => {
    const f = fakeIO("/tmp");
    Object.assign(f.io.stdout, { columns: 40 });
    const out = new RunOutput({ ...f.io, isTTY: true, color: true }, false);
    expect(out.live).toBe(true);
    for (const e of parseJournal(fixtureText("in-progress")).events) out.onEvent(e);
    out.onProgress("promote-db", "waiting for case-us-west-2 to be the writer: global cluster failing-over");
    out.stop();
    const visible = f
      .stdout()
      .replace(/\x1b\[[0-9;]*[A-Za-z]|\r/g, "")
      .split("\n");
    expect(visible.length).toBeGreaterThan(10);
    for (const line of visible) expect(line.length).toBeLessThanOrEqual(39);
    expect(visible.some((l) => l.endsWith("…"))).toBe(true);
  });

  /** A terminal `columns` wide as readline sees it: stdout a TTY, stdin the operator's keys. */
  function terminal(columns: number) {
    const f = fakeIO("/tmp");
    Object.assign(f.io.stdout, { columns, rows: 40, isTTY: true });
    const out = new RunOutput({ ...f.io, isTTY: true, color: true }, false);
    for (const e of parseJournal(fixtureText("paused")).events) out.onEvent(e);
    const gate = {
      stepId: "approve-failover",
      prompt: "Promote case-us-west-2 now? Writes not yet replicated to it are lost for good.",
      have: ["bob"],
      needed: 2,
    };
    const screen = () => {
      const s = new VtScreen(columns, 40);
      s.write(f.stdout().replace(/\n/g, "\r\n")); // as the tty's line discipline does (ONLCR)
      expect(s.unsupported).toEqual([]);
      return s.all();
    };
    return { out, gate, stdin: f.io.stdin as PassThrough, screen };
  }

  /** One frame: each step once, the header at the top, nothing of the prompt left. */
  function expectOneFrame(lines: string[]): void {
    const shown = lines.join("\n");
    expect(lines[0], shown).toMatch(/^failover-case-api · staging · drill/);
    expect(
      lines.filter((l) => l.startsWith("failover-case-api ·")),
      shown,
    ).toHaveLength(1);
    for (const id of ["precheck-replica", "approve-failover"])
      expect(
        lines.filter((l) => new RegExp(`^\\S ${id} `).test(l)),
        shown,
      ).toHaveLength(1);
    expect(shown).not.toMatch(/Approve\?|Gate /);
  }

  it("draws the frame after a gate's prompt over the old frame and the prompt, the answer wrapped or not", async () => {
    for (const [columns, answer] of [
      [40, "yes"],
      [40, `y${" ".repeat(24)}`], // `Approve? [y/N] ` and this end exactly at the edge
      [40, `yes${" ".repeat(70)}`],
      [120, "y"],
    ] as const) {
      const t = terminal(columns);
      const asked = t.out.prompt(t.gate, new AbortController().signal);
      t.stdin.write(`${answer}\r`);
      expect(await asked).toBe("approve");
      t.out.stop();
      expectOneFrame(t.screen());
    }
  });

  it("draws the frame over a prompt cancelled mid-answer (the gate approved from another shell)", async () => {
    const t = terminal(40);
    const cancel = new AbortController();
    const asked = t.out.prompt(t.gate, cancel.signal);
    t.stdin.write("yes, once the lag is below 1s"); // wraps: 15 + 29 columns
    await new Promise((r) => setImmediate(r));
    cancel.abort();
    await expect(asked).rejects.toThrow(/abort/i);
    t.out.stop();
    expectOneFrame(t.screen());
  });

  it("draws the frame over a prompt whose Enter came in one read with more keys (a second Enter, keys typed ahead)", async () => {
    // Under load a terminal's keys pile up and come in one read. Readline used to handle the keys
    // after the answer's Enter before the prompt was over: it echoed them and a second Enter wrote
    // another CR LF, rows left out of the count, so the next frame began one row below the old one.
    for (const keys of ["y\r\r", "y\r\r\r", `y\r${"x".repeat(50)}`, `y${" ".repeat(24)}\ryes\r`]) {
      const t = terminal(40);
      const asked = t.out.prompt(t.gate, new AbortController().signal);
      t.stdin.write(keys);
      expect(await asked, JSON.stringify(keys)).toBe("approve");
      t.out.stop();
      expectOneFrame(t.screen());
    }
  });

  it("draws the frame over a prompt left with Ctrl+C, what was typed wrapped or not", async () => {
    for (const typed of ["ye", "yes, once the lag is below 1s", `y${" ".repeat(24)}`]) {
      const t = terminal(40);
      const asked = t.out.prompt(t.gate, new AbortController().signal);
      t.stdin.write(`${typed}\x03`);
      await expect(asked).rejects.toThrow(/Ctrl\+C|closed without an answer/);
      t.out.stop();
      expectOneFrame(t.screen());
    }
  });

  it("wrapToWidth breaks at spaces and newlines; rowsOf counts the rows a line ended by CR LF takes", () => {
    expect(wrapToWidth("Gate promote: Promote the database in B?", 16)).toEqual([
      "Gate promote:",
      "Promote the",
      "database in B?",
    ]);
    expect(wrapToWidth("a\nverylongword", 4)).toEqual(["a", "very", "long", "word"]);
    expect(rowsOf("x".repeat(39), 40)).toBe(1);
    expect(rowsOf("x".repeat(40), 40)).toBe(2);
    expect(rowsOf("x".repeat(81), 40)).toBe(3);
    expect(rowsOf("anything", undefined)).toBe(1);
  });

  it("fitToWidth counts what shows, not colour codes", () => {
    expect(fitToWidth("short", 10)).toBe("short");
    expect(fitToWidth("exactly ten", 11)).toBe("exactly ten");
    expect(fitToWidth("a longer line", 8)).toBe("a longe…");
    expect(fitToWidth("\x1b[32m✔\x1b[0m promote-db running", 12)).toBe("\x1b[32m✔\x1b[0m promote-d…\x1b[0m");
  });
});
