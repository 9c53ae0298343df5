import type { HistoryEvent } from "@aws-sdk/client-sfn";
import type { AnyJournalEvent, EventData } from "../journal/events.js";
import type { Runbook } from "../language/runbook.js";
import {
  type ImportContext as Context,
  emptyCursor,
  ImportContext,
  type ImportCursor,
  type ImportInput,
  type JournalDraft,
} from "./import-context.js";
import { EXECUTION_EVENTS, mapExecutionEvent, mapStateEvent } from "./import-state-events.js";
import { mapTaskEvent, TASK_EVENTS } from "./import-task-events.js";
import { parseJson } from "./task-payloads.js";

/**
 * A Step Functions execution's history → our journal, so that status, timeline, history and
 * verify read a run on Step Functions as they read a local one: the same events, in the order
 * the local engine writes them, each stamped with the history event it came from. Pure: the
 * follower fetches the history and appends the drafts (JournalWriter.appendImported).
 *
 * Resuming on another machine: cursorFromJournal(journal) gives a cursor that replays the
 * history from its first event (GetExecutionHistory can only be read from the start anyway)
 * and produces only the drafts the journal does not hold yet, so no event is imported twice
 * and none is skipped, even when a crash cut the last batch short.
 */

export type { ImportCursor, ImportInput, JournalDraft, StepProgress } from "./import-context.js";

export function importHistory(input: ImportInput): { drafts: JournalDraft[]; cursor: ImportCursor } {
  const cursor = structuredClone(input.cursor);
  if (cursor.executionArn !== undefined && cursor.executionArn !== input.executionArn)
    throw new Error(`this journal was imported from ${cursor.executionArn}, not from ${input.executionArn}`);
  cursor.executionArn = input.executionArn;
  const ctx = new ImportContext(input, cursor);
  const drafts: JournalDraft[] = [];
  const events = [...input.events].sort((a, b) => Number(a.id) - Number(b.id));
  for (const e of events) {
    const id = Number(e.id);
    if (id <= cursor.lastEventId) continue;
    if (id !== cursor.lastEventId + 1)
      throw new Error(
        `history of ${input.executionArn}: event ${cursor.lastEventId + 1} is missing before event ${id}${cursor.lastEventId === 0 ? " (pass the history from its first event)" : ""}`,
      );
    ctx.begin(e);
    mapEvent(ctx, e);
    cursor.lastEventId = id;
    drafts.push(...notJournaled(cursor, id, ctx.drafts));
  }
  return { drafts, cursor };
}

function mapEvent(ctx: Context, e: HistoryEvent): void {
  const type = String(e.type);
  if (TASK_EVENTS.has(type)) mapTaskEvent(ctx, e);
  else if (EXECUTION_EVENTS.has(type)) mapExecutionEvent(ctx, e);
  else mapStateEvent(ctx, e);
}

/** Drafts a rebuilt cursor's journal already holds are counted, checked, and not produced again. */
function notJournaled(cursor: ImportCursor, id: number, made: JournalDraft[]): JournalDraft[] {
  const j = cursor.journaled;
  if (!j) return made;
  const held = id < j.eventId ? made.length : id === j.eventId ? Math.min(j.drafts, made.length) : 0;
  j.seen += held;
  // More than the journal holds before its last event, or a different count at it: another story.
  if (j.seen > j.total || (id >= j.eventId && j.seen !== j.total))
    throw new Error(
      `the journal holds ${j.total} events imported from ${cursor.executionArn} up to history event ${j.eventId}, but that history gives ${j.seen}${id < j.eventId ? ` by event ${id}` : ""}: the journal was not written from this execution's history by this version of runbook`,
    );
  if (id < j.eventId) return [];
  cursor.journaled = undefined;
  return made.slice(held);
}

/**
 * The cursor for a journal that already holds imported events (or none): it replays the
 * history from event 1 and produces what comes after the journal's last imported event.
 * `execution.started` is the caller's (written before StartExecution), not the history's.
 */
export function cursorFromJournal(events: readonly AnyJournalEvent[]): ImportCursor {
  const cursor = emptyCursor();
  const arns = new Set<string>();
  let total = 0;
  let last = 0;
  let atLast = 0;
  for (const e of events) {
    if (!e.origin) continue;
    arns.add(e.origin.executionArn);
    if (e.type === "execution.started") continue;
    total++;
    if (e.origin.eventId > last) {
      last = e.origin.eventId;
      atLast = 0;
    }
    if (e.origin.eventId === last) atLast++;
  }
  if (arns.size > 1)
    throw new Error(`this journal holds events imported from several executions: ${[...arns].join(", ")}`);
  const [arn] = arns;
  if (arn !== undefined) cursor.executionArn = arn;
  if (total > 0) cursor.journaled = { eventId: last, drafts: atLast, total, seen: 0 };
  return cursor;
}

/**
 * The journal's first line from the execution's input (`{ run, started, … }`), for a journal
 * that has none yet (the execution was started on another machine). The runbook IR comes
 * from the input when it carries it, else from `runbook`; without either there is no start.
 */
export function startedFromHistory(
  event: HistoryEvent,
  runbook?: Runbook,
): EventData["execution.started"] | undefined {
  if (event.type !== "ExecutionStarted") return undefined;
  const input = parseJson(event.executionStartedEventDetails?.input) as { started?: unknown } | undefined;
  const started = input?.started as Partial<EventData["execution.started"]> | undefined;
  if (!started || typeof started !== "object" || typeof started.executionId !== "string") return undefined;
  if (!Array.isArray(started.steps) || typeof started.runbook?.name !== "string") return undefined;
  const runbookIr = started.runbookIr ?? runbook;
  if (runbookIr === undefined) return undefined;
  return { ...(started as EventData["execution.started"]), runbookIr };
}
