import "./promise-with-resolvers.js";
import type { StateMachine } from "aws-local-stepfunctions";
import { ApiError } from "../errors.js";
import type { AslDefinition } from "./sfn-model.js";

/**
 * A state machine definition as the sandbox's Step Functions reads it: validated by
 * aws-local-stepfunctions' own validation (asl-validator) at Create/UpdateStateMachine, and
 * the facts an execution needs about its states (every Task, nested ones too; which Parallel
 * encloses which state; each Parallel's branch count), gathered once.
 */

export type StateDef = Record<string, unknown> & { Type: string };
export interface TaskDef extends StateDef {
  Resource: string;
  Parameters?: unknown;
  TimeoutSeconds?: number;
  TimeoutSecondsPath?: string;
  HeartbeatSeconds?: number;
}

export interface DefinitionFacts {
  /** Every Task state by name (state names are unique in a whole machine). */
  tasks: Map<string, TaskDef>;
  /** Every state's type. */
  types: Map<string, string>;
  /** The Parallel or Map state enclosing a state, if any. */
  parents: Map<string, string>;
  /** Each Parallel's number of branches. */
  branches: Map<string, number>;
  /** The branch a state runs in (`""` at the top, `<Parallel>#<i>` in a branch), for previousEventId. */
  scopes: Map<string, string>;
  waits: Map<string, StateDef>;
  retries: Map<string, { IntervalSeconds?: number }[]>;
}

type Library = typeof import("aws-local-stepfunctions");
let library: Promise<Library> | undefined;

/** Loaded on first use: the interpreter pulls in SDK clients an emulator without state machines never needs. */
export function loadInterpreter(): Promise<Library> {
  library ??= import("aws-local-stepfunctions");
  return library;
}

/** The longest timer Node keeps (2^31 − 1 ms): a Task with no TimeoutSeconds waits this long, not the interpreter's 60 s. */
const FOREVER_SECONDS = 2_147_483;

const invalid = (message: string) =>
  new ApiError("InvalidDefinition", `Invalid State Machine Definition: '${message}'`, 400);

/** Parses and validates a definition; throws InvalidDefinition with the validator's findings. */
export async function parseDefinition(text: string): Promise<AslDefinition> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw invalid(`INVALID_JSON_DESCRIPTION: ${(error as Error).message}`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
    throw invalid("SCHEMA_VALIDATION_FAILED: the definition must be a JSON object");
  const def = parsed as AslDefinition & { QueryLanguage?: string };
  if (JSON.stringify(def).includes('"QueryLanguage":"JSONata"'))
    throw invalid(
      "SCHEMA_VALIDATION_FAILED: this sandbox's Step Functions (aws-local-stepfunctions) runs JSONPath only; it would ignore JSONata",
    );
  const { StateMachine } = await loadInterpreter();
  try {
    // The validator writes into what it is given.
    new StateMachine(structuredClone(def));
  } catch (error) {
    const lines = (error as Error).message
      .split("\n")
      .slice(1)
      .map((l) => l.trim())
      .filter(Boolean);
    throw invalid(lines.length ? lines.join(", ") : (error as Error).message);
  }
  return def;
}

type States = Record<string, StateDef>;
interface Branch {
  States: States;
}

type Visit = (name: string, s: StateDef, parent: string | undefined, scope: string) => void;

/** Calls `visit` for every state, nested ones too, with its enclosing Parallel/Map and branch. */
function walk(branch: Branch, parent: string | undefined, scope: string, visit: Visit) {
  for (const [name, state] of Object.entries(branch.States)) {
    visit(name, state, parent, scope);
    if (state.Type === "Parallel") {
      const branches = state.Branches as Branch[];
      for (const [i, b] of branches.entries()) walk(b, name, `${name}#${i}`, visit);
    }
    if (state.Type === "Map") {
      const inner = (state.ItemProcessor ?? state.Iterator) as Branch | undefined;
      if (inner) walk(inner, name, `${name}#0`, visit);
    }
  }
}

export function definitionFacts(def: AslDefinition): DefinitionFacts {
  const facts: DefinitionFacts = {
    tasks: new Map(),
    types: new Map(),
    parents: new Map(),
    branches: new Map(),
    scopes: new Map(),
    waits: new Map(),
    retries: new Map(),
  };
  walk(def as unknown as Branch, undefined, "", (name, s, parent, scope) => {
    facts.types.set(name, s.Type);
    facts.scopes.set(name, scope);
    if (parent) facts.parents.set(name, parent);
    if (s.Type === "Task") facts.tasks.set(name, s as TaskDef);
    if (s.Type === "Parallel") facts.branches.set(name, (s.Branches as Branch[]).length);
    if (s.Type === "Wait") facts.waits.set(name, s);
    if (Array.isArray(s.Retry)) facts.retries.set(name, s.Retry as { IntervalSeconds?: number }[]);
  });
  return facts;
}

/** Whether `name` lies inside the Parallel (or Map) `outer`, however deep. */
export function isInside(facts: DefinitionFacts, name: string, outer: string): boolean {
  for (let p = facts.parents.get(name); p !== undefined; p = facts.parents.get(p))
    if (p === outer) return true;
  return false;
}

/**
 * The copy the interpreter runs: a Task without TimeoutSeconds waits as long as a timer can
 * (Step Functions' default is 99,999,999 s; the interpreter's would be 60 s).
 */
export function runnableCopy(def: AslDefinition): AslDefinition {
  const copy = structuredClone(def);
  walk(copy as unknown as Branch, undefined, "", (_name, s) => {
    if (s.Type === "Task" && s.TimeoutSeconds === undefined && s.TimeoutSecondsPath === undefined)
      s.TimeoutSeconds = FOREVER_SECONDS;
  });
  return copy;
}

/** Wait and retry pauses scaled by `scale` (tests run Waits at a fraction of real time); none at 1. */
export function scaledOverrides(facts: DefinitionFacts, scale: number) {
  const waitTimeOverrides: Record<string, number> = {};
  const retryIntervalOverrides: Record<string, number[]> = {};
  if (scale === 1) return { waitTimeOverrides, retryIntervalOverrides };
  for (const [name, s] of facts.waits)
    if (typeof s.Seconds === "number") waitTimeOverrides[name] = Math.round(s.Seconds * 1000 * scale);
  for (const [name, retriers] of facts.retries)
    retryIntervalOverrides[name] = retriers.map((r) => Math.round((r.IntervalSeconds ?? 1) * 1000 * scale));
  return { waitTimeOverrides, retryIntervalOverrides };
}

export type Interpreter = StateMachine;
