import type { AbortCriterionIR, Runbook, StepIR } from "../language/runbook.js";

/**
 * Which abort criteria watch which top-level steps on Step Functions. A criterion is active
 * for the steps its `during` names (a block when it or one of its children is named), and for
 * every step when it names none, as in the local engine, the point of no return included: an
 * abort after it still runs the onAbort steps marked `always` (failback-case-api sends the
 * clients back when the original region fails again mid-shift, after its switchover).
 * Consecutive steps watched by the same criteria form one group, which the export runs inside
 * one guarded Parallel.
 *
 * The first point-of-no-return step is a group of its own, and the export guards its gates
 * apart from its work: an abort (or a decline) before the step started runs the whole
 * `onAbort`, one after it only the steps marked `always`, as the local engine does.
 */

export interface StepGroup {
  steps: StepIR[];
  /** The criteria watching these steps (none: the steps run unguarded). */
  criteria: AbortCriterionIR[];
  /** This group is the first point-of-no-return step. */
  pointOfNoReturn: boolean;
  /** Steps of the group come after the point of no return. */
  afterPointOfNoReturn: boolean;
}

export function isPointOfNoReturn(step: StepIR): boolean {
  return step.kind === "parallel" ? step.children.some((c) => c.pointOfNoReturn) : step.pointOfNoReturn;
}

/** Index of the first top-level step that is (or holds) a point of no return; the step count when none. */
export function pointOfNoReturnIndex(runbook: Pick<Runbook, "steps">): number {
  const i = runbook.steps.findIndex(isPointOfNoReturn);
  return i < 0 ? runbook.steps.length : i;
}

export function activeCriteria(runbook: Pick<Runbook, "steps" | "abort">, index: number): AbortCriterionIR[] {
  const step = runbook.steps[index]!;
  const ids = new Set([step.id, ...(step.kind === "parallel" ? step.children.map((c) => c.id) : [])]);
  return runbook.abort.filter((c) => !c.during || c.during.some((id) => ids.has(id)));
}

export function stepGroups(runbook: Pick<Runbook, "steps" | "abort">): StepGroup[] {
  const pnr = pointOfNoReturnIndex(runbook);
  const groups: StepGroup[] = [];
  const key = (criteria: AbortCriterionIR[]) => criteria.map((c) => c.id).join("\u0000");
  runbook.steps.forEach((step, i) => {
    const criteria = activeCriteria(runbook, i);
    const last = groups.at(-1);
    const joins = last && !last.pointOfNoReturn && i !== pnr && key(last.criteria) === key(criteria);
    if (joins) last.steps.push(step);
    else groups.push({ steps: [step], criteria, pointOfNoReturn: i === pnr, afterPointOfNoReturn: i > pnr });
  });
  return groups;
}
