import { chartedSteps } from "./labels.js";
import type { TimeDisplay } from "./time-format.js";
import type { StepSpan, Timeline } from "./timeline-model.js";

/** Mermaid draws thousands of tasks badly; past this the chart says how many it left out. */
export const MAX_GANTT_TASKS = 200;

// Words the gantt lexer reads as statements when they start a line.
const KEYWORDS =
  /^(gantt|dateformat|axisformat|tickinterval|includes|excludes|todaymarker|title|acctitle|accdescr|section|weekday|weekend|inclusiveenddates|topaxis|displaymode|click)\b/i;

/** Text safe as a gantt task or section name: no `:`, `#`, `;` or line breaks, no leading keyword. */
export function sanitizeGanttText(text: string): string {
  const cleaned = text
    .replace(/[:#;\r\n%]+/g, " ")
    .replace(/\s+/g, " ")
    .trim();
  if (cleaned.length === 0) return "step";
  return KEYWORDS.test(cleaned) ? `step ${cleaned}` : cleaned;
}

/**
 * A Mermaid `gantt` of the steps. Times are wall-clock in the display zone with
 * milliseconds (`dateFormat YYYY-MM-DD HH:mm:ss.SSS`), so the axis matches the tables
 * whatever zone the viewer's browser is in. Unfinished steps run to the last event.
 */
export function renderGantt(t: Timeline, time: TimeDisplay): string {
  const charted = chartedSteps(t.steps);
  const drawn = charted.slice(0, MAX_GANTT_TASKS);
  const lines = [
    "gantt",
    `    title ${sanitizeGanttText(`${t.header.runbook.name} ${t.header.environment} ${t.header.mode} (${time.zone})`)}`,
    "    dateFormat YYYY-MM-DD HH:mm:ss.SSS",
    `    axisFormat ${axisFormat(t)}`,
  ];
  let section = "";
  drawn.forEach((s, i) => {
    const name = sectionOf(s);
    if (name !== section) {
      section = name;
      lines.push(`    section ${sanitizeGanttText(name)}`);
    }
    const end = s.endedAt ?? t.header.endedAt ?? t.header.lastEventAt;
    lines.push(
      `    ${sanitizeGanttText(s.id)} :${tags(s)}s${i + 1}, ${time.wall(s.startedAt ?? end)}, ${time.wall(end)}`,
    );
  });
  if (t.milestones.length > 0) {
    lines.push("    section Milestones");
    t.milestones.forEach((m, i) => {
      lines.push(
        `    ${sanitizeGanttText(m.name)} :milestone, m${i + 1}, ${time.wall(m.at)}, ${time.wall(m.at)}`,
      );
    });
  }
  if (charted.length > drawn.length)
    lines.push(`    %% ${charted.length - drawn.length} more steps not drawn`);
  return lines.join("\n");
}

function sectionOf(s: StepSpan): string {
  if (s.phase === "onAbort") return "onAbort";
  return s.parent ? `${s.parent} (parallel)` : "Main";
}

function tags(s: StepSpan): string {
  switch (s.status) {
    case "succeeded":
    case "skipped":
      return "done, ";
    case "failed":
    case "declined":
      return "crit, done, ";
    case "in doubt":
      return "crit, active, ";
    case "running":
    case "awaiting approval":
      return "active, ";
    default:
      return "";
  }
}

function axisFormat(t: Timeline): string {
  const end = Date.parse(t.header.endedAt ?? t.header.lastEventAt);
  const span = end - Date.parse(t.header.startedAt);
  return span > 86_400_000 ? "%m-%d %H:%M" : "%H:%M:%S";
}
