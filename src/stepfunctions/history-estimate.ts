import type { AslBranch, AslState, Retrier } from "./asl.js";

/**
 * The most history events an execution of an exported machine can write. Step Functions stops
 * an execution at 25,000, whatever it was doing; the export refuses a machine whose worst case
 * passes 20,000, naming the loop that costs most.
 *
 * Counted from the definition itself: every state once (both sides of a Choice), a Task 5
 * events per attempt (entered, scheduled, started, succeeded or failed, exited) with every
 * retry of its runbook `retry:` used, a gate 6, a Parallel 4 plus its branches, any other state
 * 2; a watcher loop (probe Task, Choice, Wait: 9 a turn) turns for as long as the longest
 * other branch of its guard can last (each Task's attempts × its TimeoutSeconds, plus the
 * retry delays) divided by its Wait, plus one turn. A gate's wait for approval has no bound
 * of its own and is not counted: an approval left open for hours under a watcher is the one
 * way past this estimate.
 */

export interface HistoryEstimate {
  worstCase: number;
  /** The loops (watchers, retried Tasks), costliest first, with the events each may write. */
  loops: { state: string; events: number }[];
}

export const HISTORY_HARD_LIMIT = 25_000;
export const HISTORY_EXPORT_LIMIT = 20_000;

const TASK_EVENTS = 5;
const GATE_EVENTS = 6;
const PARALLEL_EVENTS = 4;
const STATE_EVENTS = 2;
/** ExecutionStarted and its end. */
const EXECUTION_EVENTS = 2;

/** The retrier of the runbook's own `retry:` (the Lambda retrier is for the function's transient faults). */
const RUNBOOK_RETRY = "Runbook.Retryable";

export function estimateHistory(definition: AslBranch): HistoryEstimate {
  const loops: HistoryEstimate["loops"] = [];
  const worstCase = EXECUTION_EVENTS + branchEvents(definition, loops);
  loops.sort((a, b) => b.events - a.events || (a.state < b.state ? -1 : 1));
  return { worstCase, loops };
}

function isGate(s: AslState): boolean {
  return s.Type === "Task" && (s.Resource ?? "").endsWith(".waitForTaskToken");
}

function runbookRetrier(s: AslState): Retrier | undefined {
  return s.Retry?.find((r) => r.ErrorEquals.includes(RUNBOOK_RETRY));
}

function attempts(s: AslState): number {
  return 1 + (runbookRetrier(s)?.MaxAttempts ?? 0);
}

function stateEvents(name: string, s: AslState, loops: HistoryEstimate["loops"]): number {
  if (s.Type === "Task") {
    if (isGate(s)) return GATE_EVENTS;
    const events = TASK_EVENTS * attempts(s);
    if (attempts(s) > 1) loops.push({ state: name, events });
    return events;
  }
  if (s.Type === "Parallel") return PARALLEL_EVENTS + parallelEvents(s.Branches ?? [], loops);
  return STATE_EVENTS;
}

function branchEvents(branch: AslBranch, loops: HistoryEstimate["loops"]): number {
  let sum = 0;
  for (const [name, s] of Object.entries(branch.States)) sum += stateEvents(name, s, loops);
  return sum;
}

function parallelEvents(branches: readonly AslBranch[], loops: HistoryEstimate["loops"]): number {
  const watchers = branches.filter((b) => cycleOf(b).length > 0);
  const others = branches.filter((b) => !watchers.includes(b));
  let sum = 0;
  for (const b of others) sum += branchEvents(b, loops);
  const longest = Math.max(0, ...others.map(durationSeconds));
  for (const w of watchers) {
    const cycle = cycleOf(w);
    const wait = Math.max(1, ...cycle.map((n) => w.States[n]!.Seconds ?? 0));
    const turns = Math.ceil(longest / wait) + 1;
    const perTurn = cycle.reduce((n, name) => n + stateEvents(name, w.States[name]!, []), 0);
    const rest = Object.entries(w.States)
      .filter(([name]) => !cycle.includes(name))
      .reduce((n, [name, s]) => n + stateEvents(name, s, loops), 0);
    const events = turns * perTurn;
    const task = cycle.find((n) => w.States[n]!.Type === "Task") ?? cycle[0]!;
    loops.push({ state: task, events });
    sum += events + rest;
  }
  return sum;
}

/** The states a branch keeps coming back to along Next and Default (a watcher), in order; empty when it ends. */
function cycleOf(branch: AslBranch): string[] {
  const seen: string[] = [];
  let at: string | undefined = branch.StartAt;
  while (at !== undefined && !seen.includes(at)) {
    seen.push(at);
    const s: AslState | undefined = branch.States[at];
    at = s?.Next ?? s?.Default;
  }
  return at === undefined ? [] : seen.slice(seen.indexOf(at));
}

/** The longest a branch can run, in seconds: its Tasks' attempts and retry delays, Waits, Parallels' longest branch. */
export function durationSeconds(branch: AslBranch): number {
  let sum = 0;
  for (const s of Object.values(branch.States)) {
    if (s.Type === "Task" && !isGate(s)) {
      const retrier = runbookRetrier(s);
      sum += attempts(s) * (s.TimeoutSeconds ?? 0) + (retrier ? retryDelays(retrier) : 0);
    } else if (s.Type === "Wait") sum += s.Seconds ?? 0;
    else if (s.Type === "Parallel") sum += Math.max(0, ...(s.Branches ?? []).map(durationSeconds));
  }
  return sum;
}

function retryDelays(r: Retrier): number {
  let sum = 0;
  for (let k = 0; k < r.MaxAttempts; k++) {
    const delay = r.IntervalSeconds * r.BackoffRate ** k;
    sum += r.MaxDelaySeconds === undefined ? delay : Math.min(delay, r.MaxDelaySeconds);
  }
  return sum;
}
