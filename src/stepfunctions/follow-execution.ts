import { existsSync, mkdirSync } from "node:fs";
import type { HistoryEvent, SFNClient } from "@aws-sdk/client-sfn";
import type { ExecutionOutcome } from "../engine/engine.js";
import { acquireLock } from "../engine/lock.js";
import { UsageError } from "../errors.js";
import { type AnyJournalEvent, type StepFunctionsEngine, TERMINAL_EVENTS } from "../journal/events.js";
import { applyEvent, type ExecutionState, foldEvents } from "../journal/fold.js";
import { JournalWriter } from "../journal/journal.js";
import { executionDir, journalPath } from "../journal/paths.js";
import type { Runbook } from "../language/runbook.js";
import { cursorFromJournal, importHistory, startedFromHistory } from "./history-import.js";
import type { Manifest } from "./manifest.js";

/**
 * The follower: reads a Step Functions execution's history as it grows and appends what it
 * says to our journal, so status, timeline, history and verify read it as any other run.
 * Step Functions runs the steps; stopping the follower (Ctrl-C, a lost laptop) stops nothing
 * but the reading, and `runbook follow` on any machine picks it up where the journal ends:
 * every imported line carries the history event it came from, so none is imported twice.
 */

export interface FollowOptions {
  sfn: SFNClient;
  home: string;
  executionId: string;
  engine: StepFunctionsEngine;
  /** The journal's first line when this machine started the execution (else read from the history). */
  started?: AnyJournalEvent["data"];
  pollMs?: number;
  /** The environment's values, for gate prompts that read `vars.*`. */
  vars?: Record<string, unknown>;
  stop?: AbortSignal;
  onEvent?: (e: AnyJournalEvent) => void;
  /** A gate opened (once per gate Task): `--approve` answers it here. */
  onGate?: (stepId: string, state: ExecutionState) => Promise<void>;
}

export type FollowOutcome =
  | ExecutionOutcome
  | { executionId: string; status: "following-stopped"; state: ExecutionState };

const TERMINAL = new Set<string>(TERMINAL_EVENTS);
const FAST_POLL_MS = 100;
const SLOW_POLL_MS = 800;

export async function followExecution(o: FollowOptions): Promise<FollowOutcome> {
  const path = journalPath(o.home, o.executionId);
  const history = historyReader(o.sfn, o.engine.executionArn);
  const first = await history.first();
  const manifest = manifestOf(first);
  const { writer, events } = openJournal(o, path, existsSync(path) ? undefined : first);
  const lock = acquireLock(o.home, foldEvents(events)!.runbook.name, o.executionId, new Date());
  try {
    for (const e of events) o.onEvent?.(e);
    let state = foldEvents(events)!;
    const runbook = state.runbookIr as Runbook;
    let cursor = cursorFromJournal(events);
    const gatesAnswered = new Set<string>();
    // Gates a killed follower journaled but never answered (it may not have had --approve):
    // answered once the first batch shows they are still open, or a new follower would wait forever.
    let journaledGates = o.onGate ? lastGateRequests(events) : [];
    let delay = o.pollMs ?? FAST_POLL_MS;
    for (;;) {
      const fresh = await history.after(cursor.lastEventId);
      const { drafts, cursor: next } = importHistory({
        manifest,
        runbook,
        executionArn: o.engine.executionArn,
        events: fresh,
        cursor,
        ...(o.vars ? { vars: o.vars } : {}),
      });
      cursor = next;
      for (const d of drafts) {
        const e = writer.appendImported(d.type, d.data as never, {
          ts: d.ts,
          origin: d.origin,
          ...(d.stepId !== undefined ? { stepId: d.stepId } : {}),
        }) as AnyJournalEvent;
        events.push(e);
        state = applyEvent(state, e)!;
        o.onEvent?.(e);
        if (e.type === "gate.requested" && e.stepId && o.onGate) {
          const key = `${e.stepId}#${e.origin?.eventId ?? e.seq}`;
          if (!gatesAnswered.has(key)) {
            gatesAnswered.add(key);
            await o.onGate(e.stepId, state);
          }
        }
        if (TERMINAL.has(e.type)) return outcomeOf(o.executionId, state);
      }
      for (const e of journaledGates) {
        const key = `${e.stepId}#${e.origin?.eventId ?? e.seq}`;
        if (gatesAnswered.has(key) || !stillOpen(state, e.stepId!)) continue;
        gatesAnswered.add(key);
        await o.onGate?.(e.stepId!, state);
      }
      journaledGates = [];
      if (o.stop?.aborted) return { executionId: o.executionId, status: "following-stopped", state };
      // Fast while the history grows (a gate to answer comes right after a step), slower when it
      // is quiet: GetExecutionHistory refills 5 calls a second per account.
      delay = fresh.length ? (o.pollMs ?? FAST_POLL_MS) : Math.min(delay * 2, SLOW_POLL_MS);
      await sleep(delay, o.stop);
    }
  } finally {
    lock.release();
    writer.close();
  }
}

/** Each step's latest gate.requested: the one a new follower may still have to answer. */
function lastGateRequests(events: readonly AnyJournalEvent[]): AnyJournalEvent[] {
  const byStep = new Map<string, AnyJournalEvent>();
  for (const e of events) if (e.type === "gate.requested" && e.stepId) byStep.set(e.stepId, e);
  return [...byStep.values()];
}

/** A gate that still waits for approvals (an approval step's last one also ends the step). */
function stillOpen(state: ExecutionState, stepId: string): boolean {
  const st = state.steps.get(stepId);
  return st?.status === "awaiting-approval" && st.approvals.length < (st.gateRequested?.minApprovals ?? 1);
}

function outcomeOf(executionId: string, state: ExecutionState): ExecutionOutcome {
  const status =
    state.status === "completed" ? "completed" : state.status === "aborted" ? "aborted" : "failed";
  return { executionId, status, state };
}

function openJournal(
  o: FollowOptions,
  path: string,
  first: HistoryEvent | undefined,
): { writer: JournalWriter; events: AnyJournalEvent[] } {
  if (!first) return JournalWriter.reopen(path);
  const started = o.started ?? startedFromHistory(first);
  if (!started)
    throw new UsageError(
      `execution ${o.engine.executionArn} was not started by runbook (its input has no start record)`,
    );
  mkdirSync(executionDir(o.home, o.executionId), { recursive: true });
  const writer = JournalWriter.create(path);
  const e = writer.appendImported("execution.started", started as never, {
    ts: first.timestamp ?? new Date(),
    origin: { executionArn: o.engine.executionArn, eventId: Number(first.id ?? 1) },
  }) as AnyJournalEvent;
  return { writer, events: [e] };
}

/** The manifest travels in the execution's input, so any machine can read the history. */
function manifestOf(first: HistoryEvent): Manifest {
  const input = first.executionStartedEventDetails?.input;
  const manifest = input ? (JSON.parse(input) as { manifest?: Manifest }).manifest : undefined;
  if (!manifest)
    throw new UsageError("this execution's input holds no runbook manifest: it was not started by runbook");
  return manifest;
}

/**
 * Pages of GetExecutionHistory. Event ids never change, so "after id n" is exact; once the
 * follower has caught up it reads newest first and stops at what it has, one call per poll
 * however long the history (GetExecutionHistory refills 5 calls a second per account).
 */
function historyReader(sfn: SFNClient, executionArn: string) {
  const page = async (o: { nextToken?: string; reverse?: boolean; max: number }) => {
    const { GetExecutionHistoryCommand } = await import("@aws-sdk/client-sfn");
    return sfn.send(
      new GetExecutionHistoryCommand({
        executionArn,
        maxResults: o.max,
        includeExecutionData: true,
        ...(o.reverse ? { reverseOrder: true } : {}),
        ...(o.nextToken ? { nextToken: o.nextToken } : {}),
      }),
    );
  };
  return {
    async first(): Promise<HistoryEvent> {
      const out = await page({ max: 1 });
      const e = out.events?.[0];
      if (!e) throw new UsageError(`execution ${executionArn} has no history yet`);
      return e;
    },
    async after(lastId: number): Promise<HistoryEvent[]> {
      const found: HistoryEvent[] = [];
      let token: string | undefined;
      if (lastId === 0) {
        do {
          const out = await page({ max: 1000, ...(token ? { nextToken: token } : {}) });
          found.push(...(out.events ?? []));
          token = out.nextToken;
        } while (token);
        return found;
      }
      do {
        const out = await page({ max: 100, reverse: true, ...(token ? { nextToken: token } : {}) });
        for (const e of out.events ?? []) {
          if (Number(e.id) <= lastId) return found.reverse();
          found.push(e);
        }
        token = out.nextToken;
      } while (token);
      return found.reverse();
    },
  };
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(t);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}
