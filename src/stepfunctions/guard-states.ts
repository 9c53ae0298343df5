import type { AbortCriterionIR } from "../language/runbook.js";
import type { AslBranch, AslState } from "./asl.js";
import { type ExportContext, type Fragment, fragment } from "./export-context.js";
import { lambdaRetrier } from "./step-states.js";

/**
 * Abort criteria on Step Functions: a guard `guard.<n>` is a Parallel whose first branch runs
 * the steps and whose other branches each watch one criterion, probing it through the steps
 * function every `every:` (probe Task `guard.<n>.watch.<c>` → Choice `guard.<n>.check.<c>` →
 * Wait `guard.<n>.wait.<c>`). A branch that fails stops the others, so both ends are failures:
 * the steps' branch packs the state into the cause of `Runbook.GuardCompleted`, which
 * `guard.<n>.done` unpacks to go on; a tripped criterion fails with `Runbook.Aborted`, which the
 * guard's Catch sends to the onAbort steps, as it does `Runbook.Declined` from a gate inside.
 * (StopExecution would not run a Catch: the abort path must stay inside the execution.)
 */

export const GUARD_COMPLETED = "Runbook.GuardCompleted";
export const ABORT_ERROR = "Runbook.Aborted";
export const DECLINED_ERROR = "Runbook.Declined";

/** A probe may take as long as the local engine allows it: between 1 s and 30 s, within its interval. */
export function probeTimeoutSeconds(c: AbortCriterionIR): number {
  return Math.ceil(Math.max(1000, Math.min(c.everyMs, 30_000)) / 1000);
}

export function waitSeconds(c: AbortCriterionIR): number {
  return Math.max(1, Math.round(c.everyMs / 1000));
}

export function guard(
  ctx: ExportContext,
  n: number,
  criteria: readonly AbortCriterionIR[],
  /** The guarded states, built to go on to the given state when done. */
  inner: (next: string) => Fragment,
  next: string,
  onAbort: string,
): Fragment {
  const g = `guard.${n}`;
  const name = ctx.claim(g, { kind: "guard" });
  const pack = ctx.claim(`${g}.pack`, { kind: "guard" });
  const completed = ctx.claim(`${g}.completed`, { kind: "guard" });
  const steps = inner(pack);
  const work: AslBranch = {
    StartAt: steps.start as string,
    States: {
      ...steps.states,
      [pack]: { Type: "Pass", Parameters: { "state.$": "States.JsonToString($)" }, Next: completed },
      // The Fail's cause carries the state out of the Parallel: a Parallel that fails keeps no output.
      [completed]: { Type: "Fail", Error: GUARD_COMPLETED, CausePath: "$.state" },
    },
  };
  const done = ctx.claim(`${g}.done`, { kind: "guard-done" });
  const parallel: AslState = {
    Type: "Parallel",
    Comment: `watched by ${criteria.map((c) => c.id).join(", ")}`,
    Branches: [work, ...criteria.map((c) => watcher(ctx, g, c))],
    Catch: [
      { ErrorEquals: [GUARD_COMPLETED], ResultPath: "$.guard", Next: done },
      { ErrorEquals: [ABORT_ERROR, DECLINED_ERROR], ResultPath: "$.abort", Next: onAbort },
    ],
    // Never taken (the steps' branch always fails): ASL wants a transition all the same.
    Next: done,
  };
  return fragment(name, {
    [name]: parallel,
    [done]: {
      Type: "Pass",
      Parameters: { "state.$": "States.StringToJson($.guard.Cause)" },
      OutputPath: "$.state",
      Next: next,
    },
  });
}

function watcher(ctx: ExportContext, g: string, c: AbortCriterionIR): AslBranch {
  const at = ctx.pathOf(c.id, "id");
  const entry = (kind: "watch" | "probe") => ({ kind, criterion: c.id });
  const probe = ctx.claim(`${g}.watch.${c.id}`, entry("probe"), at);
  const count = ctx.claim(`${g}.count.${c.id}`, entry("watch"), at);
  const check = ctx.claim(`${g}.check.${c.id}`, entry("watch"), at);
  const wait = ctx.claim(`${g}.wait.${c.id}`, entry("watch"), at);
  const tripped = ctx.claim(`${g}.tripped.${c.id}`, entry("watch"), at);
  const watch = `$.watch.${c.id}`;
  return {
    StartAt: probe,
    States: {
      [probe]: {
        Type: "Task",
        Comment: `probe ${c.id}: ${c.probe.type}`,
        Resource: ctx.arns.invoke,
        Parameters: {
          FunctionName: ctx.arns.steps,
          Payload: { action: "probe", criterion: c.id, "failures.$": `${watch}.failures`, "state.$": "$" },
        },
        ResultSelector: { "failures.$": "$.Payload.failures", "tripped.$": "$.Payload.tripped" },
        ResultPath: watch,
        TimeoutSeconds: probeTimeoutSeconds(c),
        Retry: [lambdaRetrier()],
        // A probe that cannot run counts as a failed probe, as it does in the local engine.
        Catch: [{ ErrorEquals: ["States.ALL"], ResultPath: "$.probeError", Next: count }],
        Next: check,
      },
      [count]: {
        Type: "Pass",
        Parameters: { "failures.$": `States.MathAdd(${watch}.failures, 1)`, tripped: false },
        ResultPath: watch,
        Next: check,
      },
      [check]: {
        Type: "Choice",
        Choices: [
          {
            Or: [
              { Variable: `${watch}.tripped`, BooleanEquals: true },
              { Variable: `${watch}.failures`, NumericGreaterThanEquals: c.failures },
            ],
            Next: tripped,
          },
        ],
        Default: wait,
      },
      [wait]: { Type: "Wait", Seconds: waitSeconds(c), Next: probe },
      [tripped]: { Type: "Fail", Error: ABORT_ERROR, Cause: JSON.stringify({ criterion: c.id }) },
    },
  };
}
