import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { describe, expect, it } from "vitest";
import { resumeExecution } from "../../src/engine/engine.js";
import type { AnyJournalEvent } from "../../src/journal/events.js";
import { achievedRtoMs } from "../../src/journal/fold.js";
import { readJournal, verifyEvents } from "../../src/journal/journal.js";
import { journalPath } from "../../src/journal/paths.js";
import { header, setup } from "./fixtures.js";

/**
 * SIGKILL at every line of the journal. The journal is fsync'ed line by line, so a kill leaves
 * a prefix of a finished run's journal (a torn last line is tested in resume.test.ts). For each
 * prefix the world is put in the state that kill would have left: every effect journaled as
 * succeeded happened; an effect whose intent has no outcome may or may not have happened (if it
 * happened in the uninterrupted run at all), so both are tried. Resume must then finish the run
 * as the uninterrupted run finished, with every side effect done exactly once.
 */
const FAILOVER = `${header("every-crash-point", "objectives: { rto: 5m, rpo: 1m }")}
steps:
  - id: prechecks
    parallel:
      - { id: secondary-healthy, type: test.effect, with: { name: secondary-healthy } }
      - { id: lag-ok, type: test.effect, with: { name: lag-ok } }
  - { id: fence, type: test.effect, with: { name: fence }, milestone: writes_fenced }
  - { id: promote, type: test.effect, with: { name: promote }, approval: true, pointOfNoReturn: true, milestone: db_promoted }
  - { id: shift, type: test.effect, with: { name: shift }, milestone: traffic_shifted }
  - { id: validate, type: test.effect, with: { name: validate, failTimes: 1 }, retry: { attempts: 3, backoff: 10ms }, milestone: service_restored }
  - { id: publish, type: test.effect, with: { name: "publish-\${{ run.rtoMs }}" } }
`;

const ABORTED = `${header("every-crash-point-abort", "objectives: { rto: 5m, rpo: 1m }")}
abort:
  - { id: lag, probe: { type: test.flag-clear, with: { flag: lag } }, every: 20ms }
steps:
  - { id: fence, type: test.effect, with: { name: fence }, milestone: writes_fenced }
  - { id: trouble, type: test.set-flag, with: { flag: lag } }
  - { id: slow, type: test.effect, with: { name: slow, delayMs: 5000 } }
  - { id: shift, type: test.effect, with: { name: shift } }
onAbort:
  - { id: unfence, type: test.effect, with: { name: unfence } }
  - { id: page, type: test.effect, with: { name: page }, always: true }
`;

interface World {
  effects: string[];
  flags: string[];
}

/** What the world looked like when the engine was killed right after `prefix`. */
function worldAfter(prefix: AnyJournalEvent[], reference: World, inDoubtHappened: boolean): World {
  const done: string[] = [];
  const open = new Set<string>();
  for (const e of prefix) {
    if (!e.stepId) continue;
    if (e.type === "step.intent") open.add(e.stepId);
    if (e.type === "step.failed") open.delete(e.stepId);
    if (e.type === "step.succeeded") {
      open.delete(e.stepId);
      done.push(e.stepId);
    }
  }
  const happened = [...done, ...(inDoubtHappened ? open : [])];
  return {
    effects: happened.filter((id) => reference.effects.includes(id)),
    flags: happened.includes("trouble") ? ["lag"] : [],
  };
}

const milestonesOf = (events: AnyJournalEvent[]) =>
  events.filter((e) => e.type === "milestone").map((e) => (e.data as { name: string }).name);

async function crashPoints(book: string) {
  const original = setup(book);
  const first = await original.start();
  const lines = original.journalText(first.executionId).split("\n").filter(Boolean);
  const events = lines.map((l) => JSON.parse(l) as AnyJournalEvent);
  const reference: World = { effects: [...original.world.effects], flags: [...original.world.flags] };
  const cuts = lines.slice(0, -1).flatMap((_, i) => {
    const prefix = events.slice(0, i + 1);
    const inDoubt =
      worldAfter(prefix, reference, true).effects.length !==
      worldAfter(prefix, reference, false).effects.length;
    return (inDoubt ? [true, false] : [false]).map((happened) => ({ keep: i + 1, happened }));
  });

  /** Resume a copy of the journal cut after `keep` lines, in a fresh home, with the world as the kill left it. */
  const resumeAfter = async (keep: number, happened: boolean) => {
    const t = setup(book);
    const path = journalPath(t.home, first.executionId);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, `${lines.slice(0, keep).join("\n")}\n`);
    const before = worldAfter(events.slice(0, keep), reference, happened);
    t.world.effects.push(...before.effects);
    for (const flag of before.flags) t.world.flags.add(flag);
    for (const name of before.effects) t.world.attempts.set(name, 1);
    const out = await resumeExecution(first.executionId, {}, t.options);
    const journal = readJournal(path).events;
    return { out, effects: t.world.effects, journal };
  };
  return { first, reference, events, cuts, resumeAfter };
}

describe("resume after a kill at any line of a failover's journal", async () => {
  const { first, reference, events, cuts, resumeAfter } = await crashPoints(FAILOVER);

  it("the uninterrupted run is the reference", () => {
    expect(first.status).toBe("completed");
    expect(reference.effects).toHaveLength(7);
    expect(milestonesOf(events)).toEqual([
      "writes_fenced",
      "db_promoted",
      "traffic_shifted",
      "service_restored",
    ]);
    expect(cuts.length).toBeGreaterThan(events.length);
  });

  it.each(cuts)(
    "killed after line $keep (in-doubt effect happened: $happened)",
    async ({ keep, happened }) => {
      const { out, effects, journal } = await resumeAfter(keep, happened);
      expect(out.status).toBe("completed");
      const sideEffects = (names: string[]) => names.filter((n) => !n.startsWith("publish")).sort();
      expect(sideEffects(effects)).toEqual(sideEffects(reference.effects)); // each exactly once
      expect(verifyEvents(journal).ok).toBe(true);
      expect(new Set(milestonesOf(journal))).toEqual(new Set(milestonesOf(events)));
      const rto = achievedRtoMs(out.state);
      expect(rto).toBeGreaterThanOrEqual(0);
      expect(out.state.steps.get("publish")?.outputs).toEqual({ value: `publish-${rto}` });
    },
  );
});

describe("resume after a kill at any line of an aborted run's journal", async () => {
  const { first, reference, events, cuts, resumeAfter } = await crashPoints(ABORTED);

  it("the uninterrupted run is the reference", () => {
    expect(first.status).toBe("aborted");
    expect(reference.effects).toEqual(["fence", "unfence", "page"]);
    expect(events.some((e) => e.type === "abort.fired")).toBe(true);
  });

  it.each(cuts)(
    "killed after line $keep (in-doubt effect happened: $happened)",
    async ({ keep, happened }) => {
      const { out, effects, journal } = await resumeAfter(keep, happened);
      expect(out.status).toBe("aborted");
      expect([...effects].sort()).toEqual([...reference.effects].sort()); // each exactly once, no shift
      expect(verifyEvents(journal).ok).toBe(true);
      expect(journal.filter((e) => e.type === "execution.aborted")).toHaveLength(1);
    },
  );
});
