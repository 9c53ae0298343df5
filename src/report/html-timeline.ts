import { formatDurationExact as exactDuration, formatDuration } from "../language/duration.js";
import { chronologyRows, describeStorm } from "./chronology-rows.js";
import { cssToken, esc } from "./html-escape.js";
import { boundCard, reconciliationHtml } from "./html-reconciliation.js";
import { REPORT_CSS } from "./html-style.js";
import {
  durationOrDash,
  objectiveMargin,
  outcomeLabel,
  resumeLabel,
  stepNotes,
  verdictLabel,
} from "./labels.js";
import { displaySpan, type RenderOptions } from "./markdown-timeline.js";
import { renderStepChartSvg } from "./step-chart-svg.js";
import { collectText, type TextSink } from "./text-sink.js";
import { formatOffset, type TimeDisplay, timeDisplay } from "./time-format.js";
import type { ObjectiveResult, Timeline } from "./timeline-model.js";

/** One self-contained HTML file: inline CSS and SVG, nothing fetched when it is opened. */
export function renderTimelineHtml(t: Timeline, opts: RenderOptions = {}): string {
  return collectText((sink) => writeTimelineHtml(t, sink, opts));
}

export function writeTimelineHtml(t: Timeline, sink: TextSink, opts: RenderOptions = {}): void {
  const time = timeDisplay(opts.tz, displaySpan(t));
  const h = t.header;
  const kind = h.mode === "drill" ? "Drill" : "Failover";
  const title = `${kind} timeline: ${h.runbook.name} (${h.environment})`;
  sink.line(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${esc(title)}</title>
<style>${REPORT_CSS}</style>
</head>
<body>
<main>
${warnings(t)}
<h1>${esc(title)} <span class="badge ${cssToken(h.outcome)}" id="outcome">${esc(outcomeLabel(h.outcome))}</span>${h.mode === "drill" ? ' <span class="badge drill">DRILL</span>' : ""}</h1>
<p class="sub">${esc(h.runbook.description ?? "")}${h.outcomeDetail ? ` — <strong>${esc(h.outcomeDetail)}</strong>` : ""}</p>
${cards(t)}
${meta(t, time)}${t.reconciliation ? `\n${reconciliationHtml(t.reconciliation, h.executionId, time)}` : ""}
<h2>Steps on the clock</h2>
<div class="chart">
${renderStepChartSvg(t, time)}
<div class="legend"><span style="background:#2da44e"></span>succeeded<span style="background:#8250df"></span>approval gate<span style="background:#cf222e"></span>failed / declined<span style="background:#0969da"></span>running<span style="background:#bc4c00;width:3px"></span>failed attempt, retried<span style="background:#cf222e;height:3px"></span>RTO objective</div>
</div>
${milestones(t, time)}`);
  steps(t, time, sink);
  chronology(t, time, sink);
  sink.line(`<footer id="integrity">${integrityLine(t)}<br>Execution <code>${esc(h.executionId)}</code> · times in ${esc(time.zone)} · built from the journal alone by runbook ${esc(h.engineVersion)}</footer>
</main>
</body>
</html>`);
}

function warnings(t: Timeline): string {
  const out: string[] = [];
  const p = t.integrity.problem;
  if (p) {
    out.push(
      `<div class="alert" role="alert" id="integrity-warning"><strong>WARNING: journal integrity check FAILED at line ${p.line}</strong> (${p.seq === null ? "not JSON" : `seq ${p.seq}`}): ${esc(p.message)}.<br>The journal was changed after it was written. Everything below is what the file says now, which may not be what happened. Keep the original and compare before relying on this timeline.</div>`,
    );
  }
  if (t.integrity.tornTailBytes > 0) {
    out.push(
      `<div class="note">The journal ends with ${t.integrity.tornTailBytes} bytes of an unfinished write (crash or write in progress); they are not shown.</div>`,
    );
  }
  return out.join("\n");
}

function card(name: string, r: ObjectiveResult, figure = durationOrDash(r.actualMs)): string {
  const target =
    r.objectiveMs !== undefined ? `target ${formatDuration(r.objectiveMs)}` : "no objective declared";
  const margin = objectiveMargin(r);
  return `<div class="card ${r.verdict}"><div class="k">${name} <span class="badge ${r.verdict}">${verdictLabel(r.verdict)}</span></div><div class="v">${esc(figure)}</div><div class="t">${esc(target)}${margin ? ` · ${esc(margin)}` : ""}</div><div class="t">${esc(r.note)}</div></div>`;
}

function cards(t: Timeline): string {
  const s = t.summary;
  // Five cards with the RPO bound beside the reconciled RPO: one row still.
  return `<div class="cards${s.rpo.reconciledAt !== undefined ? " five" : ""}">
${card("RTO achieved", s.rto)}
${rpoCards(t)}
<div class="card ${s.verdict}"><div class="k">Elapsed</div><div class="v">${formatDuration(s.elapsedMs)}</div><div class="t">incident declared → ${t.header.endedAt ? "end" : "last event"}</div><div class="t">overall <span class="badge ${s.verdict}">${verdictLabel(s.verdict)}</span></div></div>
<div class="card neutral"><div class="k">Steps</div><div class="v">${s.stepsSucceeded}<span class="t"> ok</span> ${s.stepsFailed}<span class="t"> failed</span></div><div class="t">${s.stepsSkipped} skipped · ${s.retries} ${s.retries === 1 ? "retry" : "retries"}</div><div class="t">${t.resumes.length} resume${t.resumes.length === 1 ? "" : "s"} · ${t.lockTakeovers} lock takeover${t.lockTakeovers === 1 ? "" : "s"}</div></div>
</div>`;
}

/** Reconciled: the bound measured under fire and the exact RPO side by side; the verdict is on the exact one. */
function rpoCards(t: Timeline): string {
  const r = t.summary.rpo;
  if (r.reconciledAt === undefined || r.actualMs === undefined) return card("RPO observed", r);
  return `${boundCard(r)}\n${card("RPO reconciled", r, exactDuration(r.actualMs))}`;
}

function meta(t: Timeline, time: TimeDisplay): string {
  const h = t.header;
  const rows: [string, string][] = [
    ["Execution", `<code>${esc(h.executionId)}</code>`],
    ["Runbook", `${esc(h.runbook.name)} <code>${esc(h.runbook.file)}</code>`],
    ["Environment", esc(h.environment)],
    ["Mode", esc(h.mode)],
    ["Operator", `${esc(h.operator)}${h.host ? ` on ${esc(h.host)}` : ""}`],
    ["Resumed", t.resumes.length ? esc(t.resumes.map(resumeLabel).join("; ")) : "—"],
    ["Incident declared", esc(time.full(h.declaredAt))],
    ["Started", esc(time.full(h.startedAt))],
    [
      "Ended",
      h.endedAt ? esc(time.full(h.endedAt)) : `not yet (last event ${esc(time.full(h.lastEventAt))})`,
    ],
    [
      "Inputs",
      esc(
        Object.entries(h.inputs)
          .map(([k, v]) => `${k}=${v}`)
          .join(", ") || "—",
      ),
    ],
  ];
  return `<dl class="meta">${rows.map(([k, v]) => `<dt>${k}</dt><dd>${v}</dd>`).join("")}</dl>`;
}

function milestones(t: Timeline, time: TimeDisplay): string {
  if (t.milestones.length === 0) return "";
  const rows = t.milestones
    .map(
      (m) =>
        `<tr><td>${esc(m.name)}</td><td class="time mono">${esc(time.iso(m.at))}</td><td class="num mono">${formatOffset(m.offsetMs)}</td></tr>`,
    )
    .join("\n");
  return `<h2>Milestones</h2>
<table id="milestones"><thead><tr><th>Milestone</th><th>Time (${esc(time.zone)})</th><th class="num">Since declared</th></tr></thead><tbody>
${rows}
</tbody></table>`;
}

function steps(t: Timeline, time: TimeDisplay, sink: TextSink): void {
  sink.line("<h2>Steps</h2>");
  sink.line(
    `<table id="steps"><thead><tr><th>Step</th><th>Type</th><th>Status</th><th class="num">Attempts</th><th>Started (${esc(time.zone)})</th><th class="num">Duration</th><th>Notes</th></tr></thead><tbody>`,
  );
  for (const s of t.steps) {
    const started = s.startedAt ? esc(time.clock(s.startedAt)) : "—";
    const dur = s.durationMs !== undefined ? formatDuration(s.durationMs) : s.startedAt ? "running" : "—";
    const id = `${s.parent ? "↳ " : ""}${s.id}`;
    sink.line(
      `<tr><td class="mono">${esc(id)}</td><td class="mono">${esc(s.type)}</td><td class="st ${cssToken(s.status)}">${esc(s.status)}</td><td class="num">${s.attempts}</td><td class="time mono">${started}</td><td class="num">${dur}</td><td>${esc(stepNotes(s))}</td></tr>`,
    );
  }
  sink.line("</tbody></table>");
}

function chronology(t: Timeline, time: TimeDisplay, sink: TextSink): void {
  sink.line("<h2>Chronology</h2>");
  sink.line(
    `<table id="chronology"><thead><tr><th>Time (${esc(time.zone)})</th><th class="num">Since declared</th><th>Step</th><th>Event</th><th>By</th></tr></thead><tbody>`,
  );
  const entries = t.entries;
  for (const row of chronologyRows(entries)) {
    if ("storm" in row) {
      const s = row.storm;
      const folded = entries.slice(s.firstIndex, s.firstIndex + s.events);
      const items = folded.map(
        (f) => `<li><span class="mono">${esc(time.clock(f.at))}</span> ${esc(f.text)}</li>`,
      );
      sink.line(
        `<tr class="sev-warn storm"><td class="time mono">${esc(time.clock(s.first.at))}</td><td class="num mono">${formatOffset(s.first.offsetMs)}</td><td class="mono">${esc(s.stepId)}</td><td class="text"><details><summary>${esc(describeStorm(s, time.clock))}</summary><ol>${items.join("")}</ol></details></td><td></td></tr>`,
      );
      continue;
    }
    const e = row.entry;
    sink.line(
      `<tr class="sev-${e.severity}"><td class="time mono">${esc(time.clock(e.at))}</td><td class="num mono">${formatOffset(e.offsetMs)}</td><td class="mono">${esc(e.stepId ?? "")}</td><td class="text">${esc(e.text)}</td><td>${esc(e.actor ?? "")}</td></tr>`,
    );
  }
  sink.line("</tbody></table>");
}

function integrityLine(t: Timeline): string {
  const i = t.integrity;
  return i.verified
    ? `Journal integrity: hash chain <strong>verified</strong> over ${i.events} events; final hash <code>${i.finalHash}</code>.`
    : `Journal integrity: <strong style="color:#cf222e">FAILED</strong> at line ${i.problem?.line ?? "?"} of ${i.events}; last recorded hash <code>${i.finalHash}</code>.`;
}
