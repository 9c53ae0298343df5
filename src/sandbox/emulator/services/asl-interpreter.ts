import { choiceTargets, chooseNext } from "./asl-choice.js";
import { readPath, writeResult } from "./asl-paths.js";
import { runTask } from "./asl-task.js";
import {
  type AslDefinition,
  AslError,
  abortableSleep,
  type RunOptions,
  type StateDefinition,
} from "./asl-types.js";

/**
 * A small Amazon States Language interpreter: Task (with Retry and Catch), Pass, Wait
 * (Seconds), Choice, Succeed, Fail, with InputPath/ResultPath/OutputPath limited to `$`
 * and `$.a.b`. Enough to run a runbook exported to ASL against local task handlers;
 * anything else is refused at CreateStateMachine (InvalidDefinition) rather than run wrongly.
 */
export type { AslDefinition, HistoryEvent, TaskHandler } from "./asl-types.js";
export { AslError } from "./asl-types.js";

const SUPPORTED = new Set(["Task", "Pass", "Wait", "Choice", "Succeed", "Fail"]);

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
  const states = def.States;
  if (!states[def.StartAt]) throw new Error(`StartAt ${def.StartAt} is not a state`);
  for (const [name, state] of Object.entries(states)) {
    if (!SUPPORTED.has(state.Type))
      throw new Error(`State ${name}: type ${state.Type} is not supported by the emulator`);
    const targets = [
      ...(state.Next !== undefined ? [state.Next] : []),
      ...(state.Catch ?? []).map((c) => c.Next),
      ...(state.Type === "Choice" ? choiceTargets(state) : []),
    ];
    for (const t of targets) if (!states[t]) throw new Error(`State ${name}: next state ${t} not found`);
    if (state.Type === "Choice" && (state.Choices ?? []).length === 0)
      throw new Error(`State ${name} has no Choices`);
    const terminal = ["Succeed", "Fail", "Choice"].includes(state.Type) || state.End === true;
    if (!terminal && state.Next === undefined) throw new Error(`State ${name} has neither Next nor End`);
  }
  return def as AslDefinition;
}

/** Runs one state; returns its output and the next state's name (undefined when the execution ends). */
async function step(
  name: string,
  state: StateDefinition,
  data: unknown,
  o: RunOptions,
): Promise<{ output: unknown; next: string | undefined }> {
  const effective = readPath(data, state.InputPath);
  const following = state.End === true ? undefined : state.Next;
  switch (state.Type) {
    case "Pass":
      return { output: writeResult(data, state.Result ?? effective, state.ResultPath), next: following };
    case "Wait":
      await abortableSleep((state.Seconds ?? 0) * 1000 * o.waitScale, o.signal);
      return { output: effective, next: following };
    case "Task": {
      const outcome = await runTask(state, data, effective, o);
      return { output: outcome.output, next: outcome.next ?? following };
    }
    case "Choice":
      return { output: effective, next: chooseNext(state, effective) };
    case "Succeed":
      return { output: effective, next: undefined };
    case "Fail":
      throw new AslError(state.Error ?? "States.Fail", state.Cause ?? "");
    default:
      throw new AslError("States.Runtime", `State ${name}: unsupported type ${state.Type}`);
  }
}

/** Runs to completion; resolves with the output or rejects with an AslError. */
export async function runDefinition(def: AslDefinition, input: unknown, o: RunOptions): Promise<unknown> {
  let name: string | undefined = def.StartAt;
  let data = input;
  while (name !== undefined) {
    if (o.signal.aborted) throw new AslError("States.Aborted", "Execution stopped");
    const state = def.States[name] as StateDefinition;
    o.emit(`${state.Type}StateEntered`, { name, input: JSON.stringify(data) });
    const { output, next } = await step(name, state, data, o);
    data = readPath(output, state.OutputPath);
    o.emit(`${state.Type}StateExited`, { name, output: JSON.stringify(data) });
    name = next;
  }
  return data;
}
