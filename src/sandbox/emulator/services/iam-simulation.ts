import { ApiError } from "../errors.js";
import { type Decision, type Evaluation, ownerOf, policyProblems } from "../iam/iam-authorizer.js";
import type { NamedPolicy, PolicyDocument } from "../iam/iam-defaults.js";
import { accountOf, type IamEntity } from "../iam/iam-model.js";
import type { RequestAuth } from "../iam/request-auth.js";
import { pageOf } from "../pagination.js";
import type { ParamReader } from "../params.js";

/**
 * IAM SimulatePrincipalPolicy: every action against every resource, decided by the IAM policy
 * simulator over the principal's identity policies (deny faults included), plus
 * PolicyInputList, with ResourcePolicy or the resource's own (a role's trust policy). As AWS
 * answers today: one EvaluationResult per action, its decision the most restrictive over the
 * resources (EvalResourceName: the resource that decided it), each resource's in
 * ResourceSpecificResults; paginated by MaxItems and Marker.
 */

const SEVERITY: Record<Decision, number> = { allowed: 0, implicitDeny: 1, explicitDeny: 2 };

interface ResourceResult {
  EvalResourceName: string;
  EvalResourceDecision: Decision;
  MatchedStatements: { SourcePolicyId: string; SourcePolicyType: string }[];
  MissingContextValues: string[];
}

export async function simulatePrincipalPolicy(
  p: ParamReader,
  entity: Pick<IamEntity, "arn" | "kind">,
  policies: readonly NamedPolicy[],
  auth: RequestAuth,
): Promise<Record<string, unknown>> {
  const actions = p.stringList("ActionNames");
  if (actions.length === 0) throw p.missing("ActionNames");
  const resources = p.stringList("ResourceArns");
  const extra = await inputPolicies(p.stringList("PolicyInputList"));
  const resourcePolicyText = p.optionalString("ResourcePolicy");
  const resourcePolicy = resourcePolicyText ? await parsePolicy(resourcePolicyText, "trust") : undefined;
  const owner = p.optionalString("ResourceOwner")?.split(":")[4];
  const context = contextOf(p);
  const identity: NamedPolicy[] = [...policies, ...extra];
  const typeOf = (name: string) => (name.startsWith("PolicyInputList.") ? "none" : entity.kind);

  const results: Record<string, unknown>[] = [];
  for (const action of actions) {
    const perResource: ResourceResult[] = [];
    for (const resource of resources.length > 0 ? resources : ["*"]) {
      const own =
        resourcePolicy ??
        auth.iam.resourcePolicy(resource, owner ?? ownerOf(resource) ?? accountOf(entity.arn));
      const e: Evaluation = await auth.authorizer.evaluate(
        {
          principalArn: entity.arn,
          identityPolicies: identity,
          action,
          resource,
          ...(owner ? { resourceAccount: owner } : {}),
          ...(own ? { resourcePolicy: own } : {}),
          context,
        },
        auth.iam.version,
      );
      perResource.push({
        EvalResourceName: resource,
        EvalResourceDecision: e.decision,
        MatchedStatements: e.matchedPolicies.map((id) => ({
          SourcePolicyId: id,
          SourcePolicyType: own && !identity.some((i) => i.name === id) ? "resource" : typeOf(id),
        })),
        MissingContextValues: e.missingContext,
      });
    }
    const decisive = perResource.reduce((worst, r) =>
      SEVERITY[r.EvalResourceDecision] > SEVERITY[worst.EvalResourceDecision] ? r : worst,
    );
    results.push({
      EvalActionName: action,
      EvalResourceName: decisive.EvalResourceName,
      EvalDecision: decisive.EvalResourceDecision,
      MatchedStatements: decisive.MatchedStatements,
      MissingContextValues: [...new Set(perResource.flatMap((r) => r.MissingContextValues))],
      ...(resources.length > 0 ? { ResourceSpecificResults: perResource } : {}),
    });
  }
  const max = p.optionalNumber("MaxItems") ?? 100;
  if (!Number.isInteger(max) || max < 1 || max > 1000)
    throw new ApiError("ValidationError", `MaxItems must be between 1 and 1000 (got ${max})`, 400);
  const { page, next } = pageOf(
    results,
    p.optionalString("Marker"),
    max,
    () => new ApiError("InvalidInput", "Invalid Marker", 400),
  );
  return { EvaluationResults: page, IsTruncated: next !== undefined, Marker: next };
}

/** ContextEntries: list types keep every value, the others their first. */
function contextOf(p: ParamReader): Record<string, string | string[]> {
  const context: Record<string, string | string[]> = {};
  for (const entry of p.items("ContextEntries")) {
    const name = entry.string("ContextKeyName");
    const values = entry.stringList("ContextKeyValues");
    const type = entry.optionalString("ContextKeyType") ?? "string";
    context[name] = type.endsWith("List") ? values : (values[0] ?? "");
  }
  return context;
}

async function inputPolicies(texts: string[]): Promise<NamedPolicy[]> {
  return Promise.all(
    texts.map(async (text, i) => ({ name: `PolicyInputList.${i + 1}`, policy: await parsePolicy(text) })),
  );
}

/** A policy document as IAM receives it (JSON text), or AWS's MalformedPolicyDocument. */
export async function parsePolicy(
  text: string,
  kind: "identity" | "trust" = "identity",
): Promise<PolicyDocument> {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new ApiError("MalformedPolicyDocument", "This policy contains invalid Json", 400);
  }
  const problems = await policyProblems(doc, kind);
  if (problems.length > 0) throw new ApiError("MalformedPolicyDocument", problems.join("; "), 400);
  return doc as PolicyDocument;
}
