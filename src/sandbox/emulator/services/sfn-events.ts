import { type DefinitionFacts, isInside } from "./sfn-definition.js";
import type { ExecutionHistory } from "./sfn-history.js";

/**
 * The interpreter's event log (StateEntered/Exited/Failed/Retried/Caught, ParallelBranch*,
 * MapIteration*) turned into Step Functions' history events (`<Type>StateEntered`,
 * `ParallelStateStarted`, `ParallelStateSucceeded|Failed`, `<Type>StateExited`, …), with the
 * states that were running when a sibling branch failed (or the execution stopped) written
 * as `TaskStateAborted` / `WaitStateAborted` / `ParallelStateAborted`, innermost first.
 */

export interface LibraryEvent {
  type: string;
  timestamp: number;
  state?: { name: string; type: string; input?: unknown; output?: unknown };
  parentState?: { name: string; type: string };
  index?: number;
}

export interface MapperHooks {
  /** A Task state began an attempt (it was entered, or retried). */
  started(state: string): void;
  /** A Task state is done with its current entry (exited or failed). */
  settled(state: string): void;
  /** A running state was aborted: whatever it runs is cancelled. */
  aborted(state: string): void;
}

const ABORTED: Record<string, string> = {
  Task: "TaskStateAborted",
  Wait: "WaitStateAborted",
  Parallel: "ParallelStateAborted",
  Map: "MapStateAborted",
};

const json = (v: unknown) => JSON.stringify(v ?? null);

export class EventMapper {
  /** Running states (entered, not yet exited or failed), in entry order. */
  private readonly open = new Map<string, string>();
  private readonly branchEnds = new Map<string, { succeeded: number; failed: number }>();
  private readonly failed = new Set<string>();

  constructor(
    private readonly history: ExecutionHistory,
    private readonly facts: DefinitionFacts,
    private readonly hooks: MapperHooks,
  ) {}

  /** Appends an event of `state` (undefined: the execution's own) in that state's branch. */
  append(state: string | undefined, type: string, details?: Record<string, unknown>, at = Date.now()): void {
    const scope = state === undefined ? "" : (this.facts.scopes.get(state) ?? "");
    const parent = state === undefined ? undefined : this.facts.parents.get(state);
    const outer = parent === undefined ? undefined : (this.facts.scopes.get(parent) ?? "");
    this.history.append(type, details, at, scope, outer);
  }

  /** A Parallel's closing event waits for its branches' events (they reach the log a moment later). */
  closable(parallel: string): boolean {
    const ends = this.branchEnds.get(parallel);
    if (!ends) return true;
    return ends.failed > 0 || ends.succeeded >= (this.facts.branches.get(parallel) ?? 0);
  }

  apply(e: LibraryEvent): void {
    const at = e.timestamp;
    const name = e.state?.name ?? "";
    const type = e.state?.type ?? "";
    switch (e.type) {
      case "StateEntered":
        this.append(
          name,
          `${type}StateEntered`,
          { name, input: json(e.state?.input), inputDetails: { truncated: false } },
          at,
        );
        this.open.delete(name);
        this.open.set(name, type);
        this.failed.delete(name);
        if (type === "Parallel") this.startParallel(name, at);
        if (type === "Map") this.append(name, "MapStateStarted", undefined, at);
        if (type === "Task") this.hooks.started(name);
        return;
      case "StateRetried":
        this.open.set(name, type);
        this.failed.delete(name);
        if (type === "Parallel") this.startParallel(name, at);
        if (type === "Task") this.hooks.started(name);
        return;
      case "StateExited":
        if ((type === "Parallel" || type === "Map") && !this.failed.has(name))
          this.append(name, `${type}StateSucceeded`, undefined, at);
        this.append(
          name,
          `${type}StateExited`,
          { name, output: json(e.state?.output), outputDetails: { truncated: false } },
          at,
        );
        this.open.delete(name);
        if (type === "Task") this.hooks.settled(name);
        return;
      case "StateFailed":
        if (type === "Parallel" || type === "Map") this.append(name, `${type}StateFailed`, undefined, at);
        this.open.delete(name);
        this.failed.add(name);
        if (type === "Task") this.hooks.settled(name);
        return;
      case "ParallelBranchSucceeded":
      case "ParallelBranchFailed": {
        const parallel = e.parentState?.name ?? "";
        const ends = this.branchEnds.get(parallel) ?? { succeeded: 0, failed: 0 };
        if (e.type === "ParallelBranchSucceeded") ends.succeeded++;
        else {
          ends.failed++;
          // The interpreter stops the other branches: what ran there was aborted.
          this.abortRunning(at, parallel);
        }
        this.branchEnds.set(parallel, ends);
        return;
      }
      case "MapIterationStarted":
      case "MapIterationSucceeded":
      case "MapIterationFailed": {
        const map = e.parentState?.name ?? "";
        this.append(map, e.type, { name: map, index: e.index ?? 0 }, at);
        if (e.type === "MapIterationFailed") this.abortRunning(at, map);
        return;
      }
      default:
      // ExecutionStarted/…Succeeded/…Failed come from the run itself; StateCaught and
      // ParallelBranchStarted have no event of their own in Step Functions' history.
    }
  }

  /** Writes the running states (all, or those inside `inside`) as aborted, innermost first. */
  abortRunning(at = Date.now(), inside?: string): void {
    for (const [name, type] of [...this.open].reverse()) {
      if (inside !== undefined && !isInside(this.facts, name, inside)) continue;
      const event = ABORTED[type];
      if (event) this.append(name, event, { name }, at);
      this.open.delete(name);
      this.hooks.aborted(name);
    }
  }

  private startParallel(name: string, at: number): void {
    this.branchEnds.set(name, { succeeded: 0, failed: 0 });
    for (let i = 0; i < (this.facts.branches.get(name) ?? 0); i++) this.history.forgetScopes(`${name}#${i}`);
    this.append(name, "ParallelStateStarted", undefined, at);
  }
}

/** The state an event is about, for ordering: a branch event belongs to its Parallel. */
export function eventState(e: LibraryEvent): string | undefined {
  return e.state?.name ?? e.parentState?.name;
}

/** Whether `e` happens inside the Parallel `parallel` (its branches' states and events). */
export function happensInside(facts: DefinitionFacts, e: LibraryEvent, parallel: string): boolean {
  if (e.parentState && (e.type.startsWith("ParallelBranch") || e.type.startsWith("MapIteration")))
    return e.parentState.name === parallel || isInside(facts, e.parentState.name, parallel);
  const name = e.state?.name;
  return name !== undefined && isInside(facts, name, parallel);
}
