import { parseDuration } from "../language/duration.js";
import { collectRefs, hasExpression, parseTemplate, renderTemplate } from "../language/expressions.js";
import type { ExecutorStepIR, ParallelStepIR, StepIR } from "../language/runbook.js";
import { type AslState, type Catcher, type ChoiceRule, END, type Next, transition } from "./asl.js";
import { type ExportContext, type Fragment, fragment, marker } from "./export-context.js";
import { LAMBDA_RETRY_ERRORS, stepRetry } from "./step-retry.js";
import { translateWhen, UntranslatableWhen, type WhenTranslation } from "./when-choice.js";

/**
 * One runbook step as states (issue 13 contract): `<id>.when` (Choice) and `<id>.skip`, the
 * gates `<id>.gate-<n>` (callback Tasks of the approval function, one per approval needed),
 * the step's own Task `<id>` (the steps function runs our executor), `milestone.<name>`; a
 * `parallel` block is a Parallel `<id>` whose branches' results merge back into `$.steps`
 * (`<id>.merge-<i>`). onAbort steps are named `onAbort.<id>`.
 */

/** The Lambda integration of Step Functions, in the partition of the region. */
export const lambdaInvoke = (partition: string) => `arn:${partition}:states:::lambda:invoke`;
/** The local engine bounds a step only by its `timeout:`; Step Functions needs a bound on every Task. */
export const DEFAULT_TASK_TIMEOUT_S = 300;
/** Lambda runs a function for at most 15 minutes. */
export const LAMBDA_MAX_TIMEOUT_S = 900;
/** How long a gate waits for its approval unless an approval step says otherwise. */
export const GATE_TIMEOUT_S = 86_400;
/** The Fail state every abort ends in (after the onAbort steps). */
export const ABORTED = "aborted";
/** Intrinsic functions nest 10 deep at most: a merge Pass takes this many branches. */
const MERGE_CHUNK = 8;

export type Phase = "main" | "onAbort";

export interface Placement {
  phase: Phase;
  /** Where a declined gate goes from here; absent inside a guard or a block's branch, whose Parallel catches for it. */
  declined?: string;
}

export interface StepParts {
  step: StepIR;
  phase: Phase;
  when: WhenTranslation;
  gates?: (next: Next, at: Placement) => Fragment;
  body: (next: Next, at: Placement) => Fragment;
}

const prefix = (phase: Phase) => (phase === "onAbort" ? "onAbort." : "");

export function lambdaRetrier() {
  return { ErrorEquals: LAMBDA_RETRY_ERRORS, IntervalSeconds: 1, MaxAttempts: 3, BackoffRate: 2 };
}

export function stepParts(ctx: ExportContext, step: StepIR, phase: Phase): StepParts {
  const count = gateCount(ctx, step);
  return {
    step,
    phase,
    when: whenOf(ctx, step),
    ...(count ? { gates: (next: Next, at: Placement) => gates(ctx, step, count, next, at) } : {}),
    body: (next, at) =>
      step.kind === "parallel" ? block(ctx, step, next, at) : executorBody(ctx, step, next, phase),
  };
}

/** The whole step: its `when`, gates and body; `pointOfNoReturnRule` first skips it past the point of no return. */
export function wholeStep(
  ctx: ExportContext,
  parts: StepParts,
  next: Next,
  at: { gates: Placement; body: Placement },
  pointOfNoReturnRule?: ChoiceRule,
): Fragment {
  // Never run: only its skip is built, so no state of it is left unreachable.
  if ("constant" in parts.when && !parts.when.constant) return choose(ctx, parts, next, next, {});
  const body = parts.body(next, at.body);
  const gated = parts.gates ? parts.gates(body.start, at.gates) : body;
  const states = { ...body.states, ...(gated === body ? {} : gated.states) };
  return choose(ctx, parts, gated.start, next, states, pointOfNoReturnRule);
}

/** The `<id>.when` Choice before `entry` (and its skips), when the step needs one. */
export function choose(
  ctx: ExportContext,
  parts: StepParts,
  entry: Next,
  next: Next,
  states: Record<string, AslState>,
  pointOfNoReturnRule?: ChoiceRule,
): Fragment {
  const { step, phase, when } = parts;
  const base = `${prefix(phase)}${step.id}`;
  const id = ctx.pathOf(step.id, "id");
  if ("constant" in when && when.constant && !pointOfNoReturnRule) return fragment(entry, states);
  const skip = (suffix: string, reason: "condition" | "pastPointOfNoReturn") =>
    ctx.claim(`${base}.${suffix}`, { kind: "skip", stepId: step.id, phase, reason }, id);
  const rules: { [k: string]: unknown }[] = [];
  const extra: Record<string, AslState> = {};
  if (pointOfNoReturnRule) {
    const name = skip("skip-pnr", "pastPointOfNoReturn");
    extra[name] = marker(next, "skipped: the point of no return was passed");
    rules.push({ ...pointOfNoReturnRule, Next: name });
  }
  let otherwise = entry;
  if ("constant" in when && !when.constant) {
    const name = skip("skip", "condition");
    return fragment(name, { [name]: marker(next, `skipped: ${step.when}`) });
  }
  if ("rule" in when) {
    const name = skip("skip", "condition");
    extra[name] = marker(next, `skipped: ${step.when}`);
    rules.push({ ...when.rule, Next: entry });
    otherwise = name;
  }
  const choice = ctx.claim(`${base}.when`, { kind: "when", stepId: step.id, phase }, id);
  const state: AslState = {
    Type: "Choice",
    ...(step.when ? { Comment: step.when } : {}),
    Choices: rules,
    Default: otherwise as string,
  };
  return fragment(choice, states, extra, { [choice]: state });
}

function whenOf(ctx: ExportContext, step: StepIR): WhenTranslation {
  if (step.when === undefined) return { constant: true };
  try {
    return translateWhen(step.when, ctx.fold);
  } catch (err) {
    if (!(err instanceof UntranslatableWhen)) throw err;
    ctx.problem(
      ctx.pathOf(step.id, "when"),
      `when of step ${step.id} cannot be exported to Step Functions: ${err.message}`,
    );
    return { constant: true };
  }
}

/** How many approvals a step's gate needs (each is one callback Task); undefined when it has no gate. */
function gateCount(ctx: ExportContext, step: StepIR): number | undefined {
  if (step.kind === "executor" && step.type === "approval") {
    const written = step.with.minApprovals ?? 1;
    const value = typeof written === "string" ? known(ctx, written) : written;
    if (typeof value === "number" && Number.isInteger(value) && value >= 1) return value;
    if (typeof value === "string" && /^[1-9]\d*$/.test(value)) return Number(value);
    ctx.problem(
      ctx.pathOf(step.id, "with", "minApprovals"),
      `minApprovals of ${step.id} must be known when the machine is exported (a number, or vars.*): each approval is a state`,
    );
    return 1;
  }
  return step.approval?.minApprovals;
}

/** A template's value from what export knows (vars, run.runbook, run.environment); undefined otherwise. */
function known(ctx: ExportContext, text: string): unknown {
  if (!hasExpression(text)) return text;
  const refs = parseTemplate(text).flatMap((p) => ("expr" in p ? collectRefs(p.expr) : []));
  const foldable = (r: string[]) =>
    r[0] === "vars" || (r[0] === "run" && (r[1] === "runbook" || r[1] === "environment"));
  if (!refs.every(foldable)) return undefined;
  const run = { runbook: ctx.fold.runbook, environment: ctx.fold.environment };
  return renderTemplate(text, { inputs: {}, steps: {}, env: {}, vars: ctx.fold.vars, run });
}

function onAbortCatch(at: Placement): { Catch?: Catcher[] } {
  // An onAbort step that fails ends the abort, as the local engine's does.
  if (at.phase === "onAbort")
    return { Catch: [{ ErrorEquals: ["States.ALL"], ResultPath: "$.onAbortError", Next: ABORTED }] };
  return at.declined
    ? { Catch: [{ ErrorEquals: ["Runbook.Declined"], ResultPath: "$.abort", Next: at.declined }] }
    : {};
}

function gates(ctx: ExportContext, step: StepIR, count: number, next: Next, at: Placement): Fragment {
  const states: Record<string, AslState> = {};
  const timeout =
    step.kind === "executor" && step.type === "approval" && step.timeoutMs !== undefined
      ? Math.max(1, Math.ceil(step.timeoutMs / 1000))
      : GATE_TIMEOUT_S;
  let after = next;
  for (let n = count; n >= 1; n--) {
    const name = ctx.claim(
      `${prefix(at.phase)}${step.id}.gate-${n}`,
      { kind: "gate", stepId: step.id, phase: at.phase },
      ctx.pathOf(step.id, "id"),
    );
    states[name] = {
      Type: "Task",
      Comment: `approval ${n} of ${count} for ${step.name ?? step.id}`,
      Resource: `${ctx.arns.invoke}.waitForTaskToken`,
      Parameters: {
        FunctionName: ctx.arns.approvals,
        Payload: {
          action: "gate.open",
          stepId: step.id,
          approval: n,
          "token.$": "$$.Task.Token",
          "executionArn.$": "$$.Execution.Id",
          "state.$": "$",
        },
      },
      ResultPath: `$.gates.${step.id}.gate-${n}`,
      TimeoutSeconds: timeout,
      Retry: [lambdaRetrier()],
      ...onAbortCatch(at),
      ...transition(after),
    };
    after = name;
  }
  return fragment(after, states);
}

/** The step's Task (none for an approval step: its gates are all of it) and its milestone. */
function executorBody(ctx: ExportContext, step: ExecutorStepIR, next: Next, phase: Phase): Fragment {
  const reached = milestone(ctx, step, next);
  if (step.type === "approval") return reached;
  const timeout =
    step.timeoutMs === undefined ? defaultTimeoutSeconds(ctx, step) : Math.ceil(step.timeoutMs / 1000);
  if (timeout > LAMBDA_MAX_TIMEOUT_S)
    ctx.problem(
      ctx.pathOf(step.id, step.timeoutMs === undefined ? "with" : "timeout"),
      step.timeoutMs === undefined
        ? `step ${step.id} waits longer than Lambda runs a function (${LAMBDA_MAX_TIMEOUT_S} s), and its Task runs in Lambda: wait in shorter steps`
        : `step ${step.id} has a timeout of ${timeout} s, but its Task runs in Lambda, which stops a function after ${LAMBDA_MAX_TIMEOUT_S} s: use a timeout of 15m or less (and retry: for longer waits)`,
    );
  const name = ctx.claim(
    `${prefix(phase)}${step.id}`,
    {
      kind: "step",
      stepId: step.id,
      phase,
      ...(step.pointOfNoReturn ? { pointOfNoReturn: true as const } : {}),
    },
    ctx.pathOf(step.id, "id"),
  );
  const task: AslState = {
    Type: "Task",
    Comment: `${step.type}: ${step.name ?? step.id}`,
    Resource: ctx.arns.invoke,
    Parameters: {
      FunctionName: ctx.arns.steps,
      Payload: { action: "step", stepId: step.id, "state.$": "$" },
    },
    ResultSelector: {
      "outputs.$": "$.Payload.outputs",
      "finishedAt.$": "$.Payload.finishedAt",
      "measures.$": "$.Payload.measures",
    },
    ResultPath: `$.steps.${step.id}`,
    TimeoutSeconds: Math.max(1, timeout),
    Retry: stepRetry(step),
    ...onAbortCatch({ phase }),
    ...transition(reached.start),
  };
  return fragment(name, reached.states, { [name]: task });
}

/** A `wait` step lasts its duration (and a minute to spare); any other step the default. */
function defaultTimeoutSeconds(ctx: ExportContext, step: ExecutorStepIR): number {
  if (step.type !== "wait") return DEFAULT_TASK_TIMEOUT_S;
  const written = step.with.duration;
  const duration = typeof written === "string" ? known(ctx, written) : undefined;
  const ms = typeof duration === "string" ? parseDuration(duration) : undefined;
  return ms === undefined
    ? LAMBDA_MAX_TIMEOUT_S
    : Math.max(DEFAULT_TASK_TIMEOUT_S, Math.ceil(ms / 1000) + 60);
}

function milestone(ctx: ExportContext, step: StepIR, next: Next): Fragment {
  if (!step.milestone) return fragment(next);
  const entry = { kind: "milestone" as const, stepId: step.id, milestone: step.milestone };
  // Two steps may reach the same milestone (the first one counts): the second is named after its step.
  const plain = `milestone.${step.milestone}`;
  const name = ctx.claim(
    ctx.table.has(plain) ? `${plain}.${step.id}` : plain,
    entry,
    ctx.pathOf(step.id, "id"),
  );
  return fragment(name, { [name]: marker(next, `milestone ${step.milestone} reached by ${step.id}`) });
}

/** A `parallel` block: one branch per child; `<id>.merge-<i>` fold the children's results back into the state. */
function block(ctx: ExportContext, b: ParallelStepIR, next: Next, at: Placement): Fragment {
  const reached = milestone(ctx, b, next);
  const chunks: number[][] = [];
  b.children.forEach((_, i) => {
    if (i % MERGE_CHUNK === 0) chunks.push([]);
    chunks.at(-1)!.push(i);
  });
  const merges: Record<string, AslState> = {};
  let after = reached.start;
  for (let k = chunks.length - 1; k >= 0; k--) {
    const name = ctx.claim(`${b.id}.merge-${k}`, { kind: "merge", stepId: b.id }, ctx.pathOf(b.id, "id"));
    const merged = (field: "steps" | "gates") =>
      chunks[k]!.reduce(
        (acc, i) => `States.JsonMerge(${acc}, $.branches.${field}[${i}], false)`,
        `$.${field}`,
      );
    merges[name] = {
      Type: "Pass",
      Parameters: {
        "run.$": "$.run",
        "watch.$": "$.watch",
        "steps.$": merged("steps"),
        "gates.$": merged("gates"),
        ...(k < chunks.length - 1 ? { "branches.$": "$.branches" } : {}),
      },
      ...transition(after),
    };
    after = name;
  }
  const name = ctx.claim(b.id, { kind: "step", stepId: b.id, phase: "main" }, ctx.pathOf(b.id, "id"));
  // A child's declined gate fails its branch; the block's Parallel catches for it.
  const branches = b.children.map((c) => {
    const f = wholeStep(ctx, stepParts(ctx, c, "main"), END, {
      gates: { phase: "main" },
      body: { phase: "main" },
    });
    return { StartAt: f.start as string, States: f.states };
  });
  const childGates = b.children.some((c) => c.approval || c.type === "approval");
  const parallel: AslState = {
    Type: "Parallel",
    Comment: b.name ?? b.id,
    Branches: branches,
    ResultSelector: { "steps.$": "$[*].steps", "gates.$": "$[*].gates" },
    ResultPath: "$.branches",
    ...(childGates ? onAbortCatch(at) : {}),
    Next: after as string,
  };
  return fragment(name, reached.states, merges, { [name]: parallel });
}
