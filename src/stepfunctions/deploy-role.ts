import { isDeepStrictEqual } from "node:util";
import type { IAMClient } from "@aws-sdk/client-iam";
import type { DesiredRole, PlannedChange } from "./deployment.js";

/**
 * One role of a deployment against IAM: created with its trust policy and its inline policy
 * `runbook`, or updated where either differs, or left alone.
 */

const POLICY_NAME = "runbook";

/** IAM returns policy documents URL-encoded. */
function parseDocument(text: string | undefined): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(decodeURIComponent(text));
  } catch {
    return JSON.parse(text);
  }
}

export function isNotFound(err: unknown): boolean {
  const name = (err as { name?: string }).name ?? "";
  return [
    "NoSuchEntityException",
    "NoSuchEntity",
    "ResourceNotFoundException",
    "StateMachineDoesNotExist",
  ].includes(name);
}

export async function planRole(r: DesiredRole, iam: IAMClient): Promise<PlannedChange[]> {
  const sdk = await import("@aws-sdk/client-iam");
  const trust = JSON.stringify(r.trust);
  const policy = JSON.stringify(r.policy);
  const putPolicy = async () => {
    await iam.send(
      new sdk.PutRolePolicyCommand({ RoleName: r.name, PolicyName: POLICY_NAME, PolicyDocument: policy }),
    );
  };
  const statements = (r.policy as { Statement?: unknown[] }).Statement?.length ?? 0;
  let current: unknown;
  try {
    const out = await iam.send(new sdk.GetRoleCommand({ RoleName: r.name }));
    current = parseDocument(out.Role?.AssumeRolePolicyDocument);
  } catch (err) {
    if (!isNotFound(err)) throw err;
    return [
      {
        kind: "create",
        resource: "role",
        name: r.name,
        detail: `trusts ${trustedServices(r.trust)}; ${statements} statement(s)`,
        apply: async () => {
          await iam.send(
            new sdk.CreateRoleCommand({
              RoleName: r.name,
              AssumeRolePolicyDocument: trust,
              Description: "runbook: Step Functions engine (runbook deploy)",
            }),
          );
          await putPolicy();
        },
      },
    ];
  }
  const out: PlannedChange[] = [];
  const trustSame = isDeepStrictEqual(current, r.trust);
  let attached: unknown;
  try {
    const p = await iam.send(new sdk.GetRolePolicyCommand({ RoleName: r.name, PolicyName: POLICY_NAME }));
    attached = parseDocument(p.PolicyDocument);
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  const policySame = isDeepStrictEqual(attached, r.policy);
  if (trustSame && policySame) {
    out.push({ kind: "unchanged", resource: "role", name: r.name, detail: "", apply: async () => {} });
    return out;
  }
  out.push({
    kind: "update",
    resource: "role",
    name: r.name,
    detail: [trustSame ? "" : "trust policy", policySame ? "" : `permissions (${statements} statement(s))`]
      .filter(Boolean)
      .join(" and "),
    apply: async () => {
      if (!trustSame)
        await iam.send(new sdk.UpdateAssumeRolePolicyCommand({ RoleName: r.name, PolicyDocument: trust }));
      if (!policySame) await putPolicy();
    },
  });
  return out;
}

function trustedServices(trust: object): string {
  const services = JSON.stringify(trust).match(/[a-z-]+\.amazonaws\.com/g) ?? [];
  return [...new Set(services)].join(", ") || "its principals";
}
