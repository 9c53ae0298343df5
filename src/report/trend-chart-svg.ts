import { formatDuration } from "../language/duration.js";
import { type HistoryRun, type RunbookHistory, rpoLabel } from "./history-model.js";
import { esc } from "./html-escape.js";

const W = 1120;
const H = 300;
const L = 70;
const R = 50;
const T = 20;
const B = 60;

export type TrendMetric = "rto" | "rpo";

const NAMES: Record<TrendMetric, string> = { rto: "RTO achieved", rpo: "RPO observed" };

/** Regressions that concern this metric: an RPO miss does not colour the RTO chart. */
function regressed(r: HistoryRun, metric: TrendMetric): boolean {
  return r.regressions.some((g) => g.kind.startsWith(metric));
}

/**
 * RTO achieved (or RPO observed) per execution as inline SVG: one `circle.point` per
 * measured run (red when it regressed on this metric), the line through them, and the
 * objective as a red dashed line.
 */
export function renderTrendChartSvg(rb: RunbookHistory, metric: TrendMetric = "rto"): string {
  const name = NAMES[metric];
  const runs = rb.runs.filter((r) => r[metric].actualMs !== undefined);
  if (runs.length === 0) {
    return `<p class="sub">No execution of ${esc(rb.runbook)} has a measured ${metric.toUpperCase()} yet.</p>`;
  }
  const baseline = (r: HistoryRun) => (metric === "rto" ? (r.baselineRtoMs ?? 0) : 0);
  const values = runs.flatMap((r) => [r[metric].actualMs ?? 0, r[metric].objectiveMs ?? 0, baseline(r)]);
  const { maxMs, stepMs } = niceAxis(Math.max(...values) * 1.1);
  const x = (i: number) => (runs.length === 1 ? (L + W - R) / 2 : L + (i / (runs.length - 1)) * (W - L - R));
  const y = (ms: number) => T + (1 - ms / maxMs) * (H - T - B);
  const out: string[] = [
    `<svg class="trend-chart ${metric}" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${name} per execution of ${esc(rb.runbook)}">`,
  ];
  for (let ms = 0; ms <= maxMs; ms += stepMs) {
    out.push(
      `<line class="grid" x1="${L}" x2="${W - R}" y1="${y(ms).toFixed(1)}" y2="${y(ms).toFixed(1)}"/>`,
    );
    out.push(
      `<text class="tick" x="${L - 8}" y="${(y(ms) + 4).toFixed(1)}" text-anchor="end">${formatDuration(ms)}</text>`,
    );
  }
  const objective = runs.map((r, i) =>
    r[metric].objectiveMs !== undefined
      ? `${x(i).toFixed(1)},${y(r[metric].objectiveMs ?? 0).toFixed(1)}`
      : "",
  );
  if (objective.every(Boolean)) {
    out.push(`<polyline class="objective" points="${objective.join(" ")}"/>`);
    const last = runs[runs.length - 1]?.[metric].objectiveMs ?? 0;
    out.push(
      `<text class="objective-label" x="${L + 6}" y="${(y(runs[0]?.[metric].objectiveMs ?? last) - 6).toFixed(1)}">${metric.toUpperCase()} objective ${formatDuration(last)}</text>`,
    );
  }
  out.push(
    `<polyline class="achieved" points="${runs.map((r, i) => `${x(i).toFixed(1)},${y(r[metric].actualMs ?? 0).toFixed(1)}`).join(" ")}"/>`,
  );
  runs.forEach((r, i) => {
    // An RPO `runbook reconcile` made exact is marked: the others may be bounds.
    const reconciled = metric === "rpo" && r.rpo.reconciledAt !== undefined;
    const cls = `${regressed(r, metric) ? "point regression" : "point"}${reconciled ? " reconciled" : ""}`;
    const figure = reconciled ? rpoLabel(r.rpo) : formatDuration(r[metric].actualMs ?? 0);
    const tip = `${r.executionId} (${r.mode}, ${r.environment}): ${metric.toUpperCase()} ${figure}${r.regressions.map((g) => `; ${g.message}`).join("")}`;
    out.push(
      `<circle class="${cls}${r.mode === "drill" ? " drill" : ""}" data-execution="${esc(r.executionId)}" cx="${x(i).toFixed(1)}" cy="${y(r[metric].actualMs ?? 0).toFixed(1)}" r="5"><title>${esc(tip)}</title></circle>`,
    );
    out.push(
      `<text class="tick" x="${x(i).toFixed(1)}" y="${H - B + 18}" text-anchor="middle">${esc(r.startedAt.slice(5, 16).replace("T", " "))}</text>`,
    );
    out.push(
      `<text class="tick" x="${x(i).toFixed(1)}" y="${H - B + 32}" text-anchor="middle">${esc(r.mode)}</text>`,
    );
  });
  out.push(
    `<g class="trend-legend"><circle class="legend-dot drill" cx="${L + 10}" cy="${H - 8}" r="5"/><text x="${L + 20}" y="${H - 4}">drill</text>` +
      `<circle class="legend-dot" cx="${L + 70}" cy="${H - 8}" r="5"/><text x="${L + 80}" y="${H - 4}">run</text>` +
      `<circle class="legend-dot regression" cx="${L + 125}" cy="${H - 8}" r="5"/><text x="${L + 135}" y="${H - 4}">regression</text></g>`,
  );
  out.push("</svg>");
  return out.join("\n");
}

/** Axis top and tick step on human durations, at most eight ticks. */
function niceAxis(ms: number): { maxMs: number; stepMs: number } {
  const steps = [1000, 5000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 900_000, 1_800_000];
  const stepMs = steps.find((s) => ms / s <= 8) ?? Math.ceil(ms / 8 / 3_600_000) * 3_600_000;
  return { maxMs: Math.max(stepMs, Math.ceil(ms / stepMs) * stepMs), stepMs };
}
