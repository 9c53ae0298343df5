import { executors } from "../../executors/index.js";
import type { AccountSessions } from "../aws/account-sessions.js";
import type { Environment } from "../environment/environment.js";
import { ExitCode, RunbookError } from "../errors.js";
import { type MissingPermission, type PermissionProof, provePermissions } from "../iam/permission-proof.js";
import { policyDocuments, statementFor } from "../iam/policy-document.js";
import { neededPermissions, runbookPermissions } from "../iam/runbook-permissions.js";
import type { Runbook } from "../language/runbook.js";

/**
 * The permission proof of `runbook check` and of `runbook run` before its first side effect:
 * the runbook's needs (its executors' declarations, rendered with the environment) simulated
 * for the principal each account's calls are made as.
 */

export interface PermissionFinding extends Omit<MissingPermission, "statement"> {
  /** The Sid of the generated policy (`runbook iam-policy`) that grants it. */
  sid?: string;
  /** What to add: the generated statement when there is one, else the narrowest grant. */
  statement: Record<string, unknown>;
}

export interface PermissionReport {
  proven: boolean;
  checked: number;
  principals: Record<string, string>;
  missing: PermissionFinding[];
  unproven: PermissionProof["unproven"];
}

/** `runbook run` stops before anything runs: exit 2, like the account guard. */
export class PermissionsMissingError extends RunbookError {
  readonly exitCode = ExitCode.invalid;
}

export async function provePreflight(
  runbook: Runbook,
  environment: Environment | undefined,
  sessions: AccountSessions,
  inputs: Record<string, string>,
  signal?: AbortSignal,
): Promise<PermissionReport | undefined> {
  const rows = runbookPermissions(runbook, environment, executors, { inputs });
  // A runbook that never calls AWS needs no credentials, so it has nothing to prove.
  if (!rows.some((r) => !r.stepId.startsWith("engine:"))) return undefined;
  const policy = policyDocuments(rows);
  const home = (account: string) => (account === "*" ? undefined : account);
  const proof = await provePermissions(
    neededPermissions(rows),
    {
      factoryFor: (account) => sessions.factoryFor(home(account)),
      principalFor: (account) => sessions.principalFor(home(account)),
    },
    signal,
  );
  const missing = proof.missing.map((m): PermissionFinding => {
    const granted = statementFor(policy, m.account, m.action, m.resource);
    const stepIds = m.stepIds.length ? m.stepIds : (granted?.stepIds ?? []);
    return {
      stepIds,
      account: m.account,
      principal: m.principal,
      action: m.action,
      resource: m.resource,
      decision: m.decision,
      ...(granted ? { sid: granted.statement.Sid } : {}),
      statement: granted ? { ...granted.statement } : m.statement,
    };
  });
  return {
    // An IAM that does not answer leaves the proof undone, not failed (see PermissionProof).
    proven: missing.length === 0 && proof.unproven.every((u) => u.unreachable),
    checked: proof.checked,
    principals: proof.principals,
    missing,
    unproven: proof.unproven,
  };
}

/** The report as the terminal shows it: one line per missing permission, then what to add. */
export function permissionLines(report: PermissionReport): string[] {
  const lines: string[] = [];
  const who = Object.values(report.principals).join(", ");
  if (report.proven) {
    lines.push(
      report.checked > 0
        ? `  ✔ ready      permissions  ${report.checked} action/resource pairs allowed for ${who}`
        : "",
    );
    for (const u of report.unproven)
      lines.push(`  ! warning    permissions  account ${u.account}: not proven: ${u.reason}`);
    return lines.filter(Boolean);
  }
  for (const m of report.missing) {
    const steps = m.stepIds.length ? m.stepIds.join(", ") : "(engine)";
    const why = m.decision === "explicitDeny" ? "explicitly denied" : "not allowed";
    lines.push(`  ✘ NOT READY  ${steps}  ${m.action} on ${m.resource}: ${why} for ${m.principal}`);
  }
  for (const u of report.unproven)
    lines.push(
      `  ${u.unreachable ? "! warning  " : "✘ NOT READY"}  permissions  account ${u.account}${u.principal ? ` (${u.principal})` : ""}: cannot prove: ${u.reason}`,
    );
  const statements = uniqueStatements(report.missing);
  if (statements.length) {
    lines.push("", "  Add to the policy of the principal above (runbook iam-policy prints it whole):");
    for (const s of statements) lines.push(`    ${JSON.stringify(s)}`);
  }
  if (report.missing.some((m) => m.decision === "explicitDeny"))
    lines.push("  An explicit Deny wins over any Allow: remove or narrow the denying statement.");
  return lines;
}

function uniqueStatements(missing: readonly PermissionFinding[]): Record<string, unknown>[] {
  const seen = new Map<string, Record<string, unknown>>();
  for (const m of missing) seen.set(JSON.stringify(m.statement), m.statement);
  return [...seen.values()];
}
