import { readdirSync } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import { executors } from "../../executors/index.js";
import { ExitCode, formatDiagnostic, UsageError, ValidationError } from "../errors.js";
import { readSourceText, UnreadableFileError } from "../language/source-text.js";
import { validateRunbook } from "../language/validate.js";
import { compareFindings, countBySeverity, type LintReport } from "../lint/finding.js";
import { formatJson } from "../lint/format-json.js";
import { formatText } from "../lint/format-text.js";
import { lintRunbook } from "../lint/lint-runbook.js";
import { RULES } from "../lint/rule-catalog.js";
import { formatSarif } from "../lint/sarif.js";
import { type CommandIO, writeLine } from "./io.js";
import { defaultRunbooks, shownPath } from "./validate.js";

declare const __RUNBOOK_VERSION__: string;
const VERSION = typeof __RUNBOOK_VERSION__ === "string" ? __RUNBOOK_VERSION__ : "dev";

export const LINT_FORMATS = ["text", "json", "sarif"] as const;
export type LintFormat = (typeof LINT_FORMATS)[number];

export interface LintOptions {
  format?: LintFormat;
  /** Warnings fail too (exit 1). */
  strict?: boolean;
  /** Print the rules instead of linting. */
  rules?: boolean;
  /** The tool version SARIF reports (default: this build's). */
  version?: string;
}

/** `runbook lint [files…]`: exit 2 when a file is invalid, 1 when a finding is an error, else 0. */
export async function lintCommand(files: string[], opts: LintOptions, io: CommandIO): Promise<number> {
  if (opts.rules) {
    io.stdout.write(rulesListing());
    return ExitCode.completed;
  }
  const format = opts.format ?? "text";
  if (!LINT_FORMATS.includes(format))
    throw new UsageError(`--format: expected text, json or sarif, not "${format}"`);
  const targets = files.length > 0 ? files : defaultRunbooks(io.cwd, "lint");
  return lintFiles(targets, io, { ...opts, format });
}

/**
 * Validate then lint each file. Invalid ones are reported on stderr as `validate` reports
 * them (unless `quietInvalid`: `validate --lint` has just done so) and are not linted.
 */
export async function lintFiles(
  targets: readonly string[],
  io: CommandIO,
  opts: LintOptions & { quietInvalid?: boolean } = {},
): Promise<number> {
  const report: LintReport = { findings: [], ignored: [], files: 0, invalid: 0 };
  for (const file of targets) {
    const path = resolve(io.cwd, file);
    const shown = shownPath(path, io.cwd);
    let text: string;
    let runbook: ReturnType<typeof validateRunbook>;
    try {
      text = readSourceText(path, shown);
      runbook = validateRunbook(text, shown, executors, { runbookDir: dirname(path) });
    } catch (err) {
      report.invalid++;
      if (opts.quietInvalid) continue;
      if (err instanceof UnreadableFileError)
        writeLine(io.stderr, `${shown}: cannot read file (${err.reason})`);
      else if (err instanceof ValidationError) {
        for (const d of err.diagnostics) writeLine(io.stderr, formatDiagnostic(d));
      } else throw err;
      continue;
    }
    const result = lintRunbook({
      runbook,
      text,
      file: shown,
      registry: executors,
      siblings: siblingsOf(path),
    });
    report.findings.push(...result.findings);
    report.ignored.push(...result.ignored);
    report.files++;
  }
  if (report.invalid > 0 && !opts.quietInvalid) {
    const n = targets.length;
    writeLine(io.stderr, `${report.invalid} of ${n} runbook${n === 1 ? "" : "s"} invalid`);
  }
  const format = opts.format ?? "text";
  const all = sorted(report);
  io.stdout.write(
    format === "json"
      ? formatJson(all)
      : format === "sarif"
        ? formatSarif(all, { version: opts.version ?? VERSION })
        : formatText(all),
  );
  const n = countBySeverity(report.findings);
  if (report.invalid > 0) return ExitCode.invalid;
  return n.error > 0 || (opts.strict && n.warning > 0) ? ExitCode.failed : ExitCode.completed;
}

/** Files given in any order (or twice) give one report in one order. */
function sorted(report: LintReport): LintReport {
  return {
    ...report,
    findings: [...report.findings].sort(compareFindings),
    ignored: [...report.ignored].sort(compareFindings),
  };
}

function siblingsOf(path: string): string[] {
  try {
    return readdirSync(dirname(path)).filter((f) => f !== basename(path));
  } catch {
    return [];
  }
}

/** `runbook lint --rules`: every rule, what it applies to, and its fix. */
export function rulesListing(): string {
  return `${RULES.map(
    (r) => `${r.id} ${r.name} (${r.severity}; ${r.appliesTo})\n  ${r.summary}\n  fix: ${r.fix}\n`,
  ).join("\n")}`;
}
