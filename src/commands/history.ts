import { ExitCode, UsageError } from "../errors.js";
import { executionsDir, runbookHome } from "../journal/paths.js";
import { renderHistoryHtml } from "../report/history-html.js";
import { renderHistoryMarkdown } from "../report/history-markdown.js";
import { buildHistory, type History } from "../report/history-model.js";
import { loadExecutionTimelines } from "../report/load-executions.js";
import type { CommandIO } from "./io.js";
import { checkFormat, emitReport } from "./timeline.js";

/**
 * `runbook history [<runbook>]`: every execution and drill, RTO/RPO over time against the
 * objectives, regressions called out. Exit 0, or 6 when a journal fails its hash chain.
 */
export async function historyCommand(
  runbook: string | undefined,
  opts: { format?: "md" | "html" | "json"; output?: string },
  io: CommandIO,
): Promise<number> {
  const format = checkFormat(opts.format);
  const home = runbookHome(io.env, io.cwd);
  const { timelines, unreadable } = loadExecutionTimelines(home);
  const selected =
    runbook === undefined ? timelines : timelines.filter((t) => t.header.runbook.name === runbook);
  if (runbook !== undefined && selected.length === 0) {
    const known = [...new Set(timelines.map((t) => t.header.runbook.name))].sort();
    throw new UsageError(
      `no executions of runbook "${runbook}" under ${executionsDir(home)}`,
      known.length > 0 ? `Runbooks with executions: ${known.join(", ")}` : "No executions recorded yet.",
    );
  }
  const history: History = buildHistory(selected, runbook === undefined ? unreadable : []);
  const text =
    format === "json"
      ? `${JSON.stringify(history, null, 2)}\n`
      : format === "html"
        ? renderHistoryHtml(history)
        : renderHistoryMarkdown(history);
  emitReport(text, opts.output, io, "history");
  return history.tampered.length > 0 ? ExitCode.tampered : ExitCode.completed;
}
