import { readJournal } from "../journal/journal.js";
import { journalPath } from "../journal/paths.js";
import { buildTimeline } from "./build-timeline.js";
import { listExecutionIds } from "./find-execution.js";
import type { Timeline } from "./timeline-model.js";

/** Every execution under a runbook home as a timeline; journals that are not executions are listed apart. */
export function loadExecutionTimelines(home: string): {
  timelines: Timeline[];
  unreadable: { executionId: string; reason: string }[];
} {
  const timelines: Timeline[] = [];
  const unreadable: { executionId: string; reason: string }[] = [];
  for (const id of listExecutionIds(home)) {
    try {
      timelines.push(buildTimeline(readJournal(journalPath(home, id))));
    } catch (err) {
      unreadable.push({ executionId: id, reason: err instanceof Error ? err.message : String(err) });
    }
  }
  return { timelines, unreadable };
}
