import type { History, HistoryRun, RunbookHistory } from "./history-model.js";
import {
  BASELINE_WINDOW,
  MIN_BASELINE_RUNS,
  REGRESSION_TOLERANCE,
  rpoLabel,
  runFlags,
} from "./history-model.js";
import { durationOrDash, verdictLabel } from "./labels.js";
import { mdCell } from "./markdown-timeline.js";

/** `runbook history` as Markdown: a table per runbook, a Mermaid trend chart, regressions first. */
export function renderHistoryMarkdown(h: History): string {
  const out: string[] = ["# Failover and drill history", ""];
  if (h.tampered.length > 0) {
    out.push(
      `> **WARNING: ${h.tampered.length} journal${h.tampered.length === 1 ? "" : "s"} failed the integrity check**: ${h.tampered.map((id) => `\`${id}\``).join(", ")}. Their figures are shown but not used as a baseline.`,
      "",
    );
  }
  if (h.runbooks.length === 0) out.push("No executions found.", "");
  for (const rb of h.runbooks) out.push(...runbookSection(rb));
  if (h.unreadable.length > 0) {
    out.push(
      "## Unreadable journals",
      "",
      ...h.unreadable.map((u) => `- \`${u.executionId}\`: ${mdCell(u.reason)}`),
      "",
    );
  }
  if (h.runbooks.some((rb) => rb.runs.some((r) => r.rpo.reconciledAt !== undefined)))
    out.push(
      "_RPO “reconciled”: the exact figure `runbook reconcile` read from the old primary's data after the failover, with the bound measured during the failover in brackets; other RPOs are as measured._",
      "",
    );
  out.push(
    `_Regression: achieved RTO above the objective, or more than ${Math.round(REGRESSION_TOLERANCE * 100)}% above the median of the previous ${BASELINE_WINDOW} runs with a measured RTO (at least ${MIN_BASELINE_RUNS} needed)._`,
    "",
  );
  return `${out.join("\n")}\n`;
}

function runbookSection(rb: RunbookHistory): string[] {
  const s = rb.stats;
  const out = [
    `## ${rb.runbook}`,
    "",
    `${s.executions} executions (${s.drills} drills), ${s.completed} completed; median RTO ${durationOrDash(s.medianRtoMs)}, last ${durationOrDash(s.lastRtoMs)}.`,
    "",
  ];
  if (rb.regressions.length > 0) {
    out.push(`> **Regressions (${rb.regressions.length})**`, ">");
    for (const r of rb.regressions) out.push(`> - \`${r.executionId}\`: ${mdCell(r.message)}`);
    out.push("");
  } else {
    out.push("No regressions.", "");
  }
  out.push(
    "| Started (UTC) | Execution | Mode | Env | Outcome | RTO | RTO target | RTO result | RPO | RPO target | RPO result | Baseline RTO | Flags |",
    "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ...rb.runs.map(runRow),
    "",
  );
  for (const metric of ["rto", "rpo"] as const) {
    const chart = trendChart(rb, metric);
    if (chart) out.push("```mermaid", chart, "```", "");
  }
  return out;
}

function runRow(r: HistoryRun): string {
  const flags = runFlags(r);
  return `| ${r.startedAt.slice(0, 16).replace("T", " ")} | \`${r.executionId}\` | ${r.mode} | ${mdCell(r.environment)} | ${r.outcome} | ${durationOrDash(r.rto.actualMs)} | ${durationOrDash(r.rto.objectiveMs)} | ${verdictLabel(r.rto.verdict)} | ${rpoLabel(r.rpo)} | ${durationOrDash(r.rpo.objectiveMs)} | ${verdictLabel(r.rpo.verdict)} | ${durationOrDash(r.baselineRtoMs)} | ${flags.length ? `**${flags.join(", ")}**` : ""} |`;
}

/** Mermaid `xychart-beta`: RTO achieved (or RPO observed) per run as bars against the objective (line), in seconds. */
export function trendChart(rb: RunbookHistory, metric: "rto" | "rpo" = "rto"): string | undefined {
  const measured = rb.runs.filter((r) => r[metric].actualMs !== undefined);
  if (measured.length === 0) return undefined;
  const secs = (ms: number) => Math.round(ms / 100) / 10;
  const actual = measured.map((r) => secs(r[metric].actualMs ?? 0));
  const objectives = measured.map((r) => {
    const o = r[metric].objectiveMs;
    return o !== undefined ? secs(o) : undefined;
  });
  const max = Math.max(...actual, ...objectives.map((o) => o ?? 0));
  const labels = measured.map((r) => `"${r.startedAt.slice(5, 10)} ${r.mode}"`);
  const what =
    metric === "rto"
      ? "RTO achieved"
      : measured.some((r) => r.rpo.reconciledAt !== undefined)
        ? "RPO (reconciled where known)"
        : "RPO observed";
  const lines = [
    "xychart-beta",
    `    title "${rb.runbook.replace(/"/g, "'")}: ${what} vs objective (s)"`,
    `    x-axis [${labels.join(", ")}]`,
    `    y-axis "seconds" 0 --> ${niceTop(max * 1.1)}`,
    `    bar [${actual.join(", ")}]`,
  ];
  if (objectives.every((o) => o !== undefined)) lines.push(`    line [${objectives.join(", ")}]`);
  return lines.join("\n");
}

function niceTop(seconds: number): number {
  const step = seconds <= 10 ? 1 : 10;
  return Math.max(step, Math.ceil(seconds / step) * step);
}
