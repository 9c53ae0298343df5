import { basename } from "node:path";
import type { ExecutorDefinition } from "../executor.js";
import type { Runbook } from "../language/runbook.js";
import { SourceMap } from "../language/source-map.js";
import type { Finding, IgnoredFinding, RawFinding } from "./finding.js";
import { compareFindings } from "./finding.js";
import type { LintContext, Rule } from "./lint-context.js";
import { rtoBelowCriticalPath } from "./rto-budget.js";
import { ruleById } from "./rule-catalog.js";
import {
  promotionWithoutLagCheck,
  trafficBeforePromotion,
  trafficWithoutPromotion,
  undoSkippedPastPointOfNoReturn,
} from "./rules-order.js";
import {
  noAbortCriteria,
  noCapacityStep,
  noFailbackTwin,
  noSecretsKmsCheck,
  oneRegionJobsNotMoved,
  shallowHealthValidation,
} from "./rules-readiness.js";
import { hardCodedRegionOrArn, secretInputDefault } from "./rules-source.js";
import { runbookProfile } from "./runbook-facts.js";

const CHECKS: readonly Rule[] = [
  trafficBeforePromotion,
  promotionWithoutLagCheck,
  trafficWithoutPromotion,
  shallowHealthValidation,
  noAbortCriteria,
  undoSkippedPastPointOfNoReturn,
  hardCodedRegionOrArn,
  noFailbackTwin,
  noSecretsKmsCheck,
  oneRegionJobsNotMoved,
  noCapacityStep,
  rtoBelowCriticalPath,
  secretInputDefault,
];

export interface LintInput {
  /** The validated runbook (validateRunbook's result for `text`). */
  runbook: Runbook;
  text: string;
  /** As shown to the user; findings carry it. */
  file: string;
  registry: ReadonlyMap<string, ExecutorDefinition>;
  /** File names in the runbook's folder. */
  siblings: readonly string[];
}

/** Lint one valid runbook. Pure: the caller reads the file and lists its folder. */
export function lintRunbook(input: LintInput): { findings: Finding[]; ignored: IgnoredFinding[] } {
  const map = new SourceMap(input.file, input.text);
  const ctx: LintContext = {
    rb: input.runbook,
    map,
    profile: runbookProfile(input.runbook, input.registry),
    registry: input.registry,
    siblings: input.siblings,
    fileName: basename(input.file),
  };
  const place = (raw: RawFinding): Finding => {
    const rule = ruleById(raw.ruleId)!;
    const at = map.at(raw.path, { key: raw.key === true });
    return {
      ruleId: rule.id,
      rule: rule.name,
      severity: rule.severity,
      message: raw.message,
      fix: raw.fix ?? rule.fix,
      file: input.file,
      line: at.line,
      column: at.col,
    };
  };
  const raw = CHECKS.flatMap((check) => check(ctx));
  const ignores = ignoresOf(map);
  const findings: Finding[] = [];
  const ignored: IgnoredFinding[] = [];
  for (const f of raw) {
    const reason = f.ruleId === "RB000" ? undefined : ignores.get(f.ruleId);
    if (reason === undefined) findings.push(place(f));
    else ignored.push({ ...place(f), reason });
  }
  for (const id of ignores.keys()) {
    const path = ["metadata", "lint", "ignore", id];
    const rule = ruleById(id);
    if (!rule || id === "RB000")
      findings.push(
        place({
          ruleId: "RB000",
          path,
          key: true,
          message: rule
            ? "RB000 cannot be ignored"
            : `metadata.lint.ignore names ${id}, which is no lint rule`,
        }),
      );
    else if (!raw.some((f) => f.ruleId === id))
      findings.push(
        place({
          ruleId: "RB014",
          path,
          key: true,
          message: `${id} (${rule.name}) reports nothing here: this ignore is not needed`,
        }),
      );
  }
  return { findings: findings.sort(compareFindings), ignored: ignored.sort(compareFindings) };
}

/** `metadata.lint.ignore` as written (validation has checked its shape). */
function ignoresOf(map: SourceMap): Map<string, string> {
  const doc = map.value() as { metadata?: { lint?: { ignore?: Record<string, string> } } };
  return new Map(Object.entries(doc.metadata?.lint?.ignore ?? {}).map(([id, why]) => [id, why.trim()]));
}
