import type { TimelineEntry } from "./timeline-model.js";

/**
 * Rows of the printed chronology. A retry storm (one step failing and retrying many times
 * in a row) prints as its first failure plus one summary line: a reader wants to know it
 * happened, how long it lasted and how it ended, not to scroll through every attempt.
 * The JSON keeps every entry.
 */
export type ChronologyRow = { entry: TimelineEntry } | { storm: RetryStorm };

export interface RetryStorm {
  stepId: string;
  /** First and last entry folded into the summary line. */
  first: TimelineEntry;
  last: TimelineEntry;
  /** Index of `first` in the entries: the folded entries are `entries.slice(firstIndex, firstIndex + events)`. */
  firstIndex: number;
  events: number;
  failures: number;
  lastFailure: string;
}

/** `… 47 more failed attempts, each retried (95 events, until 03:00:02.600); last: …`. */
export function describeStorm(s: RetryStorm, clock: (iso: string) => string): string {
  const attempts = s.failures === 1 ? "attempt" : "attempts";
  return `… ${s.failures} more failed ${attempts}, each retried (${s.events} events, until ${clock(s.last.at)}); last: ${s.lastFailure}`;
}

/** Runs shorter than this (three failed attempts with their retries) print in full. */
export const MIN_STORM_EVENTS = 6;

export function chronologyRows(entries: readonly TimelineEntry[]): ChronologyRow[] {
  const rows: ChronologyRow[] = [];
  let i = 0;
  while (i < entries.length) {
    const e = entries[i]!;
    let j = i;
    if (e.kind === "retry" && e.stepId !== undefined) {
      while (
        j + 1 < entries.length &&
        entries[j + 1]?.kind === "retry" &&
        entries[j + 1]?.stepId === e.stepId
      )
        j++;
    }
    const run = j - i + 1;
    if (run < MIN_STORM_EVENTS) {
      rows.push({ entry: e });
      i++;
      continue;
    }
    rows.push({ entry: e });
    const rest = entries.slice(i + 1, j + 1);
    const failures = rest.filter((r) => r.eventType === "step.failed");
    const lastFailure = failures.at(-1) ?? e;
    const last = rest.at(-1) ?? e;
    rows.push({
      storm: {
        stepId: e.stepId ?? "",
        first: rest[0] ?? e,
        last,
        firstIndex: i + 1,
        events: rest.length,
        failures: failures.length,
        lastFailure: lastFailure.text,
      },
    });
    i = j + 1;
  }
  return rows;
}
