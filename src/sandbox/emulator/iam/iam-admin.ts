import { isKnownActionPattern } from "./iam-actions.js";
import { policyProblems } from "./iam-authorizer.js";
import type { PolicyDocument } from "./iam-defaults.js";
import type { IamEntity, IamModel, IamView } from "./iam-model.js";

/**
 * What the admin API (and `runbook sandbox iam`) may do to the sandbox's IAM: turn enforcement
 * on or off, attach policies, go back to the defaults, cap session lifetimes; and the `deny`
 * fault. Untrusted JSON in, a message naming the problem out (`IamCommandError`, a 400).
 */
export type IamCommand =
  | { command: "enforce"; on: boolean }
  | { command: "attach"; principal?: string; document: unknown }
  | { command: "reset" }
  | { command: "session-lifetime"; ms?: number };

export class IamCommandError extends Error {
  override readonly name = "IamCommandError";
}

export function parseIamCommand(value: unknown): IamCommand | string {
  if (typeof value !== "object" || value === null) return "an IAM command must be a JSON object";
  const c = value as Record<string, unknown>;
  switch (c.command) {
    case "enforce":
      return typeof c.on === "boolean"
        ? { command: "enforce", on: c.on }
        : "enforce needs on (true or false)";
    case "attach":
      if (c.principal !== undefined && typeof c.principal !== "string")
        return "attach: principal must be a string";
      if (c.document === undefined) return "attach needs a document";
      return {
        command: "attach",
        document: c.document,
        ...(typeof c.principal === "string" ? { principal: c.principal } : {}),
      };
    case "reset":
      return { command: "reset" };
    case "session-lifetime":
      return c.ms === undefined || (typeof c.ms === "number" && c.ms > 0)
        ? { command: "session-lifetime", ...(typeof c.ms === "number" ? { ms: c.ms } : {}) }
        : "session-lifetime needs ms > 0 (or none, to lift the cap)";
    default:
      return `unknown IAM command ${String(c.command)} (enforce, attach, reset, session-lifetime)`;
  }
}

export async function runIamCommand(iam: IamModel, command: IamCommand): Promise<IamView> {
  switch (command.command) {
    case "enforce":
      iam.enforce(command.on);
      break;
    case "reset":
      iam.reset();
      break;
    case "session-lifetime":
      iam.setSessionLifetime(command.ms);
      break;
    case "attach":
      await attach(iam, command.document, command.principal);
      break;
  }
  return iam.view();
}

/** Policy names a runbook's generated policy is attached under. */
export const ATTACHED = {
  readOnly: "runbook-read-only",
  mutating: "runbook-mutating",
  plain: "attached",
} as const;

/**
 * Replaces principals' inline policies with `document`: a plain IAM policy document (for
 * `principal`, default the operator), or the JSON of `runbook iam-policy --format json`,
 * `{ "accounts": { "<account>": { "readOnly": <doc>, "mutating": <doc> } } }`, each account's
 * documents going to the principal the runbook uses there (or to `principal`, in its account).
 */
async function attach(iam: IamModel, document: unknown, principal: string | undefined): Promise<void> {
  const explicit = principal === undefined ? undefined : resolvePrincipal(iam, principal);
  if (!isObject(document)) throw new IamCommandError("the policy must be a JSON object");
  const plan = new Map<IamEntity, Record<string, PolicyDocument>>();
  if (isObject(document.accounts)) {
    const accounts = Object.entries(document.accounts);
    for (const [account, parts] of accounts) {
      const target = explicit
        ? explicit.account === account
          ? explicit
          : undefined
        : iam.runbookPrincipal(account);
      if (explicit && !target) continue;
      if (!target)
        throw new IamCommandError(
          `accounts.${account}: not a sandbox account (workload ${iam.accounts.workload}, recovery ${iam.accounts.recovery})`,
        );
      if (!isObject(parts))
        throw new IamCommandError(`accounts.${account} must be an object with readOnly and mutating`);
      const docs: Record<string, PolicyDocument> = {};
      for (const part of ["readOnly", "mutating"] as const) {
        const doc = parts[part];
        if (
          doc === undefined ||
          (isObject(doc) && Array.isArray(doc.Statement) && doc.Statement.length === 0)
        )
          continue;
        docs[ATTACHED[part]] = await checked(doc, `accounts.${account}.${part}`);
      }
      plan.set(target, docs);
    }
    if (explicit && plan.size === 0)
      throw new IamCommandError(
        `the policy has no account ${explicit.account}, where ${explicit.name} lives`,
      );
  } else if ("Statement" in document) {
    plan.set(explicit ?? resolvePrincipal(iam, "operator"), {
      [ATTACHED.plain]: await checked(document, "policy"),
    });
  } else {
    throw new IamCommandError(
      'the policy is neither an IAM policy document (with "Statement") nor runbook iam-policy JSON (with "accounts")',
    );
  }
  for (const [entity, docs] of plan) iam.replacePolicies(entity, docs);
}

async function checked(doc: unknown, where: string): Promise<PolicyDocument> {
  const problems = await policyProblems(doc);
  if (problems.length > 0) throw new IamCommandError(`${where}: ${problems.join("; ")}`);
  return doc as PolicyDocument;
}

export function resolvePrincipal(iam: IamModel, name: string): IamEntity {
  const entity = iam.resolve(name);
  if (!entity)
    throw new IamCommandError(`unknown principal ${name} (one of ${iam.principalNames.join(", ")})`);
  return entity;
}

/** The `deny` fault: an explicit Deny of `action` for one principal, or every sandbox principal. */
export async function applyDeny(iam: IamModel, action: string, principal: string | undefined): Promise<void> {
  if (!(await isKnownActionPattern(action)))
    throw new IamCommandError(
      `unknown IAM action ${action} (e.g. rds:FailoverGlobalCluster, or a pattern like rds:Failover*)`,
    );
  const arns =
    principal === undefined
      ? iam.principalNames.map((n) => resolvePrincipal(iam, n).arn)
      : [resolvePrincipal(iam, principal).arn];
  iam.deny(action, arns);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
