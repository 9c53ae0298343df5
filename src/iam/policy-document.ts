import { isReadAccess } from "./iam-data.js";
import type { PermissionRow } from "./runbook-permissions.js";

/**
 * A runbook's permission rows as IAM policy documents, per account: a read-only document (every
 * Read and List action: what `check`, `plan` and drills need) and a mutating one (Write, Tagging,
 * Permissions management). Each action is granted by exactly one statement (its resources, and
 * for `*` in a regional service the regions as `aws:RequestedRegion`), so no (action, resource)
 * pair is granted twice and removing any statement takes away something a step needs. Order and
 * Sids (`ReadRds1`) follow from the content alone: the same runbook gives the same bytes.
 */

export interface PolicyStatement {
  Sid: string;
  Effect: "Allow";
  Action: string[];
  Resource: string[];
  Condition?: { StringEquals: { "aws:RequestedRegion": string[] } };
}

export interface PolicyDocument {
  Version: "2012-10-17";
  Statement: PolicyStatement[];
}

export type PolicyPart = "readOnly" | "mutating";
const PARTS: readonly PolicyPart[] = ["readOnly", "mutating"];

/** An account's documents; a part with nothing to grant is left out (IAM refuses an empty policy). */
export type AccountPolicies = Partial<Record<PolicyPart, PolicyDocument>>;

export interface RunbookPolicy {
  accounts: Record<string, AccountPolicies>;
  /** The reverse index: for each statement (Sid, unique across accounts), the steps that need it. */
  steps: Record<string, string[]>;
}

/**
 * Services whose calls carry no meaningful region (a global endpoint, or global resources): an
 * `aws:RequestedRegion` condition there could refuse a call the runbook needs.
 */
const GLOBAL_SERVICES = new Set([
  "iam",
  "sts",
  "route53",
  "route53domains",
  "route53-recovery-control-config",
  "route53-recovery-readiness",
  "s3",
  "cloudfront",
  "organizations",
  "globalaccelerator",
  "waf",
  "shield",
  "health",
  "support",
]);

interface Grant {
  account: string;
  part: PolicyPart;
  action: string;
  resources: Set<string>;
  regions: Set<string>;
  steps: Set<string>;
}

export function policyDocuments(rows: readonly PermissionRow[]): RunbookPolicy {
  const grants = new Map<string, Grant>();
  for (const r of rows) {
    const part: PolicyPart = isReadAccess(r.accessLevel) ? "readOnly" : "mutating";
    const key = `${r.account}\u0000${part}\u0000${r.action}`;
    const g = grants.get(key) ?? {
      account: r.account,
      part,
      action: r.action,
      resources: new Set<string>(),
      regions: new Set<string>(),
      steps: new Set<string>(),
    };
    for (const res of r.resources) g.resources.add(res);
    g.regions.add(r.region);
    g.steps.add(r.stepId);
    grants.set(key, g);
  }

  // Actions of one service with the same resources (and regions, for `*`) share a statement.
  const groups = new Map<
    string,
    {
      account: string;
      part: PolicyPart;
      service: string;
      statement: Omit<PolicyStatement, "Sid">;
      steps: Set<string>;
    }
  >();
  for (const g of grants.values()) {
    const service = g.action.split(":")[0]!;
    const resources = minimal([...g.resources]);
    const regions = [...g.regions].sort();
    const condition =
      resources.length === 1 &&
      resources[0] === "*" &&
      !GLOBAL_SERVICES.has(service) &&
      !regions.includes("*")
        ? regions
        : undefined;
    const key = [g.account, g.part, service, resources.join(" "), condition?.join(" ") ?? ""].join("\u0000");
    const group = groups.get(key) ?? {
      account: g.account,
      part: g.part,
      service,
      statement: {
        Effect: "Allow" as const,
        Action: [],
        Resource: resources,
        ...(condition ? { Condition: { StringEquals: { "aws:RequestedRegion": condition } } } : {}),
      },
      steps: new Set<string>(),
    };
    group.statement.Action.push(g.action);
    for (const s of g.steps) group.steps.add(s);
    groups.set(key, group);
  }

  const ordered = [...groups.values()]
    .map((g) => ({ ...g, statement: { ...g.statement, Action: [...g.statement.Action].sort() } }))
    .sort(
      (a, b) =>
        compare(a.account, b.account) ||
        PARTS.indexOf(a.part) - PARTS.indexOf(b.part) ||
        compare(a.service, b.service) ||
        compare(a.statement.Action.join(" "), b.statement.Action.join(" ")) ||
        compare(a.statement.Resource.join(" "), b.statement.Resource.join(" ")),
    );
  const policy: RunbookPolicy = { accounts: {}, steps: {} };
  const counters = new Map<string, number>();
  for (const g of ordered) {
    const base = `${g.part === "readOnly" ? "Read" : "Write"}${pascal(g.service)}`;
    const n = (counters.get(base) ?? 0) + 1;
    counters.set(base, n);
    const Sid = `${base}${n}`;
    const docs = policy.accounts[g.account] ?? {};
    policy.accounts[g.account] = docs;
    const doc = docs[g.part] ?? { Version: "2012-10-17", Statement: [] };
    docs[g.part] = doc;
    doc.Statement.push({ Sid, ...g.statement });
    policy.steps[Sid] = [...g.steps].sort();
  }
  return policy;
}

/** The statement of the account's documents granting `action` on `resource`, and the steps that need it. */
export function statementFor(
  policy: RunbookPolicy,
  account: string,
  action: string,
  resource: string,
): { part: PolicyPart; statement: PolicyStatement; stepIds: string[] } | undefined {
  const docs = policy.accounts[account] ?? {};
  for (const part of ["readOnly", "mutating"] as const) {
    const statement = docs[part]?.Statement.find(
      (s) =>
        s.Action.some((a) => a.toLowerCase() === action.toLowerCase()) &&
        s.Resource.some((r) => covers(r, resource)),
    );
    if (statement) return { part, statement, stepIds: policy.steps[statement.Sid] ?? [] };
  }
  return undefined;
}

/**
 * Does IAM's pattern `pattern` (`*` any run, `?` one character) grant every ARN `resource`
 * stands for? A `?` is not taken to cover a `*` of the resource, which may be longer.
 */
export function covers(pattern: string, resource: string): boolean {
  if (pattern === "*") return true;
  const regex = pattern
    .split("")
    .map((c) => (c === "*" ? ".*" : c === "?" ? "[^*]" : c.replace(/[.+^${}()|[\]\\]/g, "\\$&")))
    .join("");
  return new RegExp(`^${regex}$`).test(resource);
}

/** Resources without those another one already covers; `*` alone when it is there. */
function minimal(resources: string[]): string[] {
  const unique = [...new Set(resources)];
  if (unique.includes("*")) return ["*"];
  let kept: string[] = [];
  for (const r of unique.sort()) {
    if (kept.some((k) => covers(k, r))) continue;
    kept = [...kept.filter((k) => !covers(r, k)), r];
  }
  return kept.sort();
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** `route53-recovery-cluster` → `Route53RecoveryCluster`: Sids are alphanumeric. */
function pascal(service: string): string {
  return service
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join("");
}
