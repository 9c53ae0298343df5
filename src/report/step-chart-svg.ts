import { formatDuration } from "../language/duration.js";
import { cssToken, esc } from "./html-escape.js";
import { idleLabel } from "./labels.js";
import { tickLabel, timeScale } from "./time-axis.js";
import type { TimeDisplay } from "./time-format.js";
import type { StepSpan, Timeline, TimelineEntry } from "./timeline-model.js";

/** Past this many bars the chart draws the first ones and says how many it left out. */
export const MAX_CHART_BARS = 300;

const WIDTH = 1120;
const LABEL_W = 230;
const RIGHT = 40;
const ROW_H = 26;
const BAR_H = 16;
const LABEL_ROW_H = 15;

/**
 * The steps on a time axis as inline SVG: one `rect.bar` per step that started, failed
 * attempts as ticks, milestones as labelled dotted lines, the RTO objective as a red line.
 */
export function renderStepChartSvg(t: Timeline, time: TimeDisplay): string {
  const all = chartRows(t.steps);
  const steps = all.slice(0, MAX_CHART_BARS);
  const declaredMs = Date.parse(t.header.declaredAt);
  const endMs = Date.parse(t.header.endedAt ?? t.header.lastEventAt);
  const rtoMs = t.summary.rto.objectiveMs;
  const starts = steps.map((s) => Date.parse(s.startedAt ?? t.header.startedAt));
  const lo = Math.min(declaredMs, Date.parse(t.header.startedAt), ...starts);
  // The RTO line stretches the axis only when it is near the end; far beyond it (a 5 s drill
  // against a 2 m objective) the steps would shrink to slivers, so it becomes an arrow instead.
  const rtoAt = rtoMs !== undefined ? declaredMs + rtoMs : undefined;
  const rtoOnAxis = rtoAt !== undefined && rtoAt <= endMs + (endMs - lo) * 0.6;
  const hiRaw = rtoOnAxis && rtoAt !== undefined ? Math.max(endMs, rtoAt) : endMs;
  const hi = hiRaw + Math.max((hiRaw - lo) * 0.02, 200);
  const scale = timeScale(lo, hi, LABEL_W, WIDTH - RIGHT, declaredMs);

  const markers = markerLines(t, rtoOnAxis ? rtoMs : undefined, declaredMs);
  if (!rtoOnAxis && rtoMs !== undefined) {
    const label = `RTO objective ${formatDuration(rtoMs)} (${tickLabel(declaredMs + rtoMs, declaredMs)}) →`;
    markers.push({ ms: hi, label, cls: "rto offchart", offchart: true });
  }
  const labelX = (m: Marker) => (m.offchart ? WIDTH - 8 - (m.label.length * 6.4) / 2 : scale.x(m.ms));
  const labelRows = placeLabels(markers.map((m) => ({ x: labelX(m), width: m.label.length * 6.4 + 14 })));
  const top = 18 + (Math.max(0, ...labelRows) + 1) * LABEL_ROW_H;
  const chartBottom = top + steps.length * ROW_H + 6;
  const height = chartBottom + 40;

  const out: string[] = [];
  out.push(
    `<svg class="step-chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${height}" width="${WIDTH}" height="${height}" role="img" aria-label="Steps of ${esc(t.header.runbook.name)} on a time axis">`,
  );
  // Grid and axis.
  for (const tick of scale.ticks) {
    const x = scale.x(tick).toFixed(1);
    out.push(`<line class="grid" x1="${x}" x2="${x}" y1="${top - 4}" y2="${chartBottom}"/>`);
    out.push(
      `<text class="tick" x="${x}" y="${chartBottom + 15}" text-anchor="middle">${esc(tickLabel(tick, declaredMs))}</text>`,
    );
    out.push(
      `<text class="tick clock" x="${x}" y="${chartBottom + 29}" text-anchor="middle">${esc(time.wall(new Date(tick).toISOString()).slice(11, 19))}</text>`,
    );
  }
  // Parallel groups as bands behind their rows.
  out.push(...groupBands(steps, top));
  out.push(...idleBands(t, scale.x, top, chartBottom));
  const retryFailures = new Map<string, TimelineEntry[]>();
  for (const e of t.entries) {
    if (e.stepId !== undefined && e.eventType === "step.failed" && e.kind === "retry") {
      const list = retryFailures.get(e.stepId);
      if (list) list.push(e);
      else retryFailures.set(e.stepId, [e]);
    }
  }
  steps.forEach((s, i) => {
    if (s.parallel) out.push(...blockRow(s, i, top, scale.x, endMs));
    else if (s.startedAt === undefined) out.push(...skippedRow(s, i, top, scale.x));
    else out.push(...stepRow(s, i, top, scale.x, t, endMs, retryFailures.get(s.id) ?? []));
  });
  markers.forEach((m, i) => {
    const x = scale.x(m.ms).toFixed(1);
    const ly = 14 + (labelRows[i] ?? 0) * LABEL_ROW_H;
    out.push(`<g class="marker ${m.cls}">`);
    if (!m.offchart) out.push(`<line x1="${x}" x2="${x}" y1="${ly + 3}" y2="${chartBottom}"/>`);
    const half = (m.label.length * 6.4) / 2;
    const tx = Math.min(Math.max(labelX(m), LABEL_W + half), WIDTH - half - 4).toFixed(1);
    out.push(`<text x="${tx}" y="${ly}" text-anchor="middle">${esc(m.label)}</text>`);
    const when = m.offchart
      ? "beyond the end of this execution"
      : `at ${time.wall(new Date(m.ms).toISOString())} ${time.zone}`;
    out.push(`<title>${esc(`${m.label} ${when}`)}</title></g>`);
  });
  if (all.length > steps.length) {
    out.push(
      `<text class="tick" x="${LABEL_W}" y="${height - 2}">${all.length - steps.length} more steps not drawn</text>`,
    );
  }
  out.push(`<text class="axis-note" x="8" y="${chartBottom + 22}">since declared / ${esc(time.zone)}</text>`);
  out.push("</svg>");
  return out.join("\n");
}

interface Marker {
  ms: number;
  label: string;
  cls: string;
  /** Beyond the axis: a label at the right edge, no line. */
  offchart?: boolean;
}

function markerLines(t: Timeline, rtoMs: number | undefined, declaredMs: number): Marker[] {
  const markers: Marker[] = t.milestones.map((m) => ({
    ms: Date.parse(m.at),
    label: m.name,
    cls: m.name === "service_restored" ? "milestone restored" : "milestone",
  }));
  if (rtoMs !== undefined)
    markers.push({ ms: declaredMs + rtoMs, label: `RTO objective ${formatDuration(rtoMs)}`, cls: "rto" });
  for (const e of t.entries) {
    if (e.kind === "abort" && e.eventType === "abort.fired")
      markers.push({ ms: Date.parse(e.at), label: "abort fired", cls: "abort" });
    if (e.kind === "resume")
      markers.push({ ms: Date.parse(e.at), label: `resumed by ${e.actor ?? "?"}`, cls: "resume" });
  }
  if (!t.header.endedAt)
    markers.push({ ms: Date.parse(t.header.lastEventAt), label: "last event", cls: "now" });
  return markers.sort((a, b) => a.ms - b.ms);
}

/** Greedy label rows so close milestones do not print over each other. */
function placeLabels(items: { x: number; width: number }[]): number[] {
  const rowEnds: number[] = [];
  return items.map(({ x, width }) => {
    const left = x - width / 2;
    let row = rowEnds.findIndex((end) => end <= left);
    if (row === -1) {
      row = rowEnds.length;
      rowEnds.push(0);
    }
    rowEnds[row] = x + width / 2;
    return row;
  });
}

/** A band behind each parallel block's row and its children's rows. */
function groupBands(steps: StepSpan[], top: number): string[] {
  const out: string[] = [];
  steps.forEach((block, i) => {
    if (!block.parallel) return;
    let j = i + 1;
    while (j < steps.length && steps[j]?.parent === block.id) j++;
    const y = top + i * ROW_H;
    out.push(`<rect class="group" x="4" y="${y}" width="${WIDTH - 8}" height="${(j - i) * ROW_H}" rx="4"/>`);
  });
  return out;
}

/** A parallel block: a bracket over the time its branches took, not a bar of its own. */
function blockRow(s: StepSpan, i: number, top: number, x: (ms: number) => number, endMs: number): string[] {
  const y = top + i * ROW_H;
  const x0 = x(Date.parse(s.startedAt ?? ""));
  const x1 = Math.max(x(s.endedAt ? Date.parse(s.endedAt) : endMs), x0 + 3);
  const mid = y + 4 + BAR_H / 2;
  const dur = s.durationMs !== undefined ? formatDuration(s.durationMs) : "running";
  return [
    `<text class="step-label block-label" x="10" y="${y + BAR_H}">${esc(truncate(`∥ ${s.id}`, 30))}</text>`,
    `<path class="block-span" data-block="${esc(s.id)}" d="M${x0.toFixed(1)},${mid + 5} v-6 H${x1.toFixed(1)} v6"><title>${esc(`${s.id}: parallel block, ${s.status}, ${dur}`)}</title></path>`,
    x1 + 6 > WIDTH - RIGHT - 120
      ? `<text class="bar-note" x="${(x0 - 6).toFixed(1)}" y="${y + BAR_H}" text-anchor="end">${esc(`${dur} · parallel`)}</text>`
      : `<text class="bar-note" x="${(x1 + 6).toFixed(1)}" y="${y + BAR_H}">${esc(`${dur} · parallel`)}</text>`,
  ];
}

/** The stretch before each resume when nothing ran (engine down, or paused): hatched, labelled. */
function idleBands(t: Timeline, x: (ms: number) => number, top: number, bottom: number): string[] {
  return t.resumes.flatMap((r) => {
    const x0 = x(Date.parse(r.idleSince));
    const w = Math.max(x(Date.parse(r.at)) - x0, 1);
    return [
      `<rect class="idle" x="${x0.toFixed(1)}" y="${top - 4}" width="${w.toFixed(1)}" height="${bottom - top + 4}"><title>${esc(idleLabel(r))}</title></rect>`,
      `<text class="idle-label" x="${(x0 + w / 2).toFixed(1)}" y="${bottom - 6}" text-anchor="middle">${esc(idleLabel(r))}</text>`,
    ];
  });
}

/** Rows: a bar per step that ran, a bracket per parallel block, a cross per step skipped on the way. */
function chartRows(steps: readonly StepSpan[]): StepSpan[] {
  return steps.filter(
    (s) => s.startedAt !== undefined || (!s.parallel && s.status === "skipped" && s.endedAt !== undefined),
  );
}

function rowLabel(s: StepSpan, y: number): string {
  const label = `${s.parent ? "↳ " : ""}${s.phase === "onAbort" ? "onAbort · " : ""}${s.id}`;
  const cls = `step-label${s.phase === "onAbort" ? " on-abort" : ""}`;
  return `<text class="${cls}" x="${s.parent ? 22 : 10}" y="${y + BAR_H}">${esc(truncate(label, 30))}</text>`;
}

function skippedRow(s: StepSpan, i: number, top: number, x: (ms: number) => number): string[] {
  const y = top + i * ROW_H;
  const cx = x(Date.parse(s.endedAt ?? ""));
  const cy = y + 4 + BAR_H / 2;
  const note = `skipped${s.skipReason ? `: ${s.skipReason.replace(/^skipped: /, "")}` : ""}`;
  return [
    rowLabel(s, y),
    `<path class="skip-mark" data-step="${esc(s.id)}" d="M${(cx - 5).toFixed(1)},${cy - 5} l10,10 m0,-10 l-10,10"><title>${esc(`${s.id}: ${note}`)}</title></path>`,
    `<text class="bar-note skipped" x="${(cx + 9).toFixed(1)}" y="${y + BAR_H}">${esc(truncate(note, 80))}</text>`,
  ];
}

function stepRow(
  s: StepSpan,
  i: number,
  top: number,
  x: (ms: number) => number,
  t: Timeline,
  endMs: number,
  retryFailures: TimelineEntry[],
): string[] {
  const y = top + i * ROW_H;
  const startMs = Date.parse(s.startedAt ?? t.header.startedAt);
  const stopMs = s.endedAt ? Date.parse(s.endedAt) : endMs;
  const x0 = x(startMs);
  const w = Math.max(x(stopMs) - x0, 3);
  const dur = s.durationMs !== undefined ? formatDuration(s.durationMs) : "running";
  const status = cssToken(s.status);
  const tip = `${s.id} (${s.type}): ${s.status}, ${dur}${s.attempts > 1 ? `, ${s.attempts} attempts` : ""}${s.alreadyInPlace ? ", already in place, not run" : ""}`;
  const out = [
    rowLabel(s, y),
    `<rect class="bar ${status}${s.type === "approval" ? " gate" : ""}" data-step="${esc(s.id)}" x="${x0.toFixed(1)}" y="${y + 4}" width="${w.toFixed(1)}" height="${BAR_H}" rx="3"><title>${esc(tip)}</title></rect>`,
  ];
  const approvedAt = s.approvals.at(-1)?.at ?? s.declined?.at;
  if (s.gate && s.type !== "approval" && approvedAt !== undefined) {
    // A gated step: the part spent waiting for a person, over the bar.
    const gw = Math.max(x(Date.parse(approvedAt)) - x0, 2);
    out.push(
      `<rect class="gate-wait" x="${x0.toFixed(1)}" y="${y + 4}" width="${Math.min(gw, w).toFixed(1)}" height="${BAR_H}" rx="3"><title>${esc(`waiting for approval until ${approvedAt}`)}</title></rect>`,
    );
  }
  for (const e of retryFailures) {
    const fx = x(Date.parse(e.at)).toFixed(1);
    out.push(
      `<line class="retry-mark" x1="${fx}" x2="${fx}" y1="${y + 1}" y2="${y + BAR_H + 7}"><title>${esc(e.text)}</title></line>`,
    );
  }
  const note = `${dur}${s.attempts > 1 ? ` · ${s.attempts} attempts` : ""}${s.alreadyInPlace ? " · already in place" : ""}`;
  const textX = x0 + w + 6;
  const anchorEnd = textX > WIDTH - RIGHT - 120;
  out.push(
    `<text class="bar-note" x="${(anchorEnd ? x0 - 6 : textX).toFixed(1)}" y="${y + BAR_H}"${anchorEnd ? ' text-anchor="end"' : ""}>${esc(note)}</text>`,
  );
  return out;
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
