import type { Environment } from "../environment/environment.js";
import { UsageError } from "../errors.js";
import type { ExecutorDefinition } from "../executor.js";
import {
  collectRefs,
  hasExpression,
  parseTemplate,
  renderTemplate,
  type Scope,
} from "../language/expressions.js";
import { executorSteps, type Runbook } from "../language/runbook.js";
import { allow, isKnown, partitionOf } from "./arn.js";
import { iamAction } from "./iam-data.js";
import type { Permission, PermissionScope } from "./permission.js";
import type { NeededPermission } from "./permission-proof.js";

/**
 * Everything a runbook needs from IAM, one row per (step, phase, account, region, action): its
 * executor steps, onAbort steps and abort probes, from each executor's declaration, and what the
 * engine itself calls (who am I, the permission proof, the roles it assumes). Pure: no AWS call,
 * no credentials; the environment gives values, accounts and roles.
 */

export type Phase = "check" | "run";

export interface PermissionRow {
  /** The step or abort criterion; `engine:identity`, `engine:permission-check`, `engine:assume-role` for the engine's own calls. */
  stepId: string;
  phase: Phase;
  /** Account id; `*` when the environment names none. */
  account: string;
  /** Where the call is sent; `*` when known only at run time. */
  region: string;
  action: string;
  resources: string[];
  /** iam-data's access level: `Read`, `List`, `Write`, `Tagging`, `Permissions management` (or several). */
  accessLevel: string;
  /** The SDK operation, when IAM names the action otherwise. */
  operation?: string;
}

export interface RunbookPermissionOptions {
  /** Inputs given (`-i k=v`); declared defaults fill the others. Secret inputs never enter an ARN. */
  inputs?: Record<string, string>;
  /** The principal `runbook check` simulates in the home account, when known. */
  principal?: string;
}

/** The engine's calls, as reverse-index names: which "step" needs a statement. */
export const ENGINE_STEPS = {
  identity: "engine:identity",
  permissionCheck: "engine:permission-check",
  assumeRole: "engine:assume-role",
} as const;

/** Actions AWS authorizes for every caller (STS GetCallerIdentity). */
const NEEDS_NO_PERMISSION = new Set(["sts:getcalleridentity"]);

/** IAM's API is global, signed for us-east-1 (src/iam/permission-proof.ts). */
const IAM_REGION = "us-east-1";

interface Role {
  account: string;
  roleArn: string;
}

export function runbookPermissions(
  runbook: Runbook,
  environment: Environment | undefined,
  registry: ReadonlyMap<string, ExecutorDefinition>,
  opts: RunbookPermissionOptions = {},
): PermissionRow[] {
  const aliases = environment?.aws.accounts ?? {};
  const roles: Role[] = environment?.aws.roles ?? [];
  const home = environment?.accounts?.[0] ?? "*";
  const region = environment?.aws.region ?? "*";
  const partition = partitionOf(region);
  const scope = valueScope(runbook, environment, opts.inputs ?? {});
  const accountOf = (written: string | undefined) => {
    if (written === undefined) return home;
    const rendered = renderKnown(written, scope);
    const id = isKnown(rendered) ? (aliases[rendered] ?? rendered) : "*";
    // An alias no environment resolves is no account id an ARN could hold.
    return /^\d{12}$/.test(id) ? id : "*";
  };

  const rows: PermissionRow[] = [];
  const add = (stepId: string, phase: Phase, account: string, permissions: readonly Permission[]) => {
    for (const p of permissions)
      for (const r of p.regions ?? [region]) {
        // AWS allows it to everyone, even against an explicit Deny: a statement for it grants nothing.
        if (NEEDS_NO_PERMISSION.has(p.action.toLowerCase())) continue;
        rows.push({
          stepId,
          phase,
          account,
          region: r,
          action: p.action,
          resources: p.resources,
          accessLevel: iamAction(p.action)?.accessLevel ?? "Write",
          ...(p.operation ? { operation: p.operation } : {}),
        });
      }
  };
  const steps = [
    ...executorSteps(runbook.steps).map((s) => ({
      id: s.id,
      type: s.type,
      with: s.with,
      account: s.account,
    })),
    ...runbook.onAbort.map((s) => ({ id: s.id, type: s.type, with: s.with, account: s.account })),
    ...runbook.abort.map((a) => ({
      id: a.id,
      type: a.probe.type,
      with: a.probe.with,
      account: a.probe.account,
    })),
  ];
  for (const step of steps) {
    const executor = registry.get(step.type);
    if (!executor?.aws) continue;
    if (!executor.permissions) throw new Error(`executor ${step.type} calls AWS but declares no permissions`);
    const account = accountOf(step.account);
    const stepScope: PermissionScope = { account, region, partition, runbookDir: runbook.dir };
    const rendered = renderKnown(step.with, scope);
    // Parsed when it can be (defaults, coercions); a param known only at run time stays a template.
    const parsed = executor.params.safeParse(rendered);
    let declared: ReturnType<NonNullable<ExecutorDefinition["permissions"]>>;
    try {
      declared = executor.permissions(parsed.success ? parsed.data : rendered, stepScope);
    } catch (err) {
      throw new UsageError(`step ${step.id} (${step.type}): ${(err as Error).message}`);
    }
    add(step.id, "check", account, declared.check ?? []);
    add(step.id, "run", account, declared.run);
  }

  const accounts = [...new Set([home, ...rows.map((r) => r.account)])];
  for (const account of accounts) {
    add(ENGINE_STEPS.permissionCheck, "check", account, [
      allow("iam:SimulatePrincipalPolicy", principalsIn(account, roles, partition, opts.principal), [
        IAM_REGION,
      ]),
    ]);
  }
  // The base credentials (the home account's principal) assume each role; the proof reads the
  // role's path (iam:GetRole) because the session's ARN leaves it out.
  const assumed = [...new Set(roles.map((r) => r.roleArn))];
  if (assumed.length)
    add(ENGINE_STEPS.assumeRole, "check", home, [allow("sts:AssumeRole", assumed, [region])]);
  for (const role of roles)
    add(ENGINE_STEPS.permissionCheck, "check", role.account, [
      allow("iam:GetRole", [role.roleArn], [IAM_REGION]),
    ]);
  return rows;
}

/** Who simulates its own permissions in an account: the role assumed there, else the caller (any user or role). */
function principalsIn(
  account: string,
  roles: readonly Role[],
  partition: string,
  principal?: string,
): string[] {
  const mapped = roles.filter((r) => r.account === account).map((r) => r.roleArn);
  if (mapped.length) return mapped;
  if (principal && principal.split(":")[4] === account) return [principal];
  return [`arn:${partition}:iam::${account}:user/*`, `arn:${partition}:iam::${account}:role/*`];
}

/** What is known before a run: the environment's vars and the (non-secret) inputs. */
function valueScope(
  runbook: Runbook,
  environment: Environment | undefined,
  given: Record<string, string>,
): Scope {
  const inputs: Record<string, string> = {};
  for (const [name, spec] of Object.entries(runbook.inputs)) {
    if (spec.secret) continue;
    const value = Object.hasOwn(given, name) ? given[name] : spec.default;
    if (value !== undefined) inputs[name] = value;
  }
  // `env` stays unknown: the shell may hold secrets, and a policy is not a place for them.
  return { inputs, vars: environment?.vars ?? {}, steps: {}, env: {} };
}

/**
 * Templates whose every reference is known now (inputs, vars) are rendered; the others (earlier
 * steps' outputs, `run.*`, `env.*`, an input not given) stay `${{ … }}`: known only at run time.
 */
function renderKnown(value: unknown, scope: Scope): unknown {
  if (typeof value === "string") {
    if (!hasExpression(value)) return value;
    const refs = parseTemplate(value).flatMap((p) => ("expr" in p ? collectRefs(p.expr) : []));
    return refs.every((ref) => known(scope, ref)) ? renderTemplate(value, scope) : value;
  }
  if (Array.isArray(value)) return value.map((v) => renderKnown(v, scope));
  if (value && typeof value === "object")
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => {
        const key = renderKnown(k, scope);
        return [typeof key === "string" ? key : String(key), renderKnown(v, scope)];
      }),
    );
  return value;
}

function known(scope: Scope, path: readonly string[]): boolean {
  if (path[0] !== "inputs" && path[0] !== "vars") return false;
  let cur: unknown = scope;
  for (const seg of path) {
    if (cur === null || typeof cur !== "object" || !Object.hasOwn(cur, seg)) return false;
    cur = (cur as Record<string, unknown>)[seg];
  }
  return cur !== undefined;
}

/**
 * The rows as `provePermissions` (src/iam/permission-proof.ts) takes them: one per (account,
 * region, action, resources), with every step that needs it.
 */
export function neededPermissions(rows: readonly PermissionRow[]): NeededPermission[] {
  const out = new Map<string, NeededPermission>();
  for (const r of rows) {
    const resources = [...new Set(r.resources)].sort();
    const key = [r.account, r.region, r.action, ...resources].join("\u0000");
    const n = out.get(key) ?? {
      stepIds: [],
      account: r.account,
      region: r.region,
      action: r.action,
      resources,
    };
    if (!n.stepIds.includes(r.stepId)) n.stepIds.push(r.stepId);
    out.set(key, n);
  }
  return [...out.values()];
}
