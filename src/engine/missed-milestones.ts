import type { EventData } from "../journal/events.js";
import type { ExecutionState } from "../journal/fold.js";
import type { Runbook, StepIR } from "../language/runbook.js";

export interface MissedMilestone {
  stepId: string;
  data: EventData["milestone"];
}

/**
 * Milestones of steps the journal shows succeeded but whose milestone it lacks: the engine was
 * killed between journaling the success and the milestone (two appends). Resume would never run
 * those steps again, so without this a run killed there completes with no `service_restored`
 * and no RTO. The milestone is dated when the step succeeded, which is when it was reached.
 */
export function missedMilestones(runbook: Runbook, state: ExecutionState): MissedMilestone[] {
  const missed: MissedMilestone[] = [];
  const seen = new Set(Object.keys(state.milestones));
  const visit = (s: StepIR) => {
    const st = state.steps.get(s.id);
    if (s.milestone && !seen.has(s.milestone) && st?.status === "succeeded" && st.endedAt) {
      seen.add(s.milestone);
      missed.push({ stepId: s.id, data: { name: s.milestone, at: st.endedAt } });
    }
    if (s.kind === "parallel") s.children.forEach(visit);
  };
  runbook.steps.forEach(visit);
  runbook.onAbort.forEach(visit);
  return missed;
}
