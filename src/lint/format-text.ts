import { countBySeverity, type LintReport } from "./finding.js";

/**
 * One line per finding, `file:line:col severity RBxxx message`, its fix indented under it,
 * then a summary. No colour and no wrapping: the same bytes on any terminal, in any CI log.
 */
export function formatText(report: LintReport): string {
  const lines: string[] = [];
  for (const f of report.findings) {
    lines.push(`${f.file}:${f.line}:${f.column} ${f.severity} ${f.ruleId} ${f.message}`);
    lines.push(`  fix: ${f.fix}`);
  }
  lines.push(summaryLine(report));
  return `${lines.join("\n")}\n`;
}

export function summaryLine(report: LintReport): string {
  const n = countBySeverity(report.findings);
  const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? "" : "s"}`;
  const parts = [plural(n.error, "error"), plural(n.warning, "warning"), plural(n.note, "note")];
  if (report.ignored.length > 0) parts.push(`${report.ignored.length} ignored (metadata.lint.ignore)`);
  const invalid = report.invalid > 0 ? `; ${report.invalid} invalid, not linted` : "";
  return `${plural(report.files, "runbook")} linted: ${parts.join(", ")}${invalid}`;
}
