import { collectText, type TextSink } from "./text-sink.js";
import type { Timeline } from "./timeline-model.js";

/** The timeline as data (docs/timeline-schema.md): UTC instants, millisecond durations. */
export function renderTimelineJson(t: Timeline): string {
  return collectText((sink) => writeTimelineJson(t, sink));
}

/**
 * The same text as `JSON.stringify(t, null, 2)`, written element by element: the entries of a
 * 100,000-event journal never become one string.
 */
export function writeTimelineJson(t: Timeline, sink: TextSink): void {
  const fields = Object.entries(t).filter(([, v]) => v !== undefined);
  sink.line("{");
  fields.forEach(([key, value], i) => {
    const comma = i < fields.length - 1 ? "," : "";
    if (!Array.isArray(value) || value.length === 0) {
      sink.line(`  ${JSON.stringify(key)}: ${indent(JSON.stringify(value, null, 2), "  ")}${comma}`);
      return;
    }
    sink.line(`  ${JSON.stringify(key)}: [`);
    const last = value.length - 1;
    value.forEach((item, j) => {
      sink.line(`    ${indent(JSON.stringify(item ?? null, null, 2), "    ")}${j < last ? "," : ""}`);
    });
    sink.line(`  ]${comma}`);
  });
  sink.line("}");
}

function indent(json: string, by: string): string {
  return json.includes("\n") ? json.replaceAll("\n", `\n${by}`) : json;
}
