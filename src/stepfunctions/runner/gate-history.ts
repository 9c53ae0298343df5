import type { HistoryEvent } from "@aws-sdk/client-sfn";
import type { SdkClient } from "../../executor.js";
import type { GateApproval, StateData } from "./runner-contract.js";

/**
 * What an execution's history says about its gates: the gate Tasks of a step (the
 * `.waitForTaskToken` Tasks whose payload names it), which one still waits and with which
 * token, who approved it before, and every nonce already spent. Step Functions keeps no record
 * of who sent a token; the approval function's own outputs (SendTaskSuccess) are that record.
 */

export interface GateTask {
  /** The TaskScheduled event's id. */
  eventId: number;
  token: string;
  /** Which approval of the step this Task waits for (1-based). */
  approval: number;
  /** The execution's state data when the gate opened. */
  state: StateData | undefined;
  /** How it ended: undefined while it waits. */
  closedBy?: { type: string; output?: GateApproval };
}

export interface GateHistory {
  /** The step's gate Tasks, oldest first. */
  tasks: GateTask[];
  /** Nonces of the proofs every answered gate of the execution carried. */
  nonces: Set<string>;
  /** The execution has ended: no token of it is valid any more. */
  closed: boolean;
}

/** A Task's own ending, which names its resource. */
const TASK_ENDS = new Set([
  "TaskSucceeded",
  "TaskFailed",
  "TaskTimedOut",
  "TaskStartFailed",
  "TaskSubmitFailed",
]);
/** The state's ending: it closes its Task only where `previousEventId` leads to it. */
const STATE_ENDS = new Set(["TaskStateAborted", "TaskStateExited"]);
const EXECUTION_ENDS = new Set([
  "ExecutionSucceeded",
  "ExecutionFailed",
  "ExecutionAborted",
  "ExecutionTimedOut",
]);

/** Every event of the execution, oldest first (GetExecutionHistory, paged, with its data). */
export async function readHistory(sfn: SdkClient, executionArn: string): Promise<HistoryEvent[]> {
  const { GetExecutionHistoryCommand } = await import("@aws-sdk/client-sfn");
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = (await sfn.send(
      new GetExecutionHistoryCommand({
        executionArn,
        maxResults: 1000,
        includeExecutionData: true,
        ...(nextToken ? { nextToken } : {}),
      }),
    )) as { events?: HistoryEvent[]; nextToken?: string };
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return events;
}

export function gateHistory(events: readonly HistoryEvent[], stepId: string): GateHistory {
  const byId = new Map(events.map((e) => [Number(e.id), e]));
  /** Tasks not yet ended: their resource, and the gate Task when it is one of this step. */
  const scheduled = new Map<number, { resource: string; task?: GateTask }>();
  const tasks: GateTask[] = [];
  const nonces = new Set<string>();
  let closed = false;
  for (const e of events) {
    const type = String(e.type);
    if (EXECUTION_ENDS.has(type)) closed = true;
    if (type === "TaskScheduled") {
      const gate = gateTaskOf(e);
      const mine = gate?.stepId === stepId ? gate.task : undefined;
      scheduled.set(Number(e.id), { resource: resourceOf(e), ...(mine ? { task: mine } : {}) });
      if (mine) tasks.push(mine);
      continue;
    }
    if (!TASK_ENDS.has(type) && !STATE_ENDS.has(type)) continue;
    const output = type === "TaskSucceeded" ? parseApproval(e.taskSucceededEventDetails?.output) : undefined;
    const failedCause = type === "TaskFailed" ? parseJson(e.taskFailedEventDetails?.cause) : undefined;
    for (const n of [output?.proof?.nonce, nonceOf(failedCause)]) if (n) nonces.add(n);
    const id = scheduledIdOf(e, byId, scheduled);
    if (id === undefined) continue;
    const task = scheduled.get(id)?.task;
    // The first closing event says how it ended; TaskStateExited only confirms it.
    if (task && !task.closedBy) task.closedBy = { type, ...(output ? { output } : {}) };
    scheduled.delete(id);
  }
  return { tasks, nonces, closed };
}

/** The gate Task still waiting for its token (the latest one, should a retry have scheduled another). */
export function openGate(h: GateHistory): GateTask | undefined {
  if (h.closed) return undefined;
  return h.tasks.filter((t) => !t.closedBy).at(-1);
}

/** Who approved the step's earlier gate Tasks. */
export function approvedBy(h: GateHistory): string[] {
  return h.tasks.flatMap((t) =>
    t.closedBy?.type === "TaskSucceeded" && t.closedBy.output ? [t.closedBy.output.approvedBy] : [],
  );
}

function gateTaskOf(e: HistoryEvent): { stepId: string; task: GateTask } | undefined {
  const d = e.taskScheduledEventDetails;
  if (d?.resourceType !== "lambda" || d.resource !== "invoke.waitForTaskToken") return undefined;
  const params = parseJson(d.parameters) as { Payload?: Record<string, unknown> } | undefined;
  const p = params?.Payload;
  if (p?.action !== "gate.open" || typeof p.stepId !== "string" || typeof p.token !== "string")
    return undefined;
  return {
    stepId: p.stepId,
    task: {
      eventId: Number(e.id),
      token: p.token,
      approval: typeof p.approval === "number" ? p.approval : 1,
      state: (p.state as StateData | undefined) ?? undefined,
    },
  };
}

/**
 * The TaskScheduled a closing event belongs to: back along `previousEventId` (which keeps
 * parallel branches apart); without that link, the latest open Task of the same resource.
 */
function scheduledIdOf(
  e: HistoryEvent,
  byId: Map<number, HistoryEvent>,
  open: Map<number, { resource: string }>,
): number | undefined {
  let cur: HistoryEvent | undefined = e;
  for (let hops = 0; cur && hops < 20; hops++) {
    const prev: HistoryEvent | undefined =
      cur.previousEventId !== undefined ? byId.get(Number(cur.previousEventId)) : undefined;
    if (!prev) break;
    if (prev.type === "TaskScheduled") return open.has(Number(prev.id)) ? Number(prev.id) : undefined;
    if (prev.type === "TaskStateEntered") break;
    cur = prev;
  }
  if (!TASK_ENDS.has(String(e.type))) return undefined;
  const resource = resourceOf(e);
  const candidates = [...open].filter(([id, t]) => id < Number(e.id) && t.resource === resource);
  return candidates.at(-1)?.[0];
}

/** `lambda/invoke.waitForTaskToken`, from whichever details the event carries. */
function resourceOf(e: HistoryEvent): string {
  const d =
    e.taskScheduledEventDetails ??
    e.taskSucceededEventDetails ??
    e.taskFailedEventDetails ??
    e.taskTimedOutEventDetails ??
    e.taskStartFailedEventDetails ??
    e.taskSubmitFailedEventDetails;
  return `${d?.resourceType ?? ""}/${d?.resource ?? ""}`;
}

function parseApproval(text: string | undefined): GateApproval | undefined {
  const v = parseJson(text) as Partial<GateApproval> | undefined;
  return v && typeof v.approvedBy === "string" ? (v as GateApproval) : undefined;
}

function nonceOf(v: unknown): string | undefined {
  const n = (v as { proof?: { nonce?: unknown } } | undefined)?.proof?.nonce;
  return typeof n === "string" ? n : undefined;
}

function parseJson(text: string | undefined): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
