import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { DrillResult, ExpectedOutcome } from "../drill/drill-types.js";
import { runDrill } from "../drill/run-drill.js";
import { listScenarios } from "../drill/scenario.js";
import { ExitCode, UsageError } from "../errors.js";
import { readJournal } from "../journal/journal.js";
import { executionDir, journalPath } from "../journal/paths.js";
import { formatDuration } from "../language/duration.js";
import { parseInputPairs } from "../language/inputs.js";
import { chooseEnvironment } from "../project/project-config.js";
import { buildTimeline } from "../report/build-timeline.js";
import { renderTimelineMarkdown } from "../report/markdown-timeline.js";
import { homeOf } from "./executions.js";
import { type CommandIO, writeLine } from "./io.js";

export interface DrillCommandOptions {
  env?: string;
  scenario?: string;
  expect?: ExpectedOutcome;
  input?: string[];
  keepSandbox?: boolean;
  json?: boolean;
}

/** `runbook drill`: a rehearsal, judged; exit 0 when every expectation held. */
export async function drillCommand(
  runbook: string | undefined,
  opts: DrillCommandOptions,
  io: CommandIO,
): Promise<number> {
  if (!runbook) {
    writeLine(io.stdout, `Scenarios in drills/scenarios/: ${listScenarios(io.cwd).join(", ") || "(none)"}`);
    return ExitCode.completed;
  }
  if (opts.expect && !["completed", "aborted", "blocked"].includes(opts.expect)) {
    throw new UsageError(`--expect must be completed, aborted or blocked, not "${opts.expect}"`);
  }
  const log = (line: string) => (opts.json ? undefined : writeLine(io.stderr, `· ${line}`));
  const environment = chooseEnvironment(opts.env, io);
  if (environment && environment.source !== "--env")
    log(`environment ${environment.name} (from ${environment.source})`);
  const result = await runDrill(
    {
      runbook,
      ...(environment ? { env: environment.name } : {}),
      ...(opts.scenario ? { scenario: opts.scenario } : {}),
      ...(opts.expect ? { expect: opts.expect } : {}),
      inputs: parseInputPairs(opts.input ?? []),
    },
    new AbortController().signal,
    {
      cwd: io.cwd,
      env: io.env,
      log,
      ...(io.cliPath ? { cliPath: io.cliPath } : {}),
      ...(opts.keepSandbox ? { keepSandbox: true } : {}),
    },
  );
  const report = result.executionId ? writeReport(result, io) : undefined;
  if (opts.json) writeLine(io.stdout, JSON.stringify({ ...result, ...(report ? { report } : {}) }));
  else print(result, io, report);
  return result.verdict === "pass" ? ExitCode.completed : ExitCode.failed;
}

function print(r: DrillResult, io: CommandIO, report?: string): void {
  writeLine(
    io.stdout,
    `\nDrill of ${r.runbook}${r.scenario ? ` under ${r.scenario}` : ""}: ${r.verdict.toUpperCase()} (outcome ${r.outcome})`,
  );
  for (const e of r.expectations)
    writeLine(io.stdout, `  ${e.ok ? "✔" : "✘"} ${e.name.padEnd(24)} ${e.detail}`);
  const figures = [
    r.rtoMs !== undefined ? `RTO ${formatDuration(r.rtoMs)}` : "",
    r.rpoMs !== undefined ? `RPO ${formatDuration(r.rpoMs)}` : "",
  ].filter(Boolean);
  if (figures.length) writeLine(io.stdout, `  ${figures.join(" · ")}`);
  if (r.executionId)
    writeLine(io.stdout, `  execution ${r.executionId}${report ? ` · report ${report}` : ""}`);
}

/** The timeline of the rehearsal with the verdict of each expectation on top. */
function writeReport(r: DrillResult, io: CommandIO): string {
  const home = homeOf(io);
  const read = readJournal(journalPath(home, r.executionId!));
  const verdict = [
    `# Drill verdict: ${r.verdict.toUpperCase()}`,
    "",
    `Runbook ${r.runbook}${r.scenario ? `, scenario ${r.scenario}` : ""}, outcome ${r.outcome}.`,
    "",
    "| Expectation | Held | Detail |",
    "|---|---|---|",
    ...r.expectations.map(
      (e) => `| ${e.name} | ${e.ok ? "yes" : "**NO**"} | ${e.detail.replace(/\|/g, "\\|")} |`,
    ),
    "",
  ].join("\n");
  const path = join(executionDir(home, r.executionId!), "drill-report.md");
  writeFileSync(path, `${verdict}\n${renderTimelineMarkdown(buildTimeline(read))}`);
  return path;
}
