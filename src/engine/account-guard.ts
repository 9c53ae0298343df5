import type { AccountSessions, CallerIdentity } from "../aws/account-sessions.js";
import { ExitCode, RunbookError } from "../errors.js";
import type { ExecutorDefinition } from "../executor.js";
import type { Scope } from "../language/expressions.js";
import type { Runbook } from "../language/runbook.js";
import { type AccountUse, accountsTouched } from "./step-accounts.js";

/** The credentials in use belong to an account the runbook or environment does not allow. */
export class AccountGuardError extends RunbookError {
  readonly exitCode = ExitCode.invalid;
}

const NOTHING = "nothing was touched";

/**
 * Before the first AWS side effect, every account the runbook calls into is checked: it must
 * be one the runbook (`metadata.accounts`) and the environment allow, and STS
 * GetCallerIdentity through its session (the assumed role, or the base credentials) must
 * answer that very account. Any doubt stops the run, touching nothing. A runbook with no
 * AWS step needs no AWS credentials, so it is not checked.
 */
export async function guardAccounts(
  runbook: Runbook,
  registry: ReadonlyMap<string, ExecutorDefinition>,
  allowed: { runbook?: string[]; environment?: string[] },
  sessions: AccountSessions,
  scope: Scope,
): Promise<CallerIdentity[]> {
  const lists = [allowed.runbook, allowed.environment].filter((l): l is string[] => Boolean(l?.length));
  const uses = accountsTouched(runbook, registry, scope, (ref) => sessions.accountId(ref));
  const named = uses.filter((u) => u.account !== undefined);
  if (uses.length === 0 || (lists.length === 0 && named.length === 0)) return [];
  // What the files say is refused before any call: a role in an account the runbook may not touch.
  for (const use of named) notAllowed(runbook, use, use.account!, lists, sessions);
  const identities: CallerIdentity[] = [];
  for (const use of uses) {
    const roles = sessions.rolesOf(use.account);
    const checks = roles.length
      ? roles.map((r) => ({ role: r.roleArn, region: r.regions?.[0] }))
      : [{ role: undefined, region: undefined }];
    for (const { role, region } of checks) {
      const via = role ? `role ${role}` : "the base credentials";
      let identity: CallerIdentity;
      try {
        identity = await sessions.identityFor(use.account, region);
      } catch (err) {
        throw new AccountGuardError(
          `cannot tell which AWS account ${use.account ? `${label(use)} is reached through ${via}` : "these credentials belong to"} (STS GetCallerIdentity: ${(err as Error).message}); ${NOTHING}`,
          role
            ? `Check that ${role} trusts the base credentials (sts:AssumeRole) and its external id.`
            : "Check your AWS credentials (AWS_PROFILE, SSO login) and region.",
        );
      }
      if (use.account !== undefined && identity.account !== use.account) {
        throw new AccountGuardError(
          `steps ${use.steps.join(", ")} call account ${label(use)}, but ${via} ${role ? "is" : "are"} in account ${identity.account} (${identity.arn}); ${NOTHING}`,
          role
            ? "Fix the role's ARN under aws.roles in the environment file."
            : `Map a role for account ${label(use)} under aws.roles in the environment, or use credentials of that account.`,
        );
      }
      if (use.account === undefined) notAllowed(runbook, use, identity.account, lists, sessions);
      identities.push(identity);
    }
  }
  return identities;
}

function notAllowed(
  runbook: Runbook,
  use: AccountUse,
  account: string,
  lists: string[][],
  sessions: AccountSessions,
): void {
  for (const list of lists) {
    if (list.includes(account)) continue;
    const roles = sessions.rolesOf(use.account).map((r) => r.roleArn);
    const what = use.account
      ? `account ${label(use)}${roles.length ? ` (role ${roles.join(", ")})` : ""}, named by steps ${use.steps.join(", ")},`
      : `AWS account ${account}`;
    throw new AccountGuardError(
      `${what} is not allowed for runbook ${runbook.name} (allowed: ${list.join(", ")}); ${NOTHING}`,
      use.account
        ? "Add it to metadata.accounts of the runbook and environment, or name another account."
        : "Use credentials for the right account, or the right --env.",
    );
  }
}

function label(use: AccountUse): string {
  return use.written ? `${use.written} (${use.account})` : (use.account ?? "");
}
