import type { Environment } from "../environment/environment.js";
import { ExportError } from "../errors.js";
import { partitionOf } from "../iam/arn.js";
import type { Runbook } from "../language/runbook.js";
import type { SourceMap } from "../language/source-map.js";
import {
  type AslBranch,
  type AslState,
  allStates,
  goesTo,
  type Next,
  type StateMachineDefinition,
} from "./asl.js";
import { ExportContext, type Fragment } from "./export-context.js";
import { exportNames, functionArn } from "./export-names.js";
import { refuseUnsupported } from "./export-refusals.js";
import { type StepGroup, stepGroups } from "./guard-groups.js";
import { guard } from "./guard-states.js";
import {
  durationSeconds,
  estimateHistory,
  HISTORY_EXPORT_LIMIT,
  HISTORY_HARD_LIMIT,
} from "./history-estimate.js";
import type { Manifest } from "./manifest.js";
import { ABORTED, choose, lambdaInvoke, type Placement, stepParts, wholeStep } from "./step-states.js";
import { validateDefinition } from "./validate-definition.js";

/**
 * A runbook as an AWS Step Functions state machine (Standard workflow, JSONPath): the same
 * steps in the same order, each executor step a Task of the steps function (our executor code
 * in Lambda), gates as callback Tasks of the approval function, `when` as Choice states,
 * milestones as Pass states, abort criteria as guarded Parallels, and `onAbort` as the path
 * every abort takes. Pure: no I/O, no clock; the same runbook and environment give the same bytes.
 *
 * State data: `{ run, steps: { <id>: { outputs, finishedAt, measures } }, gates, watch }`,
 * from the execution input `{ run, started }` (issue 13 contract).
 */

export interface ExportOptions {
  /** The recovery region, where the machine and its functions run. */
  region: string;
  accountId: string;
  /** The runbook's source, so that refusals point at file:line:col. */
  sourceMap?: SourceMap;
  /**
   * Check the result with asl-validator (default). `run --engine stepfunctions` skips it: it
   * compares with the deployed machine, which deploy validated, and every 100 ms counts then.
   */
  validate?: boolean;
}

export interface ExportedMachine {
  definition: StateMachineDefinition;
  manifest: Manifest;
}

const START = "start";
const END_STATE = "end";
const PAST_POINT_OF_NO_RETURN = "onAbort.past-point-of-no-return";
const PNR_FLAG = "$.pastPointOfNoReturn";

export function exportStateMachine(runbook: Runbook, env: Environment, o: ExportOptions): ExportedMachine {
  const names = exportNames(runbook.name);
  const arns = {
    steps: functionArn(o.region, o.accountId, names.functions.steps),
    approvals: functionArn(o.region, o.accountId, names.functions.approvals),
    invoke: lambdaInvoke(partitionOf(o.region)),
  };
  const fold = { vars: env.vars, runbook: runbook.name, environment: env.name };
  const ctx = new ExportContext(runbook, arns, fold, o.sourceMap);
  for (const [name, kind] of [
    [START, "start"],
    [END_STATE, "end"],
    [ABORTED, "aborted"],
  ] as const)
    ctx.claim(name, { kind });
  const groups = stepGroups(runbook);
  refuseUnsupported(ctx, groups);

  const abortPaths = onAbortChain(ctx, groups);
  const states: Record<string, AslState> = { ...abortPaths.states };
  let next = END_STATE;
  const numbers = guardNumbers(groups);
  for (let i = groups.length - 1; i >= 0; i--) {
    const f = groupStates(ctx, groups[i]!, numbers[i]!, next, abortPaths);
    Object.assign(states, f.states);
    next = f.start as string;
  }
  const watch = Object.fromEntries(runbook.abort.map((c) => [c.id, { failures: 0, tripped: false }]));
  states[START] = {
    Type: "Pass",
    Comment: "the state every step reads: the run, each step's result, gates, abort watchers",
    Parameters: { "run.$": "$.run", steps: {}, gates: {}, watch },
    Next: next,
  };
  states[END_STATE] = { Type: "Succeed" };
  // A runbook with no gate, abort criterion or onAbort step cannot abort: no state leads to
  // `aborted`, and Step Functions refuses a machine with an unreachable state.
  if (Object.values(states).some((s) => goesTo(s, ABORTED)))
    states[ABORTED] = {
      Type: "Fail",
      Error: "Runbook.Aborted",
      Cause:
        "aborted: an abort criterion fired or a gate was declined, and the onAbort steps ran (see the history)",
    };
  else Reflect.deleteProperty(ctx.table.states, ABORTED);
  if (ctx.problems.length > 0)
    throw new ExportError([...ctx.problems].sort((a, b) => a.line - b.line || a.col - b.col));
  const definition: StateMachineDefinition = {
    Comment: `runbook ${runbook.name} for environment ${env.name} (source sha256 ${runbook.sourceSha256.slice(0, 12)}), exported by runbook export`,
    QueryLanguage: "JSONPath",
    ...ordered({ StartAt: START, States: states }),
  };

  const historyEstimate = estimateHistory(definition);
  if (historyEstimate.worstCase > HISTORY_EXPORT_LIMIT) refuseHistory(ctx, definition, historyEstimate);
  if (o.validate !== false) validateDefinition(definition);
  const stateNames = allStates(definition).map(([name]) => name);
  const missing = Object.keys(ctx.table.states).filter((n) => !stateNames.includes(n));
  if (missing.length > 0)
    throw new Error(`internal: named states that were not built: ${missing.join(", ")}`);
  return {
    definition,
    manifest: {
      runbook: runbook.name,
      environment: env.name,
      region: o.region,
      accountId: o.accountId,
      stateMachineName: names.stateMachine,
      functions: names.functions,
      roles: names.roles,
      states: Object.fromEntries(stateNames.map((n) => [n, ctx.table.states[n]!])),
      historyEstimate,
    },
  };
}

interface AbortPaths {
  /** The onAbort steps from the first: where an abort goes before the point of no return. */
  full: string;
  /** After it: the onAbort steps marked `always` only. */
  pastPointOfNoReturn: string;
  states: Record<string, AslState>;
}

/**
 * The onAbort steps, then `aborted`. Past the point of no return only the steps marked
 * `always` run: the entry for that path sets a flag each other step's Choice skips on.
 */
function onAbortChain(ctx: ExportContext, groups: readonly StepGroup[]): AbortPaths {
  const flagged = reachesPastPointOfNoReturn(groups) && ctx.runbook.onAbort.some((s) => !s.always);
  const states: Record<string, AslState> = {};
  const pnrRule = {
    And: [
      { Variable: PNR_FLAG, IsPresent: true },
      { Variable: PNR_FLAG, BooleanEquals: true },
    ],
  };
  let next: Next = ABORTED;
  const at: Placement = { phase: "onAbort" };
  for (const s of [...ctx.runbook.onAbort].reverse()) {
    const f = wholeStep(
      ctx,
      stepParts(ctx, s, "onAbort"),
      next,
      { gates: at, body: at },
      flagged && !s.always ? pnrRule : undefined,
    );
    Object.assign(states, f.states);
    next = f.start;
  }
  const full = next as string;
  if (!flagged) return { full, pastPointOfNoReturn: full, states };
  const past = ctx.claim(PAST_POINT_OF_NO_RETURN, { kind: "aborted", phase: "onAbort" });
  states[past] = {
    Type: "Pass",
    Comment: "the point of no return was passed: only onAbort steps marked always run",
    Result: true,
    ResultPath: PNR_FLAG,
    Next: full,
  };
  return { full, pastPointOfNoReturn: past, states };
}

/** Whether an abort can happen once the point-of-no-return step has started. */
function reachesPastPointOfNoReturn(groups: readonly StepGroup[]): boolean {
  const gated = (s: StepGroup["steps"][number]): boolean =>
    Boolean(s.approval) ||
    (s.kind === "executor"
      ? s.type === "approval"
      : s.children.some((c) => c.approval || c.type === "approval"));
  return groups.some(
    (g) =>
      (g.pointOfNoReturn &&
        (g.criteria.length > 0 || (g.steps[0]!.kind === "parallel" && gated(g.steps[0]!)))) ||
      (g.afterPointOfNoReturn && (g.criteria.length > 0 || g.steps.some(gated))),
  );
}

type GuardNumbers = { gates?: number; body?: number; whole?: number };

/** Guards are numbered in document order; the point-of-no-return step's gates and work are guarded apart. */
function guardNumbers(groups: readonly StepGroup[]): GuardNumbers[] {
  let n = 0;
  return groups.map((g) => {
    if (g.criteria.length === 0) return {};
    if (!g.pointOfNoReturn) return { whole: ++n };
    const s = g.steps[0]!;
    const gated = Boolean(s.approval) || (s.kind === "executor" && s.type === "approval");
    return gated ? { gates: ++n, body: ++n } : { body: ++n };
  });
}

function groupStates(
  ctx: ExportContext,
  g: StepGroup,
  n: GuardNumbers,
  next: string,
  aborts: AbortPaths,
): Fragment {
  const chain = (after: Next, at: (i: number) => { gates: Placement; body: Placement }): Fragment => {
    const states: Record<string, AslState> = {};
    for (let i = g.steps.length - 1; i >= 0; i--) {
      const f = wholeStep(ctx, stepParts(ctx, g.steps[i]!, "main"), after, at(i));
      Object.assign(states, f.states);
      after = f.start;
    }
    return { start: after, states };
  };
  const main: Placement = { phase: "main" };
  if (g.criteria.length === 0) {
    const before = { phase: "main" as const, declined: aborts.full };
    const past = { phase: "main" as const, declined: aborts.pastPointOfNoReturn };
    return chain(next, () => ({
      gates: g.afterPointOfNoReturn ? past : before,
      body: g.afterPointOfNoReturn || g.pointOfNoReturn ? past : before,
    }));
  }
  if (n.whole !== undefined) {
    const onAbort = g.afterPointOfNoReturn ? aborts.pastPointOfNoReturn : aborts.full;
    return guard(
      ctx,
      n.whole,
      g.criteria,
      (after) => chain(after, () => ({ gates: main, body: main })),
      next,
      onAbort,
    );
  }
  // The point of no return: an abort while its gates wait runs every onAbort step, one during its work only `always` ones.
  const parts = stepParts(ctx, g.steps[0]!, "main");
  if ("constant" in parts.when && !parts.when.constant)
    return wholeStep(ctx, parts, next, { gates: main, body: main });
  const body = guard(
    ctx,
    n.body!,
    g.criteria,
    (after) => parts.body(after, main),
    next,
    aborts.pastPointOfNoReturn,
  );
  const gates =
    parts.gates && n.gates !== undefined
      ? guard(
          ctx,
          n.gates,
          g.criteria,
          (after) => parts.gates!(after, main),
          body.start as string,
          aborts.full,
        )
      : undefined;
  return choose(ctx, parts, (gates ?? body).start, next, { ...body.states, ...gates?.states });
}

function refuseHistory(
  ctx: ExportContext,
  definition: StateMachineDefinition,
  estimate: ReturnType<typeof estimateHistory>,
): never {
  const top = estimate.loops[0]!;
  const entry = ctx.table.states[top.state];
  let where = ctx.pathOf(entry?.stepId ?? "", "retry");
  let what = `${top.state}, retried: ${top.events} events (fewer attempts)`;
  if (entry?.criterion) {
    where = ctx.pathOf(entry.criterion, "every");
    const guardName = top.state.split(".").slice(0, 2).join(".");
    const work = allStates(definition).find(([n]) => n === guardName)?.[1].Branches?.[0];
    const steps = [
      ...new Set(Object.keys(work?.States ?? {}).flatMap((n) => ctx.table.states[n]?.stepId ?? [])),
    ];
    what = `the watcher of abort criterion ${entry.criterion} (${top.state}), ${top.events} events: it probes for as long as ${steps.join(", ")} may take, ${work ? durationSeconds(work) : "?"} s with every attempt timing out. Probe less often (every:), give those steps shorter timeouts or fewer attempts, or narrow its during:`;
  }
  ctx.problem(
    where,
    `an execution of this machine may write up to ${estimate.worstCase} history events; Step Functions ends an execution at ${HISTORY_HARD_LIMIT} and the export allows ${HISTORY_EXPORT_LIMIT}. The costliest loop is ${what}`,
  );
  throw new ExportError(ctx.problems);
}

/** States in the order an execution meets them (Next, Choices, Default, Catch), branches likewise. */
function ordered(branch: AslBranch): AslBranch {
  const order: string[] = [];
  const visit = (name: string | undefined) => {
    if (name === undefined || order.includes(name) || !branch.States[name]) return;
    order.push(name);
    const s = branch.States[name]!;
    visit(s.Next);
    for (const c of s.Choices ?? []) visit(c.Next as string);
    visit(s.Default);
    for (const c of s.Catch ?? []) visit(c.Next);
  };
  visit(branch.StartAt);
  const unreachable = Object.keys(branch.States).filter((n) => !order.includes(n));
  if (unreachable.length > 0) throw new Error(`internal: unreachable states ${unreachable.join(", ")}`);
  const states = order.map((name): [string, AslState] => {
    const s = branch.States[name]!;
    return [name, s.Branches ? { ...s, Branches: s.Branches.map(ordered) } : s];
  });
  return { StartAt: branch.StartAt, States: Object.fromEntries(states) };
}
