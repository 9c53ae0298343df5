import type { History, HistoryRun, RunbookHistory } from "./history-model.js";
import {
  BASELINE_WINDOW,
  MIN_BASELINE_RUNS,
  REGRESSION_TOLERANCE,
  rpoLabel,
  runFlags,
} from "./history-model.js";
import { cssToken, esc } from "./html-escape.js";
import { REPORT_CSS } from "./html-style.js";
import { durationOrDash, verdictLabel } from "./labels.js";
import { renderTrendChartSvg } from "./trend-chart-svg.js";

const HISTORY_CSS = `
svg .achieved { fill: none; stroke: #0969da; stroke-width: 2; }
svg .objective { fill: none; stroke: #cf222e; stroke-width: 2; stroke-dasharray: 7 4; }
svg .objective-label { fill: #cf222e; font-weight: 600; font-size: 11px; }
svg .point { fill: #0969da; stroke: #fff; stroke-width: 2; } svg .point.drill { fill: #8250df; }
svg .point.regression { fill: #cf222e; }
svg .point.reconciled { stroke: #1f2328; stroke-width: 2.5; }
svg .legend-dot { fill: #0969da; } svg .legend-dot.drill { fill: #8250df; } svg .legend-dot.regression { fill: #cf222e; }
svg .trend-legend text { font-size: 11px; fill: #656d76; }
tr.regressed td { background: #fff5f5; }
.chart + .chart { margin-top: 10px; }
`;

/** `runbook history --format html`: one self-contained page, a trend chart per runbook. */
export function renderHistoryHtml(h: History): string {
  const sections = h.runbooks.map(section).join("\n");
  const warning =
    h.tampered.length > 0
      ? `<div class="alert" role="alert"><strong>WARNING: ${h.tampered.length} journal${h.tampered.length === 1 ? "" : "s"} failed the integrity check</strong>: ${h.tampered.map((id) => `<code>${esc(id)}</code>`).join(", ")}. Their figures are shown but not used as a baseline.</div>`
      : "";
  const unreadable =
    h.unreadable.length > 0
      ? `<h2>Unreadable journals</h2><ul>${h.unreadable.map((u) => `<li><code>${esc(u.executionId)}</code>: ${esc(u.reason)}</li>`).join("")}</ul>`
      : "";
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>Failover and drill history</title>
<style>${REPORT_CSS}${HISTORY_CSS}</style>
</head>
<body>
<main>
${warning}
<h1>Failover and drill history</h1>
<p class="sub">Regression: achieved RTO above the objective, or more than ${Math.round(REGRESSION_TOLERANCE * 100)}% above the median of the previous ${BASELINE_WINDOW} runs with a measured RTO (at least ${MIN_BASELINE_RUNS} needed).</p>
${h.runbooks.length === 0 ? "<p>No executions found.</p>" : sections}
${unreadable}
</main>
</body>
</html>
`;
}

function section(rb: RunbookHistory): string {
  const s = rb.stats;
  const regressions =
    rb.regressions.length > 0
      ? `<div class="alert" id="regressions-${cssToken(rb.runbook)}"><strong>Regressions (${rb.regressions.length})</strong><ul>${rb.regressions.map((r) => `<li><code>${esc(r.executionId)}</code>: ${esc(r.message)}</li>`).join("")}</ul></div>`
      : `<p class="sub">No regressions.</p>`;
  return `<h2>${esc(rb.runbook)}</h2>
<p class="sub">${s.executions} executions (${s.drills} drills), ${s.completed} completed · median RTO ${durationOrDash(s.medianRtoMs)} · last ${durationOrDash(s.lastRtoMs)}</p>
${regressions}
<div class="chart">${renderTrendChartSvg(rb, "rto")}</div>
<div class="chart">${renderTrendChartSvg(rb, "rpo")}</div>
<table class="runs"><thead><tr><th>Started (UTC)</th><th>Execution</th><th>Mode</th><th>Env</th><th>Outcome</th><th class="num">RTO</th><th class="num">Target</th><th>Result</th><th class="num">RPO</th><th class="num">Target</th><th>Result</th><th class="num">Baseline</th><th>Flags</th></tr></thead><tbody>
${rb.runs.map(row).join("\n")}
</tbody></table>`;
}

function row(r: HistoryRun): string {
  const flags = runFlags(r);
  return `<tr class="${r.regressions.length > 0 ? "regressed" : ""}"><td class="time mono">${esc(r.startedAt.slice(0, 16).replace("T", " "))}</td><td class="mono">${esc(r.executionId)}</td><td>${r.mode}</td><td>${esc(r.environment)}</td><td><span class="badge ${cssToken(r.outcome)}">${esc(r.outcome)}</span></td><td class="num">${durationOrDash(r.rto.actualMs)}</td><td class="num">${durationOrDash(r.rto.objectiveMs)}</td><td><span class="badge ${r.rto.verdict}">${verdictLabel(r.rto.verdict)}</span></td><td class="num${r.rpo.reconciledAt !== undefined ? " reconciled" : ""}">${esc(rpoLabel(r.rpo))}</td><td class="num">${durationOrDash(r.rpo.objectiveMs)}</td><td><span class="badge ${r.rpo.verdict}">${verdictLabel(r.rpo.verdict)}</span></td><td class="num">${durationOrDash(r.baselineRtoMs)}</td><td class="st failed">${esc(flags.join(", "))}</td></tr>`;
}
