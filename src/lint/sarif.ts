import { isAbsolute, sep } from "node:path";
import { pathToFileURL } from "node:url";
import type { Location, Log, ReportingDescriptor, Result } from "sarif";
import { compareFindings, type Finding, type IgnoredFinding, type LintReport } from "./finding.js";
import { RULES } from "./rule-catalog.js";

/**
 * SARIF 2.1.0 for GitHub code scanning (`github/codeql-action/upload-sarif`): one run, every
 * rule in the driver (so an alert's rule is described even where it did not fire), results
 * in the stable lint order, silenced ones with an in-source suppression and its reason. Nothing
 * depends on the clock or the machine: the same runbooks give the same bytes.
 */

export const SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json";

export function toSarif(report: LintReport, tool: { version: string }): Log {
  const rules: ReportingDescriptor[] = RULES.map((r) => ({
    id: r.id,
    name: r.name,
    shortDescription: { text: r.summary },
    fullDescription: { text: `${r.description} Applies to ${r.appliesTo}.` },
    help: { text: r.fix },
    defaultConfiguration: { level: r.severity },
  }));
  const index = new Map(RULES.map((r, i) => [r.id, i]));
  const all: (Finding | IgnoredFinding)[] = [...report.findings, ...report.ignored].sort(compareFindings);
  const results: Result[] = all.map((f) => ({
    ruleId: f.ruleId,
    ruleIndex: index.get(f.ruleId)!,
    level: f.severity,
    message: { text: f.fix === ruleFix(f.ruleId) ? f.message : `${f.message}. Fix: ${f.fix}` },
    locations: [location(f)],
    ...("reason" in f ? { suppressions: [{ kind: "inSource" as const, justification: f.reason }] } : {}),
  }));
  return {
    $schema: SARIF_SCHEMA,
    version: "2.1.0",
    runs: [
      {
        // No informationUri: the rules are documented in the README's "Lint" section, and the
        // project has no public URL to point at; a made-up one would send readers nowhere.
        tool: { driver: { name: "runbook", version: tool.version, rules } },
        columnKind: "utf16CodeUnits",
        results,
      },
    ],
  };
}

export function formatSarif(report: LintReport, tool: { version: string }): string {
  return `${JSON.stringify(toSarif(report, tool), null, 2)}\n`;
}

function ruleFix(id: string): string | undefined {
  return RULES.find((r) => r.id === id)?.fix;
}

/**
 * A file under the working directory as a relative URI against %SRCROOT% (the repository
 * root when CI runs lint there); one outside it as an absolute file: URI.
 */
function location(f: Finding): Location {
  const region = { startLine: f.line, startColumn: f.column };
  if (isAbsolute(f.file)) {
    return { physicalLocation: { artifactLocation: { uri: pathToFileURL(f.file).href }, region } };
  }
  const uri = f.file.split(sep).join("/").split("/").map(encodeURIComponent).join("/");
  return { physicalLocation: { artifactLocation: { uri, uriBaseId: "%SRCROOT%" }, region } };
}
