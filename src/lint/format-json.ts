import { countBySeverity, type LintReport } from "./finding.js";

/**
 * `runbook lint --format json`, a stable shape (README "Lint"):
 * `{ findings: [{ ruleId, rule, severity, message, fix, file, line, column }],
 *    ignored: [… the same, and reason], summary: { files, invalid, errors, warnings, notes, ignored } }`,
 * sorted by file, line, column, rule; keys always in this order.
 */
export function formatJson(report: LintReport): string {
  const n = countBySeverity(report.findings);
  const finding = (f: LintReport["findings"][number]) => ({
    ruleId: f.ruleId,
    rule: f.rule,
    severity: f.severity,
    message: f.message,
    fix: f.fix,
    file: f.file,
    line: f.line,
    column: f.column,
  });
  const out = {
    findings: report.findings.map(finding),
    ignored: report.ignored.map((f) => ({ ...finding(f), reason: f.reason })),
    summary: {
      files: report.files,
      invalid: report.invalid,
      errors: n.error,
      warnings: n.warning,
      notes: n.note,
      ignored: report.ignored.length,
    },
  };
  return `${JSON.stringify(out, null, 2)}\n`;
}
