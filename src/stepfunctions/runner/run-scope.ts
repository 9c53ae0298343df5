import type { Scope } from "../../language/expressions.js";
import { executorSteps, type Runbook } from "../../language/runbook.js";
import type { FunctionConfig } from "./function-config.js";
import type { StateData } from "./runner-contract.js";
import { fatalPayload } from "./runner-error.js";

/**
 * The Scope a step's params render in, from the execution's state data: what the local engine
 * builds from its journal (src/engine/runtime.ts `scope()`), here from what Step Functions
 * carries between states. `env` stays empty: the function's environment holds its role's keys.
 */
export function scopeFromState(state: StateData, config: FunctionConfig): Scope {
  const steps: Scope["steps"] = {};
  for (const [id, record] of Object.entries(state.steps ?? {}))
    if (record?.outputs) steps[id] = { outputs: record.outputs };
  const { run } = state;
  return {
    inputs: run.inputs ?? {},
    steps,
    env: {},
    vars: config.environment.vars,
    run: {
      executionId: run.executionId,
      runbook: run.runbook,
      environment: run.environment,
      mode: run.mode,
      rtoMs: rtoMs(state, config.runbookIr),
      rpoMs: rpoMs(state),
    },
  };
}

/** The payload's `state` must at least say which execution it is. */
export function checkState(state: unknown): StateData {
  const s = state as Partial<StateData> | undefined;
  if (!s || typeof s !== "object" || !s.run || typeof s.run.executionId !== "string")
    throw fatalPayload(
      "the payload has no state.run.executionId: is the state machine the one exported for this function?",
    );
  if (s.steps !== undefined && (typeof s.steps !== "object" || s.steps === null))
    throw fatalPayload("the payload's state.steps is not an object");
  return { ...s, steps: s.steps ?? {} } as StateData;
}

/** Finished at the step whose milestone is `service_restored`, counted from the declaration. */
function rtoMs(state: StateData, runbook: Runbook): number | undefined {
  const restoring = executorSteps(runbook.steps).find((s) => s.milestone === "service_restored");
  const finishedAt = restoring ? state.steps[restoring.id]?.finishedAt : undefined;
  if (!finishedAt) return undefined;
  return Date.parse(finishedAt) - Date.parse(state.run.declaredAt);
}

function rpoMs(state: StateData): number | undefined {
  for (const record of Object.values(state.steps)) {
    const value = record?.measures?.rpo_observed_ms?.value;
    if (typeof value === "number") return value;
  }
  return undefined;
}
