import type { PlannedStep } from "../journal/events.js";
import type { ExecutionState, StepState } from "../journal/fold.js";
import type { SpanStatus, StepSpan } from "./timeline-model.js";

/**
 * Per-step spans from the folded state: first intent (or gate request) → outcome, in plan
 * order. A `parallel` block has no events of its own; its span covers its children.
 */
export function buildStepSpans(state: ExecutionState, unfinished: boolean): StepSpan[] {
  const declaredMs = Date.parse(state.declaredAt);
  const planned = new Map(state.plan.map((p) => [p.id, p]));
  const ids = [...state.plan.map((p) => p.id), ...[...state.steps.keys()].filter((id) => !planned.has(id))];
  const spans = new Map<string, StepSpan>();
  for (const id of ids) {
    const plan = planned.get(id) ?? unplanned(id);
    const st = state.steps.get(id) ?? { id, status: "pending", attempts: 0, approvals: [], inDoubt: false };
    spans.set(id, leafSpan(plan, st, unfinished));
  }
  const children = new Map<string, StepSpan[]>();
  for (const span of spans.values()) {
    if (span.parent === undefined) continue;
    const list = children.get(span.parent);
    if (list) list.push(span);
    else children.set(span.parent, [span]);
  }
  // Reverse plan order: a nested block is covered before the block that contains it.
  for (const span of [...spans.values()].reverse()) {
    if (span.parallel) coverChildren(span, children.get(span.id) ?? []);
  }
  for (const span of spans.values()) {
    if (span.startedAt === undefined) continue;
    const startMs = Date.parse(span.startedAt);
    span.startOffsetMs = startMs - declaredMs;
    if (span.endedAt !== undefined) span.durationMs = Date.parse(span.endedAt) - startMs;
  }
  return [...spans.values()];
}

function unplanned(id: string): PlannedStep {
  return { id, type: "unknown", phase: "main", description: "(not in the recorded plan)" };
}

function leafSpan(plan: PlannedStep, st: StepState, unfinished: boolean): StepSpan {
  const span: StepSpan = {
    id: plan.id,
    type: plan.type,
    description: plan.description,
    phase: plan.phase,
    parallel: plan.parallel === true,
    status: spanStatus(st, unfinished),
    attempts: st.attempts,
    alreadyInPlace: st.alreadyInPlace === true,
    pointOfNoReturn: plan.pointOfNoReturn === true,
    gate: plan.gate === true,
    approvals: st.approvals.map((a) => ({
      by: a.by,
      via: a.via,
      at: a.at,
      ...(a.proof ? { proof: { method: a.proof.method, requestId: a.proof.requestId } } : {}),
    })),
  };
  if (plan.parent !== undefined) span.parent = plan.parent;
  if (plan.milestone !== undefined) span.milestone = plan.milestone;
  const startedAt = earliest(st.gateRequested?.at, st.firstStartedAt);
  if (startedAt !== undefined) span.startedAt = startedAt;
  if (st.endedAt !== undefined && st.status !== "skipped") span.endedAt = st.endedAt;
  if (st.status === "skipped" && st.endedAt !== undefined) span.endedAt = st.endedAt;
  if (st.declined) {
    const { proof, ...declined } = st.declined;
    span.declined = {
      ...declined,
      ...(proof ? { proof: { method: proof.method, requestId: proof.requestId } } : {}),
    };
    span.endedAt ??= st.declined.at;
  }
  if (st.assumedBy !== undefined) span.assumedBy = st.assumedBy;
  if (st.account !== undefined) span.account = st.account;
  if (st.principal !== undefined) span.principal = st.principal;
  if (st.calls !== undefined) span.calls = { ...st.calls };
  if (st.skipReason !== undefined) span.skipReason = st.skipReason;
  if (st.error) span.error = { ...st.error };
  return span;
}

function spanStatus(st: StepState, unfinished: boolean): SpanStatus {
  switch (st.status) {
    case "succeeded":
      return "succeeded";
    case "failed":
      return "failed";
    case "skipped":
      return "skipped";
    case "running":
    case "retrying":
      return unfinished ? "running" : "in doubt";
    case "awaiting-approval":
      if (st.declined) return "declined";
      return unfinished ? "awaiting approval" : "not run";
    default:
      return "not run";
  }
}

function coverChildren(block: StepSpan, children: StepSpan[]): void {
  const starts = children.map((c) => c.startedAt).filter((t): t is string => t !== undefined);
  const ends = children.map((c) => c.endedAt).filter((t): t is string => t !== undefined);
  const first = starts.reduce<string | undefined>((a, b) => earliest(a, b), undefined);
  if (first !== undefined) block.startedAt = first;
  const statuses = new Set(children.map((c) => c.status));
  block.status = statuses.has("failed")
    ? "failed"
    : statuses.has("running") || statuses.has("awaiting approval")
      ? "running"
      : statuses.has("in doubt")
        ? "in doubt"
        : children.length > 0 && children.every((c) => c.status === "succeeded" || c.status === "skipped")
          ? children.every((c) => c.status === "skipped")
            ? "skipped"
            : "succeeded"
          : first !== undefined
            ? "in doubt"
            : "not run";
  const done = block.status === "succeeded" || block.status === "failed" || block.status === "skipped";
  if (done && ends.length > 0) block.endedAt = ends.reduce(latest);
}

/** Journal instants are all `toISOString()` output: same length, so text order is time order. */
function earliest(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  if (a.length === b.length && a.endsWith("Z") && b.endsWith("Z")) return a <= b ? a : b;
  return Date.parse(a) <= Date.parse(b) ? a : b;
}

function latest(a: string, b: string): string {
  if (a.length === b.length && a.endsWith("Z") && b.endsWith("Z")) return a >= b ? a : b;
  return Date.parse(a) >= Date.parse(b) ? a : b;
}
