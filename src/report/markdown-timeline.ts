import { formatDurationExact as exactDuration, formatDuration } from "../language/duration.js";
import { chronologyRows, describeStorm } from "./chronology-rows.js";
import {
  durationOrDash,
  objectiveMargin,
  outcomeLabel,
  resumeLabel,
  shortHash,
  stepNotes,
  verdictLabel,
} from "./labels.js";
import { reconciliationMarkdown } from "./markdown-reconciliation.js";
import { mdCell } from "./md-cell.js";
import { renderGantt } from "./mermaid-gantt.js";
import { collectText, type TextSink } from "./text-sink.js";
import { formatOffset, type TimeDisplay, timeDisplay } from "./time-format.js";
import type { ObjectiveResult, RpoResult, Timeline } from "./timeline-model.js";

export interface RenderOptions {
  /** IANA zone for displayed times; UTC when absent. The JSON form is always UTC. */
  tz?: string;
}

export { mdCell } from "./md-cell.js";

/** The post-incident timeline as Markdown: paste it into the review document as is. */
export function renderTimelineMarkdown(t: Timeline, opts: RenderOptions = {}): string {
  return collectText((sink) => writeTimelineMarkdown(t, sink, opts));
}

export function writeTimelineMarkdown(t: Timeline, sink: TextSink, opts: RenderOptions = {}): void {
  const time = timeDisplay(opts.tz, displaySpan(t));
  const h = t.header;
  sink.line(`# ${h.mode === "drill" ? "Drill" : "Failover"} timeline: ${h.runbook.name} (${h.environment})`);
  sink.line();
  sink.lines(warnings(t));
  sink.lines(header(t, time));
  sink.lines(summary(t));
  if (t.reconciliation) sink.lines(reconciliationMarkdown(t.reconciliation, t.header.executionId, time));
  sink.lines(milestones(t, time));
  steps(t, time, sink);
  sink.lines(["## Chart", "", "```mermaid", renderGantt(t, time), "```", ""]);
  chronology(t, time, sink);
  sink.lines(integrity(t));
}

function warnings(t: Timeline): string[] {
  const out: string[] = [];
  const p = t.integrity.problem;
  if (p) {
    out.push(
      `> **WARNING: journal integrity check FAILED at line ${p.line}** (${p.seq === null ? "not JSON" : `seq ${p.seq}`}): ${p.message}.`,
      "> The journal was changed after it was written. Everything below is what the file says now,",
      "> which may not be what happened. Keep the original and compare before relying on this timeline.",
      "",
    );
  }
  if (t.integrity.tornTailBytes > 0) {
    out.push(
      `> **Note:** the journal ends with ${t.integrity.tornTailBytes} bytes of an unfinished write (crash or write in progress); they are not shown.`,
      "",
    );
  }
  return out;
}

function header(t: Timeline, time: TimeDisplay): string[] {
  const h = t.header;
  const rows: [string, string][] = [
    ["Execution", `\`${h.executionId}\``],
    ["Runbook", `${h.runbook.name} (\`${h.runbook.file}\`, sha256 \`${shortHash(h.runbook.sourceSha256)}\`)`],
    ["Environment", h.environment],
    ["Mode", h.mode],
    ["Operator", `${h.operator}${h.host ? ` on ${h.host}` : ""}`],
    ["Incident declared", time.full(h.declaredAt)],
    ["Started", time.full(h.startedAt)],
    ["Ended", h.endedAt ? time.full(h.endedAt) : `not yet (last event ${time.full(h.lastEventAt)})`],
    ["Outcome", `**${outcomeLabel(h.outcome)}**${h.outcomeDetail ? `: ${h.outcomeDetail}` : ""}`],
  ];
  if (t.resumes.length > 0) {
    rows.push(["Resumed", t.resumes.map((r) => `by ${resumeLabel(r)} at ${time.full(r.at)}`).join("; ")]);
  }
  if (t.lockTakeovers > 0) rows.push(["Lock taken over", `${t.lockTakeovers}×`]);
  const inputs = Object.entries(h.inputs);
  if (inputs.length > 0) rows.push(["Inputs", inputs.map(([k, v]) => `${k}=${v}`).join(", ")]);
  return ["| | |", "|---|---|", ...rows.map(([k, v]) => `| ${k} | ${mdCell(v)} |`), ""];
}

/** Instants whose days decide whether clocks print dates: a reconciliation may come a day later. */
export function displaySpan(t: Timeline): string[] {
  const span = [t.header.declaredAt, t.header.endedAt ?? t.header.lastEventAt];
  if (t.reconciliation) span.push(t.reconciliation.at);
  return span;
}

function summary(t: Timeline): string[] {
  const s = t.summary;
  const row = (name: string, r: ObjectiveResult, figure = durationOrDash(r.actualMs)) =>
    `| ${name} | ${durationOrDash(r.objectiveMs)} | ${figure} | **${verdictLabel(r.verdict)}** | ${mdCell([objectiveMargin(r), r.note].filter(Boolean).join("; "))} |`;
  return [
    "## Summary",
    "",
    "| Objective | Target | Achieved | Result | Notes |",
    "|---|---|---|---|---|",
    row("RTO", s.rto),
    ...rpoRows(s.rpo, row),
    "",
    `Overall: **${verdictLabel(s.verdict)}**. ${formatDuration(s.elapsedMs)} from incident declared to ${t.header.endedAt ? "end" : "last event"}; ` +
      `steps: ${s.stepsSucceeded} succeeded, ${s.stepsFailed} failed, ${s.stepsSkipped} skipped; ${s.retries} ${s.retries === 1 ? "retry" : "retries"}.`,
    "",
  ];
}

/** Reconciled: the exact RPO (which the verdict is on) and, beside it, the bound measured under fire. */
function rpoRows(r: RpoResult, row: (name: string, r: ObjectiveResult, figure?: string) => string): string[] {
  if (r.reconciledAt === undefined || r.actualMs === undefined) return [row("RPO", r)];
  const rows = [row("RPO (reconciled)", r, exactDuration(r.actualMs))];
  if (r.boundMs !== undefined)
    rows.push(
      `| RPO bound (measured during the failover) | ${durationOrDash(r.objectiveMs)} | ${durationOrDash(r.boundMs)} | — | upper bound (rpo_observed_ms), measured while the old primary could not be read |`,
    );
  return rows;
}

function milestones(t: Timeline, time: TimeDisplay): string[] {
  if (t.milestones.length === 0) return [];
  return [
    "## Milestones",
    "",
    `| Milestone | Time (${time.zone}) | Since declared |`,
    "|---|---|---|",
    ...t.milestones.map((m) => `| ${mdCell(m.name)} | ${time.iso(m.at)} | ${formatOffset(m.offsetMs)} |`),
    "",
  ];
}

function steps(t: Timeline, time: TimeDisplay, sink: TextSink): void {
  sink.lines([
    "## Steps",
    "",
    `| Step | Type | Status | Attempts | Started (${time.zone}) | Duration | Notes |`,
    "|---|---|---|---|---|---|---|",
  ]);
  for (const s of t.steps) {
    const id = s.parent ? `↳ ${s.id}` : s.id;
    const started = s.startedAt ? time.clock(s.startedAt) : "—";
    const duration =
      s.durationMs !== undefined ? formatDuration(s.durationMs) : s.startedAt ? "running" : "—";
    sink.line(
      `| ${mdCell(id)} | ${mdCell(s.type)} | ${s.status} | ${s.attempts} | ${started} | ${duration} | ${mdCell(stepNotes(s))} |`,
    );
  }
  sink.line();
}

function chronology(t: Timeline, time: TimeDisplay, sink: TextSink): void {
  sink.lines([
    "## Chronology",
    "",
    `| Time (${time.zone}) | Since declared | Step | Event | By |`,
    "|---|---|---|---|---|",
  ]);
  for (const row of chronologyRows(t.entries)) {
    if ("storm" in row) {
      const s = row.storm;
      const text = `_${mdCell(describeStorm(s, time.clock))}_`;
      sink.line(
        `| ${time.clock(s.first.at)} | ${formatOffset(s.first.offsetMs)} | ${mdCell(s.stepId)} | ${text} |  |`,
      );
      continue;
    }
    const e = row.entry;
    const text = e.severity === "error" ? `**${mdCell(e.text)}**` : mdCell(e.text);
    sink.line(
      `| ${time.clock(e.at)} | ${formatOffset(e.offsetMs)} | ${mdCell(e.stepId ?? "")} | ${text} | ${mdCell(e.actor ?? "")} |`,
    );
  }
  sink.line();
}

function integrity(t: Timeline): string[] {
  const i = t.integrity;
  const line = i.verified
    ? `Journal integrity: hash chain **verified** over ${i.events} events; final hash \`${i.finalHash}\`.`
    : `Journal integrity: **FAILED** at line ${i.problem?.line ?? "?"} of ${i.events}; last recorded hash \`${i.finalHash}\`.`;
  return ["## Integrity", "", line, ""];
}
