import { JournalBuilder, okStep, start } from "../fixtures/journal-builder.js";

/** Achieved RTO (seconds) of a series of weekly drills, then two production runs. */
export const SERIES: { day: string; mode: "run" | "drill"; rtoS: number | undefined; rpoMs: number }[] = [
  { day: "2026-10-02", mode: "drill", rtoS: 122, rpoMs: 800 },
  { day: "2026-10-09", mode: "drill", rtoS: 118, rpoMs: 650 },
  { day: "2026-10-16", mode: "drill", rtoS: 130, rpoMs: 900 },
  { day: "2026-10-23", mode: "drill", rtoS: 125, rpoMs: 700 },
  { day: "2026-10-30", mode: "drill", rtoS: 121, rpoMs: 750 },
  // 175 s: within the 300 s objective, but 43% above the median (122 s) of the last five.
  { day: "2026-11-06", mode: "drill", rtoS: 175, rpoMs: 820 },
  { day: "2026-11-13", mode: "drill", rtoS: undefined, rpoMs: 600 },
  { day: "2026-11-20", mode: "run", rtoS: 128, rpoMs: 7200 },
  // Over the objective.
  { day: "2026-11-27", mode: "run", rtoS: 340, rpoMs: 1100 },
];

export function seriesId(i: number): string {
  const day = SERIES[i]?.day.replace(/-/g, "") ?? "x";
  return `failover-case-api-${day}T090000Z-${String(i).padStart(4, "0")}`;
}

/** One journal per entry of SERIES: a short plan, validate restoring service at the given RTO. */
export function drillSeries(): string[] {
  return SERIES.map((s, i) => {
    const b = new JournalBuilder(`${s.day}T09:00:00.000Z`);
    const steps = [
      {
        id: "promote-db",
        type: "rds.failover-global-cluster",
        phase: "main" as const,
        description: "Promote",
      },
      { id: "validate", type: "http.probe", phase: "main" as const, description: "Validate" },
    ];
    start(b, {
      executionId: seriesId(i),
      environment: s.mode === "drill" ? "staging" : "prod",
      mode: s.mode,
      operator: s.mode === "drill" ? "drill-scheduler" : "alice",
      declaredAt: b.iso(0),
      rtoMs: 300_000,
      rpoMs: 5000,
      steps,
    });
    okStep(b, "promote-db", "rds.failover-global-cluster", 1, 30);
    b.at(30).append("measure", { name: "rpo_observed_ms", value: s.rpoMs, unit: "ms" }, "promote-db");
    if (s.rtoS === undefined) {
      b.at(40).append("step.intent", { attempt: 1, type: "http.probe", params: {} }, "validate");
      b.at(41).append(
        "step.failed",
        { attempt: 1, error: { message: "503", class: "fatal" }, durationMs: 1000, willRetry: false },
        "validate",
      );
      b.at(41).append("execution.failed", { stepId: "validate", message: "validate failed" });
      return b.text();
    }
    okStep(b, "validate", "http.probe", 31, s.rtoS);
    b.at(s.rtoS).append("milestone", { name: "service_restored", at: b.iso(s.rtoS) }, "validate");
    b.at(s.rtoS + 0.2).append("execution.completed", {});
    return b.text();
  });
}
