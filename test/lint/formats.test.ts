import { describe, expect, it } from "vitest";
import type { LintReport } from "../../src/lint/finding.js";
import { formatJson } from "../../src/lint/format-json.js";
import { formatText } from "../../src/lint/format-text.js";

const report: LintReport = {
  files: 2,
  invalid: 1,
  findings: [
    {
      ruleId: "RB001",
      rule: "traffic-before-promotion",
      severity: "error",
      message: '"shift" shifts traffic before the database is promoted by "promote"',
      fix: "Move the traffic step after the promotion.",
      file: "runbooks/failover-a.yaml",
      line: 12,
      column: 5,
    },
    {
      ruleId: "RB014",
      rule: "unused-lint-ignore",
      severity: "note",
      message: "RB013 (secret-input-default) reports nothing here: this ignore is not needed",
      fix: "Remove the entry from metadata.lint.ignore.",
      file: "runbooks/failover-a.yaml",
      line: 20,
      column: 7,
    },
  ],
  ignored: [
    {
      ruleId: "RB010",
      rule: "one-region-jobs-not-moved",
      severity: "warning",
      message: "no step moves one-region jobs",
      fix: "Add events.set-rules.",
      file: "runbooks/failover-b.yaml",
      line: 4,
      column: 9,
      reason: "no jobs",
    },
  ],
};

describe("lint output formats", () => {
  it("text: a line per finding with its fix under it, then the summary", () => {
    expect(formatText(report)).toBe(
      [
        'runbooks/failover-a.yaml:12:5 error RB001 "shift" shifts traffic before the database is promoted by "promote"',
        "  fix: Move the traffic step after the promotion.",
        "runbooks/failover-a.yaml:20:7 note RB014 RB013 (secret-input-default) reports nothing here: this ignore is not needed",
        "  fix: Remove the entry from metadata.lint.ignore.",
        "2 runbooks linted: 1 error, 0 warnings, 1 note, 1 ignored (metadata.lint.ignore); 1 invalid, not linted",
        "",
      ].join("\n"),
    );
  });

  it("text: nothing found is one summary line", () => {
    expect(formatText({ files: 1, invalid: 0, findings: [], ignored: [] })).toBe(
      "1 runbook linted: 0 errors, 0 warnings, 0 notes\n",
    );
  });

  it("json: the documented shape, keys in a fixed order", () => {
    const out = JSON.parse(formatJson(report));
    expect(Object.keys(out)).toEqual(["findings", "ignored", "summary"]);
    expect(Object.keys(out.findings[0])).toEqual([
      "ruleId",
      "rule",
      "severity",
      "message",
      "fix",
      "file",
      "line",
      "column",
    ]);
    expect(out.ignored[0]).toMatchObject({ ruleId: "RB010", reason: "no jobs" });
    expect(out.summary).toEqual({ files: 2, invalid: 1, errors: 1, warnings: 0, notes: 1, ignored: 1 });
  });
});
