import { describe, expect, it } from "vitest";
import { parseJournal } from "../../src/journal/journal.js";
import { buildTimeline } from "../../src/report/build-timeline.js";
import { chartedSteps } from "../../src/report/labels.js";
import { renderStepChartSvg } from "../../src/report/step-chart-svg.js";
import { timeDisplay } from "../../src/report/time-format.js";
import { JournalBuilder, okStep, start } from "../fixtures/journal-builder.js";
import { fixtureTimeline } from "./helpers.js";

const utc = timeDisplay(undefined);

describe("step chart SVG", () => {
  it("draws the RTO objective as a line when it is near the end of the execution", () => {
    const svg = renderStepChartSvg(fixtureTimeline("completed"), utc);
    expect(svg).toMatch(/<g class="marker rto">\n<line /);
    expect(svg.match(/<rect class="bar /g)).toHaveLength(
      chartedSteps(fixtureTimeline("completed").steps).length,
    );
    expect(svg.match(/class="retry-mark"/g)).toHaveLength(2);
  });

  it("points at an RTO objective far beyond a short execution instead of squashing the steps", () => {
    const b = new JournalBuilder("2026-11-27T00:00:00.000Z");
    const steps = [
      { id: "promote", type: "exec", phase: "main" as const, gate: true, description: "promote" },
      { id: "undo", type: "exec", phase: "onAbort" as const, description: "undo" },
    ];
    start(b, {
      executionId: "short",
      environment: "sandbox",
      mode: "drill",
      operator: "x",
      declaredAt: b.iso(0),
      rtoMs: 120_000,
      steps,
    });
    b.at(0.1).append("gate.requested", { prompt: "go?", minApprovals: 1 }, "promote");
    b.at(1).append("gate.approved", { by: "ic", via: "tty" }, "promote");
    okStep(b, "promote", "exec", 1.1, 3);
    b.at(3.1).append("step.skipped", { reason: "condition", detail: "nothing to undo" }, "undo");
    b.at(4).append("milestone", { name: "service_restored", at: b.iso(4) });
    b.at(5).append("execution.completed", {});
    const svg = renderStepChartSvg(buildTimeline(parseJournal(b.text())), utc);
    expect(svg).toContain('<g class="marker rto offchart">\n<text');
    expect(svg).toContain("RTO objective 2m00s (T+2m00s) →");
    expect(svg).not.toMatch(/class="marker rto offchart">\n<line/);
    // The axis ends near the execution's end (5 s), not at the objective (120 s).
    expect(svg).not.toContain(">T+1m00s<");
    // The wait for approval sits over the gated step's bar; the skipped step is a cross.
    expect(svg).toContain('<rect class="gate-wait"');
    expect(svg).toContain('<path class="skip-mark" data-step="undo"');
    expect(svg.match(/<rect class="bar /g)).toHaveLength(1);
  });
});
