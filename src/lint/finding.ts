import type { Path } from "../language/source-map.js";

/** As SARIF names its levels: `error` fails `runbook lint`, `warning` and `note` do not. */
export type Severity = "error" | "warning" | "note";

/** What a rule reports: where (a path into the YAML document) and what; the catalog adds the rest. */
export interface RawFinding {
  ruleId: string;
  path: Path;
  /** Point at the mapping key rather than its value. */
  key?: boolean;
  message: string;
  /** Replaces the rule's fix hint when the finding knows better (figures of its own). */
  fix?: string;
}

/** A finding placed in its file, as every output format prints it. */
export interface Finding {
  ruleId: string;
  rule: string;
  severity: Severity;
  message: string;
  fix: string;
  /** As shown to the user: relative to the working directory when under it, else absolute. */
  file: string;
  line: number;
  column: number;
}

/** A finding `metadata.lint.ignore` silenced, with the reason the runbook gives. */
export interface IgnoredFinding extends Finding {
  reason: string;
}

export interface LintReport {
  findings: Finding[];
  ignored: IgnoredFinding[];
  /** Runbooks linted (valid ones). */
  files: number;
  /** Runbooks that failed validation and were not linted. */
  invalid: number;
}

/** Stable order for every format: file, line, column, rule id. */
export function compareFindings(a: Finding, b: Finding): number {
  return (
    compareText(a.file, b.file) ||
    a.line - b.line ||
    a.column - b.column ||
    compareText(a.ruleId, b.ruleId) ||
    compareText(a.message, b.message)
  );
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function countBySeverity(findings: readonly Finding[]): Record<Severity, number> {
  const counts = { error: 0, warning: 0, note: 0 };
  for (const f of findings) counts[f.severity]++;
  return counts;
}
