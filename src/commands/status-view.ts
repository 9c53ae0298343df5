import { achievedRtoMs, type ExecutionState, observedRpoMs, type StepState } from "../journal/fold.js";
import { formatDurationExact as exactDuration, formatDuration } from "../language/duration.js";
import { measuredRpoMs, plural } from "../report/objectives.js";

/** The step list and RTO clock, as text lines: `runbook status` prints it once, `run` redraws it live. */

const ICON: Record<StepState["status"], string> = {
  pending: "·",
  skipped: "↷",
  "awaiting-approval": "?",
  running: "▶",
  retrying: "↻",
  succeeded: "✔",
  failed: "✘",
};

const COLOR: Partial<Record<StepState["status"], string>> = {
  succeeded: "\x1b[32m",
  failed: "\x1b[31m",
  running: "\x1b[36m",
  retrying: "\x1b[33m",
  "awaiting-approval": "\x1b[35m",
  skipped: "\x1b[2m",
};

export function renderStatus(
  s: ExecutionState,
  now: Date,
  opts: { color: boolean; live?: string; progress?: ReadonlyMap<string, string> },
): string[] {
  const paint = (status: StepState["status"], text: string) =>
    opts.color && COLOR[status] ? `${COLOR[status]}${text}\x1b[0m` : text;
  const lines: string[] = [];
  const state = opts.live ?? s.status;
  const env = s.environmentSource ? `${s.environment} (from ${s.environmentSource})` : s.environment;
  lines.push(`${s.runbook.name} · ${env} · ${s.mode} · ${s.executionId}`);
  lines.push(
    `status: ${state}${s.failure ? ` — ${s.failure.stepId ?? ""}: ${s.failure.message}` : ""}${s.abort ? ` — abort: ${s.abort.reason}` : ""}`,
  );
  if (s.pausedAt) lines.push(`paused at ${s.pausedAt.stepId}: ${s.pausedAt.message}`);
  lines.push(rtoLine(s, now));
  if (s.reconciled) lines.push(reconciledLine(s, s.reconciled));
  lines.push("");
  const width = Math.max(...s.plan.map((p) => p.id.length + (p.parent ? 2 : 0)), 4);
  for (const p of s.plan) {
    const st = s.steps.get(p.id);
    if (!st) continue;
    if (p.phase === "onAbort" && st.status === "pending" && !s.abort) continue;
    const name = `${p.parent ? "  " : ""}${p.id}`.padEnd(width);
    const started = st.firstStartedAt ? Date.parse(st.firstStartedAt) : undefined;
    const end = st.endedAt ? Date.parse(st.endedAt) : now.getTime();
    const elapsed = started !== undefined && !p.parallel ? formatDuration(end - started) : "";
    const extra = [
      st.attempts > 1 ? `attempt ${st.attempts}` : "",
      st.alreadyInPlace ? (st.assumedBy ? `assumed done by ${st.assumedBy}` : "already in place") : "",
      st.status === "awaiting-approval"
        ? `waiting for approval (${st.approvals.length}/${st.gateRequested?.minApprovals ?? 1})`
        : "",
      // Why the last approval attempt did not count: the approver is waiting to hear it.
      st.status === "awaiting-approval" && st.refusals?.length
        ? `refused${st.refusals.at(-1)!.claimed ? ` ${st.refusals.at(-1)!.claimed}` : ""}: ${st.refusals.at(-1)!.reason}`
        : "",
      st.approvals.length && st.status !== "awaiting-approval"
        ? `approved by ${st.approvals.map((a) => a.by).join(", ")}`
        : "",
      st.inDoubt && state !== "running" ? "IN DOUBT (interrupted mid-step)" : "",
      st.status === "failed" || st.status === "retrying" ? (st.error?.message ?? "") : "",
      st.status === "running" ? (opts.progress?.get(p.id) ?? "") : "",
      st.status === "skipped" ? (st.skipReason ?? "") : "",
      p.milestone && st.status === "succeeded" ? `→ ${p.milestone}` : "",
    ].filter(Boolean);
    lines.push(
      `${paint(st.status, ICON[st.status])} ${name}  ${elapsed.padStart(7)}  ${extra.join(" · ")}`.trimEnd(),
    );
  }
  return lines;
}

/** `RPO reconciled 2.43s (bound 8.6s): 48 lost writes — runbook timeline <id>`: the exact figure, once known. */
function reconciledLine(s: ExecutionState, r: NonNullable<ExecutionState["reconciled"]>): string {
  const boundMs = measuredRpoMs(s) ?? r.boundMs;
  const bound = boundMs !== undefined ? ` (bound ${formatDuration(boundMs)})` : "";
  const conflicts = r.conflicts > 0 ? `, ${plural(r.conflicts, "conflict")}` : "";
  return `RPO reconciled ${exactDuration(r.rpoMs)}${bound}: ${plural(r.lostWritesTotal, "lost write")}${conflicts} — runbook timeline ${s.executionId}`;
}

function rtoLine(s: ExecutionState, now: Date): string {
  const objective = s.objectives.rtoMs;
  const achieved = achievedRtoMs(s);
  const rpo = observedRpoMs(s);
  const rpoText =
    rpo !== undefined
      ? ` · RPO observed ${formatDuration(rpo)}${s.objectives.rpoMs !== undefined ? ` / ${formatDuration(s.objectives.rpoMs)}` : ""}`
      : "";
  if (achieved !== undefined) {
    const verdict =
      objective === undefined ? "" : achieved <= objective ? " (within objective)" : " (OBJECTIVE MISSED)";
    return `RTO achieved ${formatDuration(achieved)}${objective !== undefined ? ` / objective ${formatDuration(objective)}` : ""}${verdict}${rpoText}`;
  }
  const declared = Date.parse(s.milestones.incident_declared ?? s.declaredAt);
  const end = s.endedAt ? Date.parse(s.endedAt) : now.getTime();
  const clock = formatDuration(end - declared);
  return `RTO clock ${clock}${objective !== undefined ? ` / objective ${formatDuration(objective)}` : ""} (service not yet restored)${rpoText}`;
}
