import { randomBytes } from "node:crypto";
import { join, resolve } from "node:path";
import { findProject } from "../project/project-config.js";

/**
 * Where executions, locks and the sandbox live: `$RUNBOOK_HOME`, else the project's `home`
 * (runbook.config.yaml; default `.runbook` beside it), else `.runbook` in the working directory.
 */
export function runbookHome(env: Record<string, string | undefined>, cwd: string): string {
  return env.RUNBOOK_HOME ? resolve(cwd, env.RUNBOOK_HOME) : findProject(cwd).home;
}

export function executionsDir(home: string): string {
  return join(home, "executions");
}

export function executionDir(home: string, executionId: string): string {
  return join(executionsDir(home), executionId);
}

export function journalPath(home: string, executionId: string): string {
  return join(executionDir(home, executionId), "journal.jsonl");
}

export function engineLogPath(home: string, executionId: string): string {
  return join(executionDir(home, executionId), "engine.log");
}

/** Approvals from other shells land here as files; only the engine turns them into journal events. */
export function approvalsInbox(home: string, executionId: string): string {
  return join(executionDir(home, executionId), "approvals");
}

export function lockPath(home: string, runbookName: string): string {
  return join(home, "locks", `${runbookName}.lock`);
}

/** One scheduler per drill schedule on a host. */
export function scheduleLockPath(home: string, scheduleName: string): string {
  return join(home, "locks", "schedules", `${scheduleName}.lock`);
}

/** Sortable by start time, readable, and unique enough for one machine: `<runbook>-20261127T070102Z-a1b2`. */
export function newExecutionId(runbookName: string, now: Date): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z");
  return `${runbookName}-${stamp}-${randomBytes(2).toString("hex")}`;
}
