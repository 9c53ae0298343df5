import { formatDurationExact as exactDuration, formatDuration } from "../language/duration.js";
import { mdCell, mdCode } from "./md-cell.js";
import { plural } from "./objectives.js";
import { moreLostWrites } from "./reconciliation.js";
import { formatOffset, type TimeDisplay } from "./time-format.js";
import type { LostWrite, Reconciliation } from "./timeline-model.js";

/** `## Data lost (reconciled)`: what `runbook reconcile` found on the old primary. */
export function reconciliationMarkdown(r: Reconciliation, executionId: string, time: TimeDisplay): string[] {
  const bound =
    r.boundMs !== undefined
      ? `the bound measured during the failover was ${formatDuration(r.boundMs)}`
      : "no bound was measured during the failover";
  const out = [
    "## Data lost (reconciled)",
    "",
    `Reconciled at ${time.full(r.at)} (${formatOffset(r.offsetMs)}) by ${mdCell(r.operator)}${r.host ? ` on ${mdCell(r.host)}` : ""}, ` +
      `from the old primary's data: RPO **${exactDuration(r.rpoMs)}** exact; ${bound}. ` +
      `${plural(r.lostWritesTotal, "lost write")}, ${plural(r.conflicts, "conflict")}, ${r.replayCount} can be replayed without overwriting newer data.`,
    "",
    "| | |",
    "|---|---|",
    `| Old primary | ${mdCode(r.oldPrimary)} |`,
    `| Promoted | ${mdCode(r.promoted)} |`,
    `| Last commit on the old primary | ${time.iso(r.lastCommittedAt)} |`,
    `| Last of its commits replicated | ${time.iso(r.lastReplicatedAt)} |`,
    `| Heartbeats (${mdCode(r.heartbeat.table)}) | last written ${time.iso(r.heartbeat.lastWrittenAt)}, last replicated ${time.iso(r.heartbeat.lastReplicatedAt)}: ${exactDuration(r.heartbeat.rpoMs)} apart, ${r.heartbeat.lost} lost |`,
    "",
  ];
  if (r.tables.length > 0) {
    out.push(
      "| Table | Key column | Rows compared | Lost | Conflicts |",
      "|---|---|---|---|---|",
      ...r.tables.map(
        (t) => `| ${mdCode(t.name)} | ${mdCode(t.key)} | ${t.compared} | ${t.lost} | ${t.conflicts} |`,
      ),
      "",
    );
  }
  if (r.lostWritesTotal === 0) {
    out.push("No application write was lost.", "");
    return out;
  }
  const which =
    r.lostWritesShown < r.lostWritesTotal
      ? `first ${r.lostWritesShown} of ${r.lostWritesTotal}, oldest first`
      : `all ${r.lostWritesTotal}, oldest first`;
  out.push(
    `### Lost writes (${which})`,
    "",
    `| Table | Key | Committed at (${time.zone}) | Conflict: rewritten at |`,
    "|---|---|---|---|",
    ...r.lostWrites.map(
      (w) =>
        `| ${mdCode(w.table)} | ${mdCode(w.key)} | ${mdCell(committed(w, time))} | ${mdCell(conflict(w, time))} |`,
    ),
    "",
  );
  const more = moreLostWrites(r, executionId);
  if (more) out.push(`_… ${mdCell(more)}._`, "");
  return out;
}

export function committed(w: LostWrite, time: TimeDisplay): string {
  if (w.committedAt !== undefined) return time.iso(w.committedAt);
  return w.version !== undefined ? `version ${w.version}` : "—";
}

export function conflict(w: LostWrite, time: TimeDisplay): string {
  if (!w.conflict) return "no";
  if (w.conflict.rewrittenAt !== undefined) return `yes: ${time.iso(w.conflict.rewrittenAt)}`;
  return w.conflict.version !== undefined ? `yes: now version ${w.conflict.version}` : "yes";
}
