import { existsSync, readdirSync } from "node:fs";
import { UsageError } from "../errors.js";
import type { AnyJournalEvent } from "../journal/events.js";
import { type ExecutionState, foldEvents } from "../journal/fold.js";
import type { VerifyResult } from "../journal/journal.js";
import { loadJournal } from "../journal/load-journal.js";
import { executionsDir, journalPath, runbookHome } from "../journal/paths.js";
import type { CommandIO } from "./io.js";

export interface LoadedExecution {
  id: string;
  events: AnyJournalEvent[];
  state: ExecutionState;
  integrity: VerifyResult;
  tornTailBytes: number;
}

export function homeOf(io: Pick<CommandIO, "cwd" | "env">): string {
  return runbookHome(io.env, io.cwd);
}

export async function loadExecution(io: CommandIO, id: string): Promise<LoadedExecution> {
  const home = homeOf(io);
  const path = journalPath(home, id);
  if (!existsSync(path)) {
    const known = listExecutionIds(home).slice(0, 5);
    throw new UsageError(
      `no execution "${id}" in ${executionsDir(home)}`,
      known.length
        ? `Recent executions: ${known.join(", ")}\nAll of them: runbook list`
        : "No executions yet: start one with runbook run <runbook>",
    );
  }
  const { read, verified } = await loadJournal(path);
  const state = foldEvents(read.events);
  if (!state) throw new UsageError(`execution "${id}" has no start event; its journal is unusable`);
  return {
    id,
    events: read.events,
    state,
    integrity: verified,
    tornTailBytes: read.tornTailBytes,
  };
}

/** Newest first: ids embed their start time. */
export function listExecutionIds(home: string): string[] {
  try {
    return readdirSync(executionsDir(home))
      .filter((d) => existsSync(journalPath(home, d)))
      .sort((a, b) => stamp(b).localeCompare(stamp(a)));
  } catch {
    return [];
  }
}

function stamp(id: string): string {
  return /(\d{8}T\d{6}Z)-[0-9a-f]{4}$/.exec(id)?.[1] ?? id;
}
