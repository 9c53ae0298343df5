import {
  type EvaluationResult,
  type RequestAnalysis,
  type RunSimulationResults,
  runSimulation,
  runUnsafeSimulation,
  type Simulation,
} from "@cloud-copilot/iam-simulate";
import { iamPattern } from "./iam-actions.js";
import type { NamedPolicy, PolicyDocument } from "./iam-defaults.js";
import { accountOf } from "./iam-model.js";

/**
 * One question to the IAM policy simulator (@cloud-copilot/iam-simulate): may this principal,
 * with these identity policies, do this action on this resource? Both SimulatePrincipalPolicy
 * and enforcement ask it; nothing here decides on its own. Answers are cached until the
 * model changes (`version`), so an enforced call costs a map lookup after the first.
 */

export type Decision = "allowed" | "explicitDeny" | "implicitDeny";

export interface EvaluationRequest {
  principalArn: string;
  identityPolicies: readonly NamedPolicy[];
  action: string;
  /** An ARN, or `*`. */
  resource: string;
  /** The resource's account (default: the ARN's, else the principal's). */
  resourceAccount?: string;
  resourcePolicy?: PolicyDocument;
  context?: Record<string, string | string[]>;
}

export interface Evaluation {
  decision: Decision;
  /** Names of the policies whose statements decided (the denying ones for a deny). */
  matchedPolicies: string[];
  /** Condition keys the deciding statements needed but the request did not carry. */
  missingContext: string[];
  /** The identity policies allowed it, but the resource is in another account and no resource policy does. */
  needsResourcePolicy: boolean;
}

const CACHE_LIMIT = 20_000;

export class IamAuthorizer {
  private readonly cache = new Map<string, Evaluation>();
  private cachedVersion = -1;

  /** `version` is the model's: a change of policies invalidates every cached answer. */
  async evaluate(request: EvaluationRequest, version: number): Promise<Evaluation> {
    if (version !== this.cachedVersion) {
      this.cache.clear();
      this.cachedVersion = version;
    }
    const key = JSON.stringify([
      request.principalArn,
      request.identityPolicies.map((p) => p.name),
      request.action,
      request.resource,
      request.resourceAccount,
      request.resourcePolicy ?? null,
      request.context ?? {},
    ]);
    // Identity policies are part of the key by name only: callers pass the model's (cached per
    // version) or, for SimulatePrincipalPolicy's extra inputs, skip the cache.
    const cacheable = request.identityPolicies.every((p) => !p.name.startsWith("PolicyInputList."));
    const hit = cacheable ? this.cache.get(key) : undefined;
    if (hit) return hit;
    const result = await simulate(request);
    if (cacheable) {
      if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
      this.cache.set(key, result);
    }
    return result;
  }
}

async function simulate(request: EvaluationRequest): Promise<Evaluation> {
  const principalAccount = accountOf(request.principalArn);
  const simulation = (resource: string): Simulation => ({
    request: {
      principal: request.principalArn,
      action: request.action,
      resource: { resource, accountId: request.resourceAccount || ownerOf(resource) || principalAccount },
      contextVariables: request.context ?? {},
    },
    identityPolicies: [...request.identityPolicies],
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    ...(request.resourcePolicy ? { resourcePolicy: request.resourcePolicy } : {}),
  });
  let result = await runSimulation(simulation(request.resource), {});
  // A wildcard-only action asked about a specific ARN is evaluated on `*`, as IAM does.
  if (result.resultType === "error" && result.errors.message === "must.use.wildcard")
    result = await runSimulation(simulation("*"), {});
  if (result.resultType === "error") {
    if (result.errors.message === "policy.errors")
      throw new Error(`a policy failed validation: ${JSON.stringify(result.errors)}`);
    // An ARN of a type the action does not take, or an action iam-data does not know: the
    // simulator's core still matches the statements' patterns, as IAM does with strings.
    const decision = runUnsafeSimulation(simulation(request.resource), {});
    return {
      decision: decisionOf(decision),
      matchedPolicies: [],
      missingContext: [],
      needsResourcePolicy: false,
    };
  }
  const evaluation = evaluationOf(result);
  // On `*` the simulator keeps no analysis of an implicit deny: read the keys off the statements.
  if (result.resultType === "wildcard" && result.results.length === 0)
    evaluation.missingContext = missingKeys(request.identityPolicies, request.action, request.context ?? {});
  return evaluation;
}

/** Condition keys of the statements that name the action, which the context does not carry. */
function missingKeys(
  policies: readonly NamedPolicy[],
  action: string,
  context: Record<string, unknown>,
): string[] {
  const given = new Set(Object.keys(context).map((k) => k.toLowerCase()));
  const list = (v: unknown): string[] =>
    Array.isArray(v) ? v.map(String) : v === undefined ? [] : [String(v)];
  const matches = (pattern: string) => iamPattern(pattern).test(action);
  const missing = new Set<string>();
  for (const { policy } of policies) {
    const statements: unknown[] = Array.isArray(policy.Statement) ? policy.Statement : [policy.Statement];
    for (const s of statements) {
      if (typeof s !== "object" || s === null) continue;
      const st = s as Record<string, unknown>;
      const named =
        st.Action !== undefined ? list(st.Action).some(matches) : !list(st.NotAction).some(matches);
      if (!named || typeof st.Condition !== "object" || st.Condition === null) continue;
      for (const keys of Object.values(st.Condition as Record<string, unknown>))
        if (typeof keys === "object" && keys !== null)
          for (const key of Object.keys(keys)) if (!given.has(key.toLowerCase())) missing.add(key);
    }
  }
  return [...missing];
}

function evaluationOf(result: Exclude<RunSimulationResults, { resultType: "error" }>): Evaluation {
  const analyses: RequestAnalysis[] =
    result.resultType === "single" ? [result.result.analysis] : result.results.map((r) => r.analysis);
  const decision = decisionOf(result.overallResult);
  const matched = new Set<string>();
  const missing = new Set<string>();
  let needsResourcePolicy = false;
  for (const a of analyses) {
    const identity = a.identityAnalysis;
    const resource = a.resourceAnalysis;
    const deciding =
      decision === "explicitDeny"
        ? [...(identity?.denyStatements ?? []), ...(resource?.denyStatements ?? [])]
        : decision === "allowed"
          ? [...(identity?.allowStatements ?? []), ...(resource?.allowStatements ?? [])]
          : [];
    for (const s of deciding) if (s.policyId) matched.add(s.policyId);
    for (const s of [...(identity?.unmatchedStatements ?? []), ...(resource?.unmatchedStatements ?? [])]) {
      if (!s.actionMatch || !s.resourceMatch) continue;
      for (const c of s.explain?.conditions ?? [])
        if (c.failedBecauseMissing) missing.add(c.conditionKeyValue);
    }
    if (decision === "implicitDeny" && identity?.result === "Allowed" && a.sameAccount === false)
      needsResourcePolicy = true;
  }
  return {
    decision,
    matchedPolicies: [...matched],
    missingContext: [...missing],
    needsResourcePolicy,
  };
}

/** The account an ARN names; none for `*`, a pattern (`arn:aws:events:us-west-2:*:rule/x`) or an empty field. */
export function ownerOf(arn: string): string | undefined {
  const account = accountOf(arn);
  return /^\d{12}$/.test(account) ? account : undefined;
}

function decisionOf(result: EvaluationResult): Decision {
  return result === "Allowed" ? "allowed" : result === "ExplicitlyDenied" ? "explicitDeny" : "implicitDeny";
}

/**
 * AWS's wording for a refused call, e.g. "User: arn:aws:iam::111111111111:user/operator is
 * not authorized to perform: rds:FailoverGlobalCluster on resource: arn:… because no
 * identity-based policy allows the rds:FailoverGlobalCluster action".
 */
export function accessDeniedMessage(
  principalArn: string,
  action: string,
  resource: string,
  e: Evaluation,
): string {
  const base = `User: ${principalArn} is not authorized to perform: ${action} on resource: ${resource}`;
  // STS words AssumeRole refusals without the reason (it does not reveal whether the role exists).
  if (action.toLowerCase() === "sts:assumerole") return base;
  if (e.decision === "explicitDeny") return `${base} with an explicit deny in an identity-based policy`;
  if (e.needsResourcePolicy) return `${base} because no resource-based policy allows the ${action} action`;
  return `${base} because no identity-based policy allows the ${action} action`;
}

/**
 * Problems with a policy document, as the simulator's validator (from @cloud-copilot/iam-policy)
 * states them (`Statement[0].Effect: Effect must be present …`); empty when it is valid.
 * `kind` says where it goes: an identity policy, or a role's trust policy.
 */
export async function policyProblems(
  policy: unknown,
  kind: "identity" | "trust" = "identity",
): Promise<string[]> {
  if (typeof policy !== "object" || policy === null || Array.isArray(policy))
    return ["the policy document must be a JSON object"];
  const doc = policy as PolicyDocument;
  const result = await runSimulation(
    {
      request: {
        principal: "arn:aws:iam::000000000000:user/validator",
        action: "sts:GetCallerIdentity",
        resource: { resource: "*", accountId: "000000000000" },
        contextVariables: {},
      },
      identityPolicies: kind === "identity" ? [{ name: "policy", policy: doc }] : [],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      ...(kind === "trust" ? { resourcePolicy: doc } : {}),
    },
    {},
  );
  if (result.resultType !== "error" || result.errors.message !== "policy.errors") return [];
  const errors = [
    ...Object.values(result.errors.identityPolicyErrors ?? {}).flat(),
    ...(result.errors.resourcePolicyErrors ?? []),
  ];
  return errors.map((e) => `${e.path.replace(/#/g, "")}: ${e.message}`);
}
