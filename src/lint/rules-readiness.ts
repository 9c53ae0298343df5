import { redactUrlPasswords } from "../engine/plan.js";
import { parseBoundedTemplate } from "../language/bounded-template.js";
import { collectRefs } from "../language/expressions.js";
import type { RawFinding } from "./finding.js";
import type { LintContext } from "./lint-context.js";
import { awsCall, mainSteps, type PlacedStep, type Probe, shiftsTraffic } from "./runbook-facts.js";

/** The production-readiness rules: what a failover needs besides moving traffic and data. */

const RUNBOOK: readonly string[] = ["metadata", "name"];

const failoverLike = (ctx: LintContext) => ctx.profile.kind !== "other";

/** Main steps before the first traffic shift; all of them when nothing shifts traffic. */
function beforeShift(ctx: LintContext): PlacedStep[] {
  const steps = mainSteps(ctx.rb);
  const shift = steps.find((p) => shiftsTraffic(p.step));
  return shift ? steps.filter((p) => p.top < shift.top) : steps;
}

/** RB004: every validation check hits a shallow endpoint. */
export function shallowHealthValidation(ctx: LintContext): RawFinding[] {
  if (!failoverLike(ctx)) return [];
  const steps = mainSteps(ctx.rb);
  const shift = steps.find((p) => shiftsTraffic(p.step));
  const checks = steps.filter((p) => p.step.type === "http.check" && (!shift || p.top >= shift.top));
  const depths = checks.map((p) => ({ p, depth: urlDepth(p.step.with.url) }));
  if (depths.length === 0 || depths.some((d) => d.depth !== "shallow")) return [];
  return depths.map(({ p }) => ({
    ruleId: "RB004",
    path: [...p.path, "with", "url"],
    message: `"${p.step.id}" validates with a shallow health endpoint (${redactUrlPasswords(String(p.step.with.url))}), and no check ${shift ? "after the traffic shift " : ""}goes deeper`,
  }));
}

/**
 * How deep an http.check's URL looks, from its literal text and the names of the vars and
 * inputs it is made of (their values are in an environment lint does not read).
 */
export function urlDepth(url: unknown): "deep" | "shallow" | "unknown" {
  if (typeof url !== "string") return "unknown";
  let readable = "";
  try {
    for (const part of parseBoundedTemplate(url)) {
      if ("text" in part) readable += part.text;
      else {
        const refs = collectRefs(part.expr);
        readable += refs.length === 1 ? (refs[0]!.at(-1) ?? "") : "?";
      }
    }
  } catch {
    return "unknown";
  }
  if (/deep/i.test(readable)) return "deep";
  const last =
    readable
      .replace(/[?#].*$/, "")
      .replace(/\/+$/, "")
      .split("/")
      .at(-1) ?? "";
  return /(health|healthz|healthcheck|health-check|ping|livez?)(url|uri|endpoint)?$/i.test(last)
    ? "shallow"
    : "unknown";
}

/** RB005 */
export function noAbortCriteria(ctx: LintContext): RawFinding[] {
  if (!failoverLike(ctx) || ctx.rb.abort.length > 0) return [];
  return [
    {
      ruleId: "RB005",
      path: RUNBOOK,
      message: `${ctx.profile.kind} runbook "${ctx.rb.name}" has no abort criteria: nothing stops it when the recovery region fails or lag exceeds the RPO`,
    },
  ];
}

/** RB008: `failover` → `failback` in the file name, beside it. */
export function noFailbackTwin(ctx: LintContext): RawFinding[] {
  if (ctx.profile.kind !== "failover" || !ctx.profile.aws) return [];
  const base = ctx.fileName.replace(/\.ya?ml$/, "");
  const twin = base.replace(/failover/g, "failback");
  if (twin !== base && [".yaml", ".yml"].some((ext) => ctx.siblings.includes(twin + ext))) return [];
  return [
    {
      ruleId: "RB008",
      path: RUNBOOK,
      message:
        twin === base
          ? `failover runbook "${ctx.rb.name}" has no failback twin: lint finds one by swapping failover for failback in the file name, and this name has no "failover"`
          : `failover runbook "${ctx.rb.name}" has no failback twin: no ${twin}.yaml beside it`,
    },
  ];
}

const SECRET_TYPES = new Set(["secrets.exists", "kms.key-ready"]);
const SECRET_SERVICES = new Set(["secrets-manager", "kms"]);
const isSecretCheck = (s: Probe) =>
  SECRET_TYPES.has(s.type) ||
  ((s.type === "aws.assert" || s.type === "aws.call") && SECRET_SERVICES.has(String(s.with.service)));

/** RB009 */
export function noSecretsKmsCheck(ctx: LintContext): RawFinding[] {
  if (!failoverLike(ctx) || !ctx.profile.aws) return [];
  const checked =
    beforeShift(ctx).some((p) => isSecretCheck(p.step)) || ctx.rb.abort.some((a) => isSecretCheck(a.probe));
  if (checked) return [];
  return [
    {
      ruleId: "RB009",
      path: RUNBOOK,
      message: `no secrets or KMS readiness check runs before traffic moves: a secret or key missing in the recovery region fails it at the first request`,
    },
  ];
}

const JOB_TYPES = new Set(["events.set-rules", "lambda.event-source-mappings"]);
const JOB_CALLS = /^(EnableRule|DisableRule|PutRule|UpdateSchedule|UpdateEventSourceMapping)$/;

/** RB010 */
export function oneRegionJobsNotMoved(ctx: LintContext): RawFinding[] {
  if (!failoverLike(ctx) || !ctx.profile.aws) return [];
  const moves = (s: Probe) => JOB_TYPES.has(s.type) || JOB_CALLS.test(awsCall(s)?.command ?? "");
  if (mainSteps(ctx.rb).some((p) => moves(p.step))) return [];
  return [
    {
      ruleId: "RB010",
      path: RUNBOOK,
      message:
        "no step moves one-region jobs (EventBridge rules, Lambda event source mappings): they stop, or run in both regions",
    },
  ];
}

const CAPACITY_TYPES = new Set(["ecs.scale-service", "autoscaling.set-capacity"]);
const CAPACITY_SERVICES = new Set(["ecs", "auto-scaling", "application-auto-scaling", "eks"]);

/** RB011 */
export function noCapacityStep(ctx: LintContext): RawFinding[] {
  if (ctx.profile.kind !== "failover" || !ctx.profile.aws) return [];
  const capacity = (s: Probe) =>
    CAPACITY_TYPES.has(s.type) || CAPACITY_SERVICES.has(awsCall(s)?.service ?? "");
  if (mainSteps(ctx.rb).some((p) => capacity(p.step)) || ctx.rb.abort.some((a) => capacity(a.probe)))
    return [];
  return [
    {
      ruleId: "RB011",
      path: RUNBOOK,
      message:
        "no step scales or checks compute in the recovery region: it takes the primary's traffic at standby size",
    },
  ];
}
