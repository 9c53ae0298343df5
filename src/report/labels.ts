import { formatDuration } from "../language/duration.js";
import type { ObjectiveResult, Outcome, Resume, StepSpan, Verdict } from "./timeline-model.js";

/** Words and small formatting shared by the Markdown and HTML renderers, so both say the same. */

export function verdictLabel(v: Verdict): string {
  return v === "pass" ? "PASS" : v === "fail" ? "FAIL" : "unknown";
}

export function outcomeLabel(o: Outcome): string {
  return o.toUpperCase();
}

export function durationOrDash(ms: number | undefined): string {
  return ms === undefined ? "—" : formatDuration(ms);
}

/** `3m34s of 5m00s (1m26s to spare)` / `8m43s of 5m00s (3m43s over)`. */
export function objectiveMargin(r: ObjectiveResult): string {
  if (r.actualMs === undefined || r.objectiveMs === undefined) return "";
  const diff = r.objectiveMs - r.actualMs;
  return diff >= 0 ? `${formatDuration(diff)} to spare` : `${formatDuration(-diff)} over`;
}

/** One short note per step: what an incident commander wants next to the bar. */
export function stepNotes(s: StepSpan): string {
  const notes: string[] = [];
  if (s.parallel) notes.push("parallel block");
  if (s.parent) notes.push(`in ${s.parent}`);
  if (s.phase === "onAbort") notes.push("onAbort");
  if (s.pointOfNoReturn) notes.push("point of no return");
  if (s.milestone) notes.push(`milestone ${s.milestone}`);
  if (s.alreadyInPlace) notes.push("already in place, not run");
  if (s.assumedBy) notes.push(`marked done by ${s.assumedBy} (--assume-done)`);
  if (s.attempts > 1 && !s.parallel) notes.push(`${s.attempts} attempts`);
  if (s.account) notes.push(`in account ${s.account}${s.principal ? ` as ${roleOf(s.principal)}` : ""}`);
  for (const a of s.approvals)
    notes.push(`approved by ${a.by} (${a.via}${a.proof ? `, proven by ${a.proof.method}` : ""})`);
  if (s.declined)
    notes.push(
      `declined by ${s.declined.by}${s.declined.proof ? ` (proven by ${s.declined.proof.method})` : ""}${s.declined.reason ? `: ${s.declined.reason}` : ""}`,
    );
  if (s.skipReason) notes.push(`skipped: ${s.skipReason.replace(/^skipped: /, "")}`);
  if (s.error && s.status !== "succeeded") notes.push(`${s.error.class}: ${s.error.message}`);
  return notes.join("; ");
}

/** Steps drawn on a chart: those that started (a parallel block is drawn as its children). */
export function chartedSteps(steps: readonly StepSpan[]): StepSpan[] {
  return steps.filter((s) => !s.parallel && s.startedAt !== undefined);
}

export function shortHash(hash: string): string {
  return hash.slice(0, 16);
}

/** `engine down 6m06s`: what the quiet stretch before a resume was. */
export function idleLabel(r: Resume): string {
  const what = r.after === "crash" ? "engine down" : r.after === "pause" ? "paused" : `stopped (${r.after})`;
  return `${what} ${formatDuration(r.idleMs)}`;
}

/** `dave on dave-x1 after a crash (engine down 6m06s)`. */
export function resumeLabel(r: Resume): string {
  const after = r.after === "crash" ? "a crash" : r.after === "pause" ? "a pause" : `the ${r.after}`;
  return `${r.operator} on ${r.host} after ${after} (${idleLabel(r)})`;
}

/** `arn:aws:sts::222222222222:assumed-role/arc/alice+run-1` → `assumed-role/arc` (the session name is the run's). */
function roleOf(principal: string): string {
  const resource = principal.split(":").slice(5).join(":");
  return resource.startsWith("assumed-role/")
    ? resource.split("/").slice(0, 2).join("/")
    : resource || principal;
}
