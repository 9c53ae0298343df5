import type { ExecutorDefinition } from "../executor.js";
import type { PlannedStep } from "../journal/events.js";
import {
  collectRefs,
  hasExpression,
  parseTemplate,
  renderTemplate,
  type Scope,
} from "../language/expressions.js";
import type { ExecutorStepIR, Runbook } from "../language/runbook.js";

/**
 * What each step will do, in order, in words (`describe`), for `runbook plan` and for the
 * journal's record of the plan. With a scope, templates that can already be resolved are.
 */
export function describePlan(
  runbook: Runbook,
  registry: ReadonlyMap<string, ExecutorDefinition>,
  scope?: Scope,
): PlannedStep[] {
  const out: PlannedStep[] = [];
  const executorStep = (s: ExecutorStepIR, phase: "main" | "onAbort"): PlannedStep => ({
    id: s.id,
    type: s.type,
    phase,
    description: describeStep(s, registry, scope),
    ...(s.account ? { account: s.account } : {}),
    ...(s.parent ? { parent: s.parent } : {}),
    ...(s.milestone ? { milestone: s.milestone } : {}),
    ...(s.pointOfNoReturn ? { pointOfNoReturn: true } : {}),
    ...(s.approval ? { gate: true } : {}),
  });
  for (const s of runbook.steps) {
    if (s.kind === "parallel") {
      out.push({
        id: s.id,
        type: "parallel",
        phase: "main",
        parallel: true,
        description: s.name ?? `${s.children.length} steps at once`,
        ...(s.milestone ? { milestone: s.milestone } : {}),
        ...(s.approval ? { gate: true } : {}),
      });
      for (const c of s.children) out.push(executorStep(c, "main"));
    } else out.push(executorStep(s, "main"));
  }
  for (const s of runbook.onAbort) out.push(executorStep(s, "onAbort"));
  return out;
}

export function describeStep(
  s: ExecutorStepIR,
  registry: ReadonlyMap<string, ExecutorDefinition>,
  scope?: Scope,
): string {
  const executor = registry.get(s.type);
  if (!executor) return s.type;
  const params = scope ? renderKnown(s.with, scope) : s.with;
  const parsed = executor.params.safeParse(params);
  // Params that still hold templates (outputs of earlier steps) cannot be parsed yet; show them raw.
  const what = parsed.success
    ? executor.describe(parsed.data)
    : `${s.type} ${redactUrlPasswords(JSON.stringify(params))}`;
  return s.name ? `${s.name}: ${what}` : what;
}

/** `scheme://user:password@` → `scheme://user:***@`: a raw dump must not show a connection's password. */
export function redactUrlPasswords(text: string): string {
  return text.replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^:/@\s"]+:)[^@\s"]+@/gi, "$1***@");
}

/** Inputs and env resolve now; references to step outputs stay visible as ${{ … }}. */
function renderKnown(value: unknown, scope: Scope): unknown {
  if (typeof value === "string" && hasExpression(value)) {
    const refs = parseTemplate(value).flatMap((p) => ("expr" in p ? collectRefs(p.expr) : []));
    return refs.some((r) => r[0] === "steps" || r[0] === "run") ? value : renderTemplate(value, scope);
  }
  if (Array.isArray(value)) return value.map((v) => renderKnown(v, scope));
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, renderKnown(v, scope)]));
  }
  return value;
}
