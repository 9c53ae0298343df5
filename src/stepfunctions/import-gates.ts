import { identitiesRequired } from "../engine/approvers.js";
import { renderDeep, renderTemplate, type Scope } from "../language/expressions.js";
import type { ApprovalSpec, ExecutorStepIR } from "../language/runbook.js";
import type { ImportContext } from "./import-context.js";
import { declineOf, gateApprovalOf, parseJson, taskErrorOf, taskPayloadOf } from "./task-payloads.js";

/**
 * Gates on Step Functions are callback Tasks (`<id>.gate-<n>`, one per approval needed) that
 * the approval function answers. They are journaled as the local engine journals a gate: one
 * gate.requested per step, a gate.approved per approver, a decline as gate.declined and the
 * abort it causes. A `type: approval` step has only its gates, which are its attempt.
 */

const isApprovalStep = (s: ExecutorStepIR | undefined): s is ExecutorStepIR => s?.type === "approval";

export function gateRequested(ctx: ImportContext, stepId: string, parameters: string | undefined): void {
  const p = ctx.progress(stepId);
  if (p.gateRequested) return;
  p.gateRequested = true;
  const step = ctx.executorStep(stepId);
  const scope = scopeOf(ctx, taskPayloadOf(parameters).state);
  let spec: ApprovalSpec | undefined = ctx.stepsById.get(stepId)?.approval;
  if (isApprovalStep(step)) {
    p.attempts += 1;
    p.open = { attempt: p.attempts, at: ctx.ts.toISOString() };
    ctx.emit("step.intent", { attempt: p.attempts, type: step.type, params: step.with }, stepId);
    spec = approvalParams(step, scope);
  }
  if (!spec) return;
  const approvers = spec.approvers;
  ctx.emit(
    "gate.requested",
    {
      prompt: render(spec.prompt, scope),
      minApprovals: spec.minApprovals,
      ...(approvers ? { approvers } : {}),
      ...(identitiesRequired(ctx.identities, approvers) ? { identities: "aws" as const } : {}),
    },
    stepId,
  );
}

export function gateClosed(ctx: ImportContext, stepId: string, output: string | undefined): void {
  const a = gateApprovalOf(output);
  const by = a.approvedBy ?? a.principalArn ?? "unknown";
  const p = ctx.progress(stepId);
  p.approvedBy = [...(p.approvedBy ?? []), by];
  ctx.emit("gate.approved", { by, via: "approve-command", ...(a.proof ? { proof: a.proof } : {}) }, stepId);
  const step = ctx.executorStep(stepId);
  if (!isApprovalStep(step) || !p.open || p.approvedBy.length < gatesOf(ctx, stepId)) return;
  const durationMs = ctx.elapsedMs(stepId);
  const attempt = ctx.closeAttempt(stepId);
  p.outcome = "succeeded";
  ctx.emit("step.succeeded", { attempt, outputs: { approvedBy: p.approvedBy }, durationMs }, stepId);
}

export function gateFailed(ctx: ImportContext, stepId: string, f: { error: string; cause?: string }): void {
  const step = ctx.executorStep(stepId);
  if (f.error === "Runbook.Declined") {
    const d = declineOf(f.cause);
    ctx.emit(
      "gate.declined",
      { by: d.by, via: "approve-command", ...(d.reason ? { reason: d.reason } : {}) },
      stepId,
    );
    if (ctx.cursor.abort) return;
    const interrupt = `interrupted: gate "${stepId}" declined`;
    const reason = `gate declined by ${d.by}`;
    ctx.cursor.abort = { criterion: `gate:${stepId}`, reason, interrupt };
    ctx.emit("abort.fired", { criterion: `gate:${stepId}`, reason, duringStep: stepId });
    if (isApprovalStep(step)) ctx.failOpen(stepId, interrupt);
    return;
  }
  const err = taskErrorOf(f.error, f.cause);
  const message =
    err.name === "States.Timeout" ? `gate "${stepId}" got no decision in time (States.Timeout)` : err.message;
  ctx.cursor.failure ??= { stepId, message };
  const p = ctx.progress(stepId);
  if (!isApprovalStep(step) || !p.open) return;
  const durationMs = ctx.elapsedMs(stepId);
  const attempt = ctx.closeAttempt(stepId);
  p.outcome = "failed";
  ctx.emit(
    "step.failed",
    { attempt, error: { message, class: err.class }, durationMs, willRetry: false },
    stepId,
  );
}

/** How many gate Tasks the machine has for the step: the approvals it waits for. */
function gatesOf(ctx: ImportContext, stepId: string): number {
  const n = Object.values(ctx.input.manifest.states).filter(
    (s) => s.kind === "gate" && s.stepId === stepId,
  ).length;
  return n || 1;
}

function approvalParams(step: ExecutorStepIR, scope: Scope): ApprovalSpec {
  let w: Record<string, unknown> = step.with;
  try {
    w = renderDeep(step.with, scope) as Record<string, unknown>;
  } catch {
    // A template the scope cannot render: journal the params as written.
  }
  const approvers = Array.isArray(w.approvers) ? w.approvers.map(String) : undefined;
  return {
    prompt: String(w.prompt ?? ""),
    minApprovals: typeof w.minApprovals === "number" ? w.minApprovals : 1,
    ...(approvers ? { approvers } : {}),
  };
}

function render(prompt: string, scope: Scope): string {
  try {
    return String(renderTemplate(prompt, scope));
  } catch {
    return prompt;
  }
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json =>
  v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Json) : {};

/**
 * The scope the approval function renders a prompt in, from the state the gate Task was
 * given: the run's inputs, the steps' outputs so far, the run's facts (RTO, RPO as measured).
 */
function scopeOf(ctx: ImportContext, state: unknown): Scope {
  const s = obj(typeof state === "string" ? parseJson(state) : state);
  const run = obj(s.run);
  const stepsData = obj(s.steps);
  const steps: Scope["steps"] = {};
  for (const [id, v] of Object.entries(stepsData)) steps[id] = { outputs: obj(obj(v).outputs) };
  const restoredBy = [...ctx.stepsById.values()].find((st) => st.milestone === "service_restored")?.id;
  const restoredAt = restoredBy ? obj(stepsData[restoredBy]).finishedAt : undefined;
  const declaredAt = typeof run.declaredAt === "string" ? Date.parse(run.declaredAt) : Number.NaN;
  const rtoMs = typeof restoredAt === "string" ? Date.parse(restoredAt) - declaredAt : Number.NaN;
  const rpo = Object.values(stepsData)
    .map((v) => obj(obj(obj(v).measures).rpo_observed_ms).value)
    .find((v) => typeof v === "number");
  return {
    inputs: obj(run.inputs),
    steps,
    env: {},
    vars: ctx.input.vars ?? {},
    run: {
      executionId: run.executionId,
      runbook: run.runbook,
      environment: run.environment,
      mode: run.mode,
      rtoMs: Number.isFinite(rtoMs) ? rtoMs : undefined,
      rpoMs: rpo,
    },
  };
}
