import type { ExecutorDefinition } from "../executor.js";
import type { Runbook } from "../language/runbook.js";
import type { SourceMap } from "../language/source-map.js";
import type { RawFinding } from "./finding.js";
import type { RunbookProfile } from "./runbook-facts.js";

/** What every rule is given: one valid runbook, its source, and what is beside it. */
export interface LintContext {
  rb: Runbook;
  /** The same text, parsed again: positions and the document as written. */
  map: SourceMap;
  profile: RunbookProfile;
  registry: ReadonlyMap<string, ExecutorDefinition>;
  /** File names in the runbook's folder (for the failback twin). */
  siblings: readonly string[];
  /** The runbook's file name without its folder. */
  fileName: string;
}

export type Rule = (ctx: LintContext) => RawFinding[];
