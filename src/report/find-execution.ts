import { existsSync, readdirSync } from "node:fs";
import { executionsDir, journalPath } from "../journal/paths.js";

/** Execution ids present under a runbook home, newest first (ids sort by start time). */
export function listExecutionIds(home: string): string[] {
  const dir = executionsDir(home);
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(journalPath(home, d.name)))
    .map((d) => d.name)
    .sort()
    .reverse();
}

export type Resolution = { id: string } | { candidates: string[] };

/**
 * An exact id, or the one id a prefix names (ids are long; operators paste the start).
 * Ids with path separators are never looked up.
 */
export function resolveExecutionId(home: string, wanted: string): Resolution {
  if (wanted.length === 0 || /[/\\]|^\.\.?$/.test(wanted)) return { candidates: [] };
  const ids = listExecutionIds(home);
  if (ids.includes(wanted)) return { id: wanted };
  const matches = ids.filter((id) => id.startsWith(wanted));
  if (matches.length === 1 && matches[0] !== undefined) return { id: matches[0] };
  return { candidates: matches.length > 0 ? matches : ids };
}
