import { formatDuration } from "../language/duration.js";
import type { RunbookHistory } from "./history-model.js";
import { esc } from "./html-escape.js";

const W = 1120;
const H = 300;
const L = 70;
const R = 30;
const T = 20;
const B = 60;

/**
 * Achieved RTO per execution as inline SVG: one `circle.point` per measured run (red when
 * a regression), the achieved line, and the objective as a red dashed step line.
 */
export function renderTrendChartSvg(rb: RunbookHistory): string {
  const runs = rb.runs.filter((r) => r.rto.actualMs !== undefined);
  if (runs.length === 0)
    return `<p class="sub">No execution of ${esc(rb.runbook)} has a measured RTO yet.</p>`;
  const values = runs.flatMap((r) => [r.rto.actualMs ?? 0, r.rto.objectiveMs ?? 0, r.baselineRtoMs ?? 0]);
  const maxMs = niceCeil(Math.max(...values) * 1.1);
  const x = (i: number) => (runs.length === 1 ? (L + W - R) / 2 : L + (i / (runs.length - 1)) * (W - L - R));
  const y = (ms: number) => T + (1 - ms / maxMs) * (H - T - B);
  const out: string[] = [
    `<svg class="trend-chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="RTO achieved per execution of ${esc(rb.runbook)}">`,
  ];
  for (let k = 0; k <= 4; k++) {
    const ms = (maxMs * k) / 4;
    out.push(
      `<line class="grid" x1="${L}" x2="${W - R}" y1="${y(ms).toFixed(1)}" y2="${y(ms).toFixed(1)}"/>`,
    );
    out.push(
      `<text class="tick" x="${L - 8}" y="${(y(ms) + 4).toFixed(1)}" text-anchor="end">${formatDuration(ms)}</text>`,
    );
  }
  const objective = runs.map((r, i) =>
    r.rto.objectiveMs !== undefined ? `${x(i).toFixed(1)},${y(r.rto.objectiveMs).toFixed(1)}` : "",
  );
  if (objective.every(Boolean)) {
    out.push(`<polyline class="objective" points="${objective.join(" ")}"/>`);
    const last = runs[runs.length - 1]?.rto.objectiveMs ?? 0;
    out.push(
      `<text class="objective-label" x="${W - R}" y="${(y(last) - 6).toFixed(1)}" text-anchor="end">RTO objective ${formatDuration(last)}</text>`,
    );
  }
  out.push(
    `<polyline class="achieved" points="${runs.map((r, i) => `${x(i).toFixed(1)},${y(r.rto.actualMs ?? 0).toFixed(1)}`).join(" ")}"/>`,
  );
  runs.forEach((r, i) => {
    const cls = r.regressions.length > 0 ? "point regression" : "point";
    const tip = `${r.executionId} (${r.mode}, ${r.environment}): RTO ${formatDuration(r.rto.actualMs ?? 0)}${r.regressions.map((g) => `; ${g.message}`).join("")}`;
    out.push(
      `<circle class="${cls}${r.mode === "drill" ? " drill" : ""}" data-execution="${esc(r.executionId)}" cx="${x(i).toFixed(1)}" cy="${y(r.rto.actualMs ?? 0).toFixed(1)}" r="5"><title>${esc(tip)}</title></circle>`,
    );
    out.push(
      `<text class="tick" x="${x(i).toFixed(1)}" y="${H - B + 18}" text-anchor="middle">${esc(r.startedAt.slice(5, 16).replace("T", " "))}</text>`,
    );
    out.push(
      `<text class="tick" x="${x(i).toFixed(1)}" y="${H - B + 32}" text-anchor="middle">${esc(r.mode)}</text>`,
    );
  });
  out.push("</svg>");
  return out.join("\n");
}

function niceCeil(ms: number): number {
  const steps = [10_000, 30_000, 60_000, 120_000, 300_000, 600_000, 1_800_000, 3_600_000];
  const step = steps.find((s) => ms / s <= 8) ?? 3_600_000;
  return Math.max(step, Math.ceil(ms / step) * step);
}
