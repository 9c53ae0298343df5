/**
 * A small Amazon States Language interpreter: Task, Pass, Wait (Seconds), Succeed, Fail,
 * with InputPath/ResultPath/OutputPath limited to `$` and `$.a.b` paths. Enough to run a
 * runbook exported to ASL against local task handlers; anything else fails the execution
 * with `States.Runtime` naming what is unsupported, rather than running it wrongly.
 */

export type TaskHandler = (input: unknown) => Promise<unknown>;

export interface HistoryEvent {
  timestamp: Date;
  type: string;
  details?: Record<string, unknown>;
}

export interface StateDefinition {
  Type: string;
  Next?: string;
  End?: boolean;
  Resource?: string;
  Result?: unknown;
  Seconds?: number;
  Error?: string;
  Cause?: string;
  InputPath?: string | null;
  OutputPath?: string | null;
  ResultPath?: string | null;
}

export interface AslDefinition {
  StartAt: string;
  States: Record<string, StateDefinition>;
}

export class AslError extends Error {
  constructor(
    readonly error: string,
    readonly causeText: string,
  ) {
    super(`${error}: ${causeText}`);
  }
}

const SUPPORTED = new Set(["Task", "Pass", "Wait", "Succeed", "Fail"]);

/** Parses and checks a definition; throws a message for InvalidDefinition. */
export function parseDefinition(text: string): AslDefinition {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error("Definition is not valid JSON");
  }
  const def = parsed as Partial<AslDefinition>;
  if (typeof def?.StartAt !== "string" || typeof def.States !== "object" || def.States === null) {
    throw new Error("Definition needs StartAt and States");
  }
  if (!def.States[def.StartAt]) throw new Error(`StartAt ${def.StartAt} is not a state`);
  for (const [name, state] of Object.entries(def.States)) {
    if (!SUPPORTED.has(state.Type))
      throw new Error(`State ${name}: type ${state.Type} is not supported by the emulator`);
    if (state.Next !== undefined && !def.States[state.Next])
      throw new Error(`State ${name}: Next ${state.Next} not found`);
    const terminal = state.Type === "Succeed" || state.Type === "Fail" || state.End === true;
    if (!terminal && state.Next === undefined) throw new Error(`State ${name} has neither Next nor End`);
  }
  return def as AslDefinition;
}

function readPath(value: unknown, path: string | null | undefined): unknown {
  if (path === null) return {};
  if (path === undefined || path === "$") return value;
  if (!path.startsWith("$.")) throw new AslError("States.Runtime", `Unsupported path ${path}`);
  let current: unknown = value;
  for (const key of path.slice(2).split(".")) {
    if (typeof current !== "object" || current === null || !(key in current)) {
      throw new AslError("States.Runtime", `Path ${path} not found in input`);
    }
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

function writeResult(input: unknown, result: unknown, path: string | null | undefined): unknown {
  if (path === null) return input;
  if (path === undefined || path === "$") return result;
  if (!path.startsWith("$.")) throw new AslError("States.Runtime", `Unsupported ResultPath ${path}`);
  const root: Record<string, unknown> =
    typeof input === "object" && input !== null && !Array.isArray(input)
      ? (structuredClone(input as object) as Record<string, unknown>)
      : {};
  const keys = path.slice(2).split(".");
  let node = root;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    node[key] = typeof next === "object" && next !== null ? next : {};
    node = node[key] as Record<string, unknown>;
  }
  node[keys[keys.length - 1] as string] = result;
  return root;
}

export interface RunOptions {
  handlers: ReadonlyMap<string, TaskHandler>;
  /** Multiplies Wait seconds, so tests need not wait in real time. */
  waitScale: number;
  emit: (type: string, details?: Record<string, unknown>) => void;
  signal: AbortSignal;
}

/** Runs to completion; resolves with the output or rejects with an AslError. */
export async function runDefinition(def: AslDefinition, input: unknown, o: RunOptions): Promise<unknown> {
  let name = def.StartAt;
  let data = input;
  for (;;) {
    if (o.signal.aborted) throw new AslError("States.Aborted", "Execution stopped");
    const state = def.States[name] as StateDefinition;
    o.emit(`${state.Type}StateEntered`, { name, input: JSON.stringify(data) });
    const effective = readPath(data, state.InputPath);
    let output: unknown;
    switch (state.Type) {
      case "Pass":
        output = writeResult(data, state.Result ?? effective, state.ResultPath);
        break;
      case "Wait":
        await abortableSleep((state.Seconds ?? 0) * 1000 * o.waitScale, o.signal);
        output = effective;
        break;
      case "Task": {
        const resource = state.Resource ?? "";
        const handler = o.handlers.get(resource);
        o.emit("TaskScheduled", { resource, resourceType: "lambda", parameters: JSON.stringify(effective) });
        if (!handler) {
          const e = new AslError("States.TaskFailed", `No task handler registered for ${resource}`);
          o.emit("TaskFailed", { resource, resourceType: "lambda", error: e.error, cause: e.causeText });
          throw e;
        }
        let result: unknown;
        try {
          result = await handler(effective);
        } catch (error) {
          const e = new AslError(error instanceof Error ? error.name : "Error", String(error));
          o.emit("TaskFailed", { resource, resourceType: "lambda", error: e.error, cause: e.causeText });
          throw e;
        }
        o.emit("TaskSucceeded", { resource, resourceType: "lambda", output: JSON.stringify(result ?? null) });
        output = writeResult(data, result, state.ResultPath);
        break;
      }
      case "Succeed":
        output = effective;
        break;
      case "Fail":
        throw new AslError(state.Error ?? "States.Fail", state.Cause ?? "");
      default:
        throw new AslError("States.Runtime", `Unsupported state type ${state.Type}`);
    }
    data = readPath(output, state.OutputPath);
    o.emit(`${state.Type}StateExited`, { name, output: JSON.stringify(data) });
    if (state.Type === "Succeed" || state.End === true) return data;
    name = state.Next as string;
  }
}

/** A Wait must not keep a closed emulator's process alive: closing aborts it. */
function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}
