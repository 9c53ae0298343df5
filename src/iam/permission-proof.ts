import { type AwsClientFactory, classifyError } from "../executor.js";

/**
 * Proves, before anything runs, that the principal each account's calls will be made as may
 * make every call the runbook needs: `iam:SimulatePrincipalPolicy` (what the IAM policy
 * simulator console does) for each action on each resource, with the region the call will be
 * made in as `aws:RequestedRegion`. A missing permission is reported by step, action and
 * resource, with the statement that would grant it.
 */

/** One permission the runbook needs, and the steps that need it. */
export interface NeededPermission {
  stepIds: string[];
  account: string;
  region: string;
  action: string;
  resources: string[];
}

export interface MissingPermission {
  stepIds: string[];
  account: string;
  principal: string;
  action: string;
  resource: string;
  decision: "implicitDeny" | "explicitDeny";
  /** The statement to add (an explicit deny needs the denying statement removed instead). */
  statement: { Effect: "Allow"; Action: string; Resource: string };
}

export interface PermissionProof {
  /** Principal simulated per account. */
  principals: Record<string, string>;
  /** (action, resource) pairs simulated. */
  checked: number;
  missing: MissingPermission[];
  /**
   * Accounts whose permissions could not be simulated, with why: refused (no
   * iam:SimulatePrincipalPolicy) or `unreachable` (IAM's API lives in us-east-1, which may be
   * the region that is down: a proof that cannot be made must not hold up a failover).
   */
  unproven: { account: string; principal?: string; reason: string; unreachable?: boolean }[];
}

export interface ProofSessions {
  /** The client factory whose credentials the account's calls use. */
  factoryFor(account: string): AwsClientFactory;
  /** The ARN those calls are made as (GetCallerIdentity). */
  principalFor(account: string): Promise<string>;
}

/** IAM is global: its API is signed for us-east-1 in the `aws` partition. */
const IAM_REGION = "us-east-1";
/** SimulatePrincipalPolicy evaluates every action against every resource: keep each call small. */
const ACTIONS_PER_CALL = 20;
/** One try each, bounded: an IAM that does not answer is reported, not waited for. */
const CALL = { requestTimeoutMs: 5000 };

export async function provePermissions(
  needed: readonly NeededPermission[],
  sessions: ProofSessions,
  signal?: AbortSignal,
): Promise<PermissionProof> {
  const proof: PermissionProof = { principals: {}, checked: 0, missing: [], unproven: [] };
  const byAccount = new Map<string, NeededPermission[]>();
  for (const n of needed) byAccount.set(n.account, [...(byAccount.get(n.account) ?? []), n]);
  // Accounts in parallel: an IAM that does not answer costs one timeout, not one per account.
  const proveAccount = async (account: string, rows: NeededPermission[]) => {
    const aws = sessions.factoryFor(account);
    let caller: string;
    try {
      caller = await sessions.principalFor(account);
    } catch (err) {
      proof.unproven.push({ account, reason: `cannot tell who the calls are made as: ${message(err)}` });
      return;
    }
    let source: string;
    try {
      source = await policySourceArn(caller, aws);
    } catch (err) {
      proof.unproven.push({ account, principal: caller, reason: message(err) });
      return;
    }
    proof.principals[account] = source;
    try {
      for (const group of groups(rows)) {
        for (let i = 0; i < group.actions.length; i += ACTIONS_PER_CALL) {
          const actions = group.actions.slice(i, i + ACTIONS_PER_CALL);
          const results = await simulate(aws, source, actions, group.resources, group.region, signal);
          proof.checked += results.length;
          for (const r of results) {
            if (r.decision === "allowed") continue;
            proof.missing.push({
              stepIds: stepsFor(rows, r.action, group.region),
              account,
              principal: source,
              action: r.action,
              resource: r.resource,
              decision: r.decision,
              statement: { Effect: "Allow", Action: r.action, Resource: r.resource },
            });
          }
        }
      }
    } catch (err) {
      const { class: kind } = classifyError(err);
      const unreachable = kind === "retryable" || kind === "timeout";
      proof.unproven.push({
        account,
        principal: source,
        reason: unreachable
          ? `IAM (${IAM_REGION}) did not answer: ${message(err)}`
          : `iam:SimulatePrincipalPolicy failed: ${message(err)}`,
        ...(unreachable ? { unreachable } : {}),
      });
    }
  };
  await Promise.all([...byAccount].map(([account, rows]) => proveAccount(account, rows)));
  proof.missing.sort((x, y) => order(x).localeCompare(order(y)));
  return proof;
}

/**
 * The principal to simulate: a user as it is; an assumed-role session as its role, whose ARN
 * (with its path, which the session ARN leaves out) comes from iam:GetRole when allowed.
 */
async function policySourceArn(caller: string, aws: AwsClientFactory): Promise<string> {
  const session = /^arn:([^:]+):sts::(\d{12}):assumed-role\/([^/]+)\/.+$/.exec(caller);
  if (!session) return caller;
  const [, partition, account, role] = session;
  try {
    const out = (await aws.call("iam", "GetRole", { RoleName: role }, IAM_REGION, CALL)) as {
      Role?: { Arn?: string };
    };
    if (out.Role?.Arn) return out.Role.Arn;
  } catch {
    // Without iam:GetRole the role is assumed to have no path, which is the common case.
  }
  return `arn:${partition}:iam::${account}:role/${role}`;
}

interface Group {
  region: string;
  resources: string[];
  actions: string[];
}

/** Actions that share a region and a resource list are simulated in one call. */
function groups(rows: readonly NeededPermission[]): Group[] {
  const out = new Map<string, Group>();
  for (const r of rows) {
    const resources = [...new Set(r.resources)].sort();
    const key = `${r.region}\u0000${resources.join("\u0000")}`;
    const g = out.get(key) ?? { region: r.region, resources, actions: [] };
    if (!g.actions.includes(r.action)) g.actions.push(r.action);
    out.set(key, g);
  }
  return [...out.values()];
}

function stepsFor(rows: readonly NeededPermission[], action: string, region: string): string[] {
  const ids = new Set<string>();
  for (const r of rows) if (r.action === action && r.region === region) for (const s of r.stepIds) ids.add(s);
  return [...ids];
}

interface Decision {
  action: string;
  resource: string;
  decision: "allowed" | "implicitDeny" | "explicitDeny";
}

async function simulate(
  aws: AwsClientFactory,
  source: string,
  actions: string[],
  resources: string[],
  region: string,
  signal?: AbortSignal,
): Promise<Decision[]> {
  const out: Decision[] = [];
  let marker: string | undefined;
  do {
    signal?.throwIfAborted();
    const page = (await aws.call(
      "iam",
      "SimulatePrincipalPolicy",
      {
        PolicySourceArn: source,
        ActionNames: actions,
        // Omitted means `*`, which is what a wildcard-only action is evaluated against.
        ...(resources.length === 1 && resources[0] === "*" ? {} : { ResourceArns: resources }),
        ContextEntries: [
          { ContextKeyName: "aws:RequestedRegion", ContextKeyValues: [region], ContextKeyType: "string" },
        ],
        ...(marker ? { Marker: marker } : {}),
      },
      IAM_REGION,
      CALL,
    )) as {
      EvaluationResults?: { EvalActionName?: string; EvalResourceName?: string; EvalDecision?: string }[];
      IsTruncated?: boolean;
      Marker?: string;
    };
    for (const r of page.EvaluationResults ?? []) {
      const decision =
        r.EvalDecision === "allowed" || r.EvalDecision === "explicitDeny" ? r.EvalDecision : "implicitDeny";
      out.push({ action: r.EvalActionName ?? "?", resource: r.EvalResourceName ?? "*", decision });
    }
    marker = page.IsTruncated ? page.Marker : undefined;
  } while (marker);
  return out;
}

const order = (m: MissingPermission) => `${m.account} ${m.stepIds.join(",")} ${m.action} ${m.resource}`;

function message(err: unknown): string {
  const e = err as { name?: string; message?: string };
  return e.name && e.message && !e.message.startsWith(e.name)
    ? `${e.name}: ${e.message}`
    : String(e.message ?? err);
}
