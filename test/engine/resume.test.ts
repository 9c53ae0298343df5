import { readFileSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { resumeExecution } from "../../src/engine/engine.js";
import { achievedRtoMs } from "../../src/journal/fold.js";
import { journalPath } from "../../src/journal/paths.js";
import { header, setup } from "./fixtures.js";

/**
 * A crash is modelled exactly: a finished run's journal cut right after a step's intent is
 * what SIGKILL leaves behind at that moment (the journal is fsync'ed line by line).
 */
function cutAfterIntent(home: string, id: string, stepId: string, keepTornBytes = 0): void {
  const path = journalPath(home, id);
  const lines = readFileSync(path, "utf8").split("\n");
  const at = lines.findIndex((l) => l.includes('"type":"step.intent"') && l.includes(`"stepId":"${stepId}"`));
  const next = lines[at + 1] ?? "";
  writeFileSync(path, `${lines.slice(0, at + 1).join("\n")}\n${next.slice(0, keepTornBytes)}`);
}

const book = (check: boolean) => `${header("crash")}
steps:
  - { id: fence, type: test.effect, with: { name: fence } }
  - { id: promote, type: ${check ? "test.effect" : "exec"}, with: ${check ? "{ name: promote }" : '{ command: "true" }'} }
  - { id: shift, type: test.effect, with: { name: shift } }
`;

describe("resume", () => {
  it("does not repeat an interrupted step whose effect check finds in place", async () => {
    const t = setup(book(true));
    const first = await t.start();
    cutAfterIntent(t.home, first.executionId, "promote");
    t.world.effects.splice(0, t.world.effects.length, "fence", "promote"); // promote happened before the crash
    const out = await resumeExecution(first.executionId, {}, t.options);
    expect(out.status).toBe("completed");
    expect(t.world.effects).toEqual(["fence", "promote", "shift"]);
    expect(t.world.attempts.get("promote")).toBe(1);
    expect(out.state.steps.get("promote")).toMatchObject({ status: "succeeded", alreadyInPlace: true });
  });

  it("runs an interrupted step again when its check shows the effect did not happen", async () => {
    const t = setup(book(true));
    const first = await t.start();
    cutAfterIntent(t.home, first.executionId, "promote");
    t.world.effects.splice(0, t.world.effects.length, "fence"); // the crash came before the effect
    const out = await resumeExecution(first.executionId, {}, t.options);
    expect(out.status).toBe("completed");
    expect(t.world.effects).toEqual(["fence", "promote", "shift"]);
    const checked = t.ofType("step.checked").find((e) => e.stepId === "promote")!;
    expect(checked.data).toMatchObject({ inPlace: false });
  });

  it("stops for a human when an interrupted step has no check, then honours --assume-done", async () => {
    const t = setup(book(false));
    const first = await t.start();
    cutAfterIntent(t.home, first.executionId, "promote");
    t.world.effects.splice(0, t.world.effects.length, "fence");
    const paused = await resumeExecution(first.executionId, {}, t.options);
    expect(paused.status).toBe("paused");
    expect(paused.state.pausedAt).toMatchObject({ stepId: "promote", reason: "in-doubt" });
    expect(t.world.effects).toEqual(["fence"]);

    const out = await resumeExecution(first.executionId, { assumeDone: ["promote"] }, t.options);
    expect(out.status).toBe("completed");
    expect(out.state.steps.get("promote")).toMatchObject({ assumedBy: "alice" });
    expect(t.world.effects).toEqual(["fence", "shift"]);
  });

  it("cuts a torn last line, journals the repair, and the chain still verifies", async () => {
    const { readJournal, verifyEvents } = await import("../../src/journal/journal.js");
    const t = setup(book(true));
    const first = await t.start();
    cutAfterIntent(t.home, first.executionId, "promote", 40);
    const out = await resumeExecution(first.executionId, {}, t.options);
    expect(out.status).toBe("completed");
    const { events, tornTailBytes } = readJournal(journalPath(t.home, first.executionId));
    expect(tornTailBytes).toBe(0);
    expect(events.some((e) => e.type === "journal.repaired" && e.data.droppedBytes === 40)).toBe(true);
    expect(verifyEvents(events).ok).toBe(true);
  });

  it("journals the milestone of a step killed between its success and its milestone, dated at the success", async () => {
    const t = setup(`${header("milestone-gap", "objectives: { rto: 5m, rpo: 1m }")}
steps:
  - { id: promote, type: test.effect, with: { name: promote } }
  - { id: validate, type: test.effect, with: { name: validate }, milestone: service_restored }
  - { id: publish, type: test.effect, with: { name: publish, output: "rto \${{ run.rtoMs }}" } }
`);
    const first = await t.start();
    const path = journalPath(t.home, first.executionId);
    const lines = readFileSync(path, "utf8").split("\n");
    const succeeded = lines.findIndex((l) => l.includes('"type":"step.succeeded","stepId":"validate"'));
    expect(lines[succeeded + 1]).toContain('"type":"milestone"');
    writeFileSync(path, `${lines.slice(0, succeeded + 1).join("\n")}\n`);
    t.world.effects.splice(0, t.world.effects.length, "promote", "validate");

    const out = await resumeExecution(first.executionId, {}, t.options);
    expect(out.status).toBe("completed");
    expect(t.world.attempts.get("validate")).toBe(1);
    const succeededAt = JSON.parse(lines[succeeded]!).ts as string;
    expect(out.state.milestones.service_restored).toBe(succeededAt);
    const rto = achievedRtoMs(out.state);
    expect(rto).toBeGreaterThanOrEqual(0);
    expect(out.state.steps.get("publish")?.outputs).toEqual({ value: `rto ${rto}` });
    const milestones = t
      .ofType("milestone")
      .filter((e) => JSON.stringify(e.data).includes("service_restored"));
    expect(milestones.map((e) => e.stepId)).toEqual(["validate", "validate"]); // first run's, then resume's
  });

  it("keeps recorded approvals: a resumed gate does not ask again", async () => {
    const t = setup(`${header("gate-resume")}
steps:
  - { id: promote, type: test.effect, with: { name: promote }, approval: true }
  - { id: shift, type: test.effect, with: { name: shift } }
`);
    const first = await t.start();
    cutAfterIntent(t.home, first.executionId, "shift");
    const out = await resumeExecution(first.executionId, {}, { ...t.options, autoApprove: false });
    expect(out.status).toBe("completed");
    expect(t.ofType("gate.requested")).toHaveLength(1);
  });
});
