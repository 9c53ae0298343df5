import { randomBytes } from "node:crypto";
import { closeSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { ExitCode, JournalTamperedError, UsageError } from "../errors.js";
import { loadJournal } from "../journal/load-journal.js";
import { executionsDir, journalPath, runbookHome } from "../journal/paths.js";
import { buildTimeline, NotAnExecutionJournalError } from "../report/build-timeline.js";
import { resolveExecutionId } from "../report/find-execution.js";
import { writeTimelineHtml } from "../report/html-timeline.js";
import { writeTimelineJson } from "../report/json-timeline.js";
import { writeTimelineMarkdown } from "../report/markdown-timeline.js";
import { TextSink } from "../report/text-sink.js";
import { isValidTimeZone } from "../report/time-format.js";
import type { Timeline } from "../report/timeline-model.js";
import { type CommandIO, writeLine } from "./io.js";

export type ReportFormat = "md" | "html" | "json";
const FORMATS: readonly ReportFormat[] = ["md", "html", "json"];

/** `--format` checked once for both report commands. */
export function checkFormat(format: string | undefined): ReportFormat {
  const f = format ?? "md";
  if (!(FORMATS as readonly string[]).includes(f)) {
    throw new UsageError(`unknown format "${f}"`, "Use --format md, --format html or --format json.");
  }
  return f as ReportFormat;
}

/**
 * Writes a report to `-o <file>` (relative to the working directory) or to stdout, as it is
 * rendered. A file appears whole or not at all: it is written beside and renamed.
 */
export function emitReport(
  render: string | ((sink: TextSink) => void),
  output: string | undefined,
  io: CommandIO,
  what: string,
): void {
  const write = (to: (chunk: string) => void) => {
    if (typeof render === "string") return to(render);
    const sink = new TextSink(to);
    render(sink);
    sink.flush();
  };
  if (output === undefined || output === "-") {
    write((chunk) => io.stdout.write(chunk));
    return;
  }
  const path = resolve(io.cwd, output);
  mkdirSync(dirname(path), { recursive: true });
  const partial = `${path}.${randomBytes(4).toString("hex")}.partial`;
  const fd = openSync(partial, "w");
  try {
    try {
      write((chunk) => writeSync(fd, chunk));
    } finally {
      closeSync(fd);
    }
    renameSync(partial, path);
  } catch (err) {
    rmSync(partial, { force: true });
    throw err;
  }
  writeLine(io.stderr, `${what} written to ${path}`);
}

/**
 * `runbook timeline <execution-id>`: the post-incident timeline, from the journal alone.
 * Exit 0, or 6 (`ExitCode.tampered`) when the journal fails its hash chain: the timeline is
 * still written, with the warning at the top.
 */
export async function timelineCommand(
  executionId: string,
  opts: { format?: "md" | "html" | "json"; output?: string; tz?: string },
  io: CommandIO,
): Promise<number> {
  const format = checkFormat(opts.format);
  if (opts.tz !== undefined && !isValidTimeZone(opts.tz)) {
    throw new UsageError(
      `unknown time zone "${opts.tz}"`,
      "Use an IANA zone such as UTC, Europe/Berlin or America/New_York.",
    );
  }
  const home = runbookHome(io.env, io.cwd);
  const found = resolveExecutionId(home, executionId);
  if (!("id" in found)) throw unknownExecution(executionId, home, found.candidates);

  const { read, verified } = await loadJournal(journalPath(home, found.id));
  let timeline: Timeline;
  try {
    timeline = buildTimeline(read, { verified });
  } catch (err) {
    if (!(err instanceof NotAnExecutionJournalError)) throw err;
    const path = journalPath(home, found.id);
    if (verified.ok) {
      // Intact but empty: the engine died before its first line was durable.
      throw new UsageError(`execution ${found.id} has no events yet: nothing to draw`, `Inspect ${path}`);
    }
    throw new JournalTamperedError(
      `journal of ${found.id} has no readable execution.started event: it is damaged or not a runbook journal`,
      `Inspect ${path}`,
    );
  }
  const display = opts.tz ? { tz: opts.tz } : {};
  const render =
    format === "json"
      ? (sink: TextSink) => writeTimelineJson(timeline, sink)
      : format === "html"
        ? (sink: TextSink) => writeTimelineHtml(timeline, sink, display)
        : (sink: TextSink) => writeTimelineMarkdown(timeline, sink, display);
  emitReport(render, opts.output, io, "timeline");
  if (!timeline.integrity.verified) {
    const p = timeline.integrity.problem;
    writeLine(
      io.stderr,
      `WARNING: journal integrity check FAILED at line ${p?.line ?? "?"}: ${p?.message ?? ""}`,
    );
    return ExitCode.tampered;
  }
  return ExitCode.completed;
}

function unknownExecution(wanted: string, home: string, candidates: string[]): UsageError {
  const dir = executionsDir(home);
  const shown = candidates.slice(0, 5).map((id) => `  ${id}`);
  const more = candidates.length > 5 ? [`  … and ${candidates.length - 5} more`] : [];
  const hint = [
    candidates.length > 0 ? "Known executions (newest first):" : `No executions under ${dir}.`,
    ...shown,
    ...more,
    "List every execution with: runbook history",
    `Execution ids are the directory names under ${dir} (RUNBOOK_HOME overrides .runbook).`,
  ].join("\n");
  return new UsageError(`no execution "${wanted}" under ${dir}`, hint);
}
