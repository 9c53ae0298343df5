import { formatDurationExact as exactDuration, formatDuration } from "../language/duration.js";
import { esc } from "./html-escape.js";
import { committed, conflict } from "./markdown-reconciliation.js";
import { plural } from "./objectives.js";
import { moreLostWrites } from "./reconciliation.js";
import { formatOffset, type TimeDisplay } from "./time-format.js";
import type { Reconciliation, RpoResult } from "./timeline-model.js";

/** The bound measured during the failover, as a card beside the reconciled RPO's: no verdict of its own. */
export function boundCard(r: RpoResult): string {
  const target =
    r.objectiveMs !== undefined ? `target ${formatDuration(r.objectiveMs)}` : "no objective declared";
  return `<div class="card unknown" id="rpo-bound"><div class="k">RPO bound <span class="badge neutral">measured</span></div><div class="v">${r.boundMs !== undefined ? formatDuration(r.boundMs) : "—"}</div><div class="t">${esc(target)}</div><div class="t">upper bound (rpo_observed_ms), measured during the failover while the old primary could not be read</div></div>`;
}

/** `Data lost (reconciled)`: what `runbook reconcile` found on the old primary. Every value is user data: escaped. */
export function reconciliationHtml(r: Reconciliation, executionId: string, time: TimeDisplay): string {
  const bound =
    r.boundMs !== undefined
      ? `the bound measured during the failover was ${formatDuration(r.boundMs)}`
      : "no bound was measured during the failover";
  const facts: [string, string][] = [
    ["Old primary", `<code>${esc(r.oldPrimary)}</code>`],
    ["Promoted", `<code>${esc(r.promoted)}</code>`],
    ["Last commit on the old primary", esc(time.iso(r.lastCommittedAt))],
    ["Last of its commits replicated", esc(time.iso(r.lastReplicatedAt))],
    [
      `Heartbeats (<code>${esc(r.heartbeat.table)}</code>)`,
      esc(
        `last written ${time.iso(r.heartbeat.lastWrittenAt)}, last replicated ${time.iso(r.heartbeat.lastReplicatedAt)}: ${exactDuration(r.heartbeat.rpoMs)} apart, ${r.heartbeat.lost} lost`,
      ),
    ],
  ];
  const out = [
    `<h2 id="data-lost">Data lost (reconciled)</h2>`,
    `<p>Reconciled at ${esc(time.full(r.at))} (${esc(formatOffset(r.offsetMs))}) by ${esc(r.operator)}${r.host ? ` on ${esc(r.host)}` : ""}, from the old primary's data: RPO <strong>${esc(exactDuration(r.rpoMs))}</strong> exact; ${esc(bound)}. ${esc(`${plural(r.lostWritesTotal, "lost write")}, ${plural(r.conflicts, "conflict")}, ${r.replayCount} can be replayed without overwriting newer data.`)}</p>`,
    `<dl class="meta" id="reconciliation">${facts.map(([k, v]) => `<dt>${k}</dt><dd>${v}</dd>`).join("")}</dl>`,
  ];
  if (r.tables.length > 0) {
    const rows = r.tables.map(
      (t) =>
        `<tr><td class="mono">${esc(t.name)}</td><td class="mono">${esc(t.key)}</td><td class="num">${t.compared}</td><td class="num">${t.lost}</td><td class="num">${t.conflicts}</td></tr>`,
    );
    out.push(
      `<table id="reconciled-tables"><thead><tr><th>Table</th><th>Key column</th><th class="num">Rows compared</th><th class="num">Lost</th><th class="num">Conflicts</th></tr></thead><tbody>`,
      ...rows,
      "</tbody></table>",
    );
  }
  if (r.lostWritesTotal === 0) {
    out.push("<p>No application write was lost.</p>");
    return out.join("\n");
  }
  const which =
    r.lostWritesShown < r.lostWritesTotal
      ? `first ${r.lostWritesShown} of ${r.lostWritesTotal}, oldest first`
      : `all ${r.lostWritesTotal}, oldest first`;
  out.push(
    `<h3>Lost writes (${esc(which)})</h3>`,
    `<table id="lost-writes"><thead><tr><th>Table</th><th>Key</th><th>Committed at (${esc(time.zone)})</th><th>Conflict: rewritten at</th></tr></thead><tbody>`,
    ...r.lostWrites.map(
      (w) =>
        `<tr${w.conflict ? ' class="sev-warn"' : ""}><td class="mono">${esc(w.table)}</td><td class="mono">${esc(w.key)}</td><td class="time mono">${esc(committed(w, time))}</td><td class="text">${esc(conflict(w, time))}</td></tr>`,
    ),
    "</tbody></table>",
  );
  const more = moreLostWrites(r, executionId);
  if (more) out.push(`<p class="sub" id="lost-writes-more">… ${esc(more)}.</p>`);
  return out.join("\n");
}
