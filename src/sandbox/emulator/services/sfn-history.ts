import { ApiError } from "../errors.js";

/**
 * An execution's history as GetExecutionHistory returns it: event ids start at 1, an event's
 * id never changes, events are only ever appended, and nothing is appended after the
 * execution's closing event. `previousEventId` is the event before it in the same branch
 * (the enclosing Parallel's start for a branch's first event), as Step Functions links them.
 */

export interface HistoryEntry {
  id: number;
  previousEventId: number;
  timestamp: Date;
  type: string;
  details?: Record<string, unknown>;
}

/** Members that are "execution data" (left out when includeExecutionData is false). */
const DATA_MEMBERS = new Set(["input", "output", "parameters"]);
const MAX_RESULTS = 1000;
const DEFAULT_RESULTS = 100;

export class ExecutionHistory {
  readonly events: HistoryEntry[] = [];
  private closed = false;
  private readonly lastInScope = new Map<string, number>();

  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Appends an event (unless the history is closed); `scope` names its branch, `outer` the
   * enclosing one (a branch's first event follows its Parallel's). The timestamp never goes
   * back in time, though events from two branches may arrive a moment apart.
   */
  append(
    type: string,
    details?: Record<string, unknown>,
    at: number = Date.now(),
    scope = "",
    outer?: string,
  ): HistoryEntry | undefined {
    if (this.closed) return undefined;
    const last = this.events.at(-1);
    const id = this.events.length + 1;
    const previous =
      this.lastInScope.get(scope) ?? (outer === undefined ? undefined : this.lastInScope.get(outer));
    const entry: HistoryEntry = {
      id,
      previousEventId: previous ?? id - 1,
      timestamp: new Date(Math.max(at, last?.timestamp.getTime() ?? 0)),
      type,
      ...(details ? { details } : {}),
    };
    this.events.push(entry);
    this.lastInScope.set(scope, id);
    return entry;
  }

  /** A Parallel starts again (a loop): its branches' first events follow its new start, not the last run's. */
  forgetScopes(prefix: string): void {
    for (const key of [...this.lastInScope.keys()]) if (key.startsWith(prefix)) this.lastInScope.delete(key);
  }

  /** After the closing event (ExecutionSucceeded, …Failed, …Aborted, …TimedOut). */
  close(): void {
    this.closed = true;
  }
}

/** Which member of a history event carries the details of each event type (the SDK's shape names). */
export function detailsMember(type: string): string {
  if (type.endsWith("StateEntered")) return "stateEnteredEventDetails";
  if (type.endsWith("StateExited") || type.endsWith("StateAborted")) return "stateExitedEventDetails";
  return `${lower(type)}EventDetails`;
}

const lower = (s: string) => `${s.charAt(0).toLowerCase()}${s.slice(1)}`;

export interface HistoryQuery {
  maxResults: number | undefined;
  nextToken: string | undefined;
  reverseOrder: boolean;
  includeExecutionData: boolean;
}

/**
 * One page, oldest first (or newest first). The token says "the events after (before) id n",
 * so a page read while the execution runs never skips or repeats an event.
 */
export function historyPage(history: ExecutionHistory, q: HistoryQuery) {
  const max = q.maxResults || DEFAULT_RESULTS;
  if (!Number.isInteger(max) || max < 0 || max > MAX_RESULTS)
    throw new ApiError(
      "ValidationException",
      `1 validation error detected: Value '${max}' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to ${MAX_RESULTS}`,
    );
  const all = history.events;
  const from = q.nextToken === undefined ? undefined : readToken(q.nextToken, q.reverseOrder, all.length);
  let page: HistoryEntry[];
  if (q.reverseOrder) {
    const end = from === undefined ? all.length : from - 1; // ids below `from`
    page = all.slice(Math.max(0, end - max), end).reverse();
  } else {
    const start = from ?? 0; // ids above `from`
    page = all.slice(start, start + max);
  }
  const lastId = page.at(-1)?.id;
  const more = lastId !== undefined && (q.reverseOrder ? lastId > 1 : lastId < all.length);
  return {
    events: page.map((e) => render(e, q.includeExecutionData)),
    ...(more ? { nextToken: token(lastId, q.reverseOrder) } : {}),
  };
}

function render(e: HistoryEntry, withData: boolean) {
  const details = e.details
    ? Object.fromEntries(Object.entries(e.details).filter(([k]) => withData || !DATA_MEMBERS.has(k)))
    : undefined;
  return {
    id: e.id,
    previousEventId: e.previousEventId,
    timestamp: e.timestamp,
    type: e.type,
    ...(details ? { [detailsMember(e.type)]: details } : {}),
  };
}

function token(id: number, reverse: boolean): string {
  return Buffer.from(JSON.stringify({ v: 1, id, reverse })).toString("base64");
}

function readToken(text: string, reverse: boolean, length: number): number {
  try {
    const t = JSON.parse(Buffer.from(text, "base64").toString("utf8")) as {
      v?: number;
      id?: unknown;
      reverse?: unknown;
    };
    if (t.v === 1 && Number.isInteger(t.id) && t.reverse === reverse && (t.id as number) <= length)
      return t.id as number;
  } catch {
    // Not one of ours.
  }
  throw new ApiError("InvalidToken", `Invalid Token: '${text.slice(0, 64)}'`);
}
