import type { Timeline } from "./timeline-model.js";

/** The timeline as data (docs/timeline-schema.md): UTC instants, millisecond durations. */
export function renderTimelineJson(t: Timeline): string {
  return `${JSON.stringify(t, null, 2)}\n`;
}
