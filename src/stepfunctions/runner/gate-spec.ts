import { approval } from "../../../executors/approval.js";
import { renderDeep, renderTemplate } from "../../language/expressions.js";
import type { ApprovalSpec, StepIR } from "../../language/runbook.js";
import type { FunctionConfig } from "./function-config.js";
import { scopeFromState } from "./run-scope.js";
import type { StateData } from "./runner-contract.js";

/**
 * What a step's gate asks and who may answer it: a step's `approval:` (its prompt rendered, as
 * src/engine/machine.ts renders it) or an `approval` step's params. Rendered in the state the
 * gate opened with, so a prompt naming an earlier step's output reads as it did then.
 */
export function gateSpec(
  config: FunctionConfig,
  stepId: string,
  state: StateData | undefined,
): ApprovalSpec | undefined {
  const step = allSteps(config.runbookIr).find((s) => s.id === stepId);
  if (!step) return undefined;
  const scope = state?.run
    ? scopeFromState({ ...state, steps: state.steps ?? {} }, config)
    : { inputs: {}, steps: {}, env: {}, vars: config.environment.vars };
  if (step.approval) return { ...step.approval, prompt: String(renderTemplate(step.approval.prompt, scope)) };
  if (step.kind !== "executor" || step.type !== approval.type) return undefined;
  const p = approval.params.safeParse(renderDeep(step.with, scope));
  if (!p.success) return undefined;
  return {
    prompt: p.data.prompt,
    minApprovals: p.data.minApprovals ?? 1,
    ...(p.data.approvers ? { approvers: p.data.approvers } : {}),
  };
}

function allSteps(rb: FunctionConfig["runbookIr"]): StepIR[] {
  return [...rb.steps.flatMap((s) => (s.kind === "parallel" ? [s, ...s.children] : [s])), ...rb.onAbort];
}
