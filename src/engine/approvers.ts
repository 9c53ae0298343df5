/**
 * Who may approve a gate. An `approvers` entry is either a name (free text, as typed by
 * `RUNBOOK_OPERATOR` or the OS user) or an IAM principal ARN, with `*` and `?` wildcards
 * (`arn:aws:iam::111111111111:user/approver`, `arn:aws:iam::*:role/oncall-*`). A name never
 * matches a proven identity, and a pattern only ever matches a proven one.
 */

/** `aws`: approvals must be AWS identities proven by GetCallerIdentity; `names`: typed names count. */
export type IdentityMode = "aws" | "names";

export function isPrincipalPattern(entry: string): boolean {
  return entry.startsWith("arn:");
}

/**
 * The execution's default. A runbook opts into names with `approvals: { identities: names }`;
 * the sandbox allows them, whether the environment or the runbook is marked so (a runbook
 * author could opt in anyway); everything else needs identities.
 */
export function identityModeFor(
  runbook: { environment: string; approvals?: { identities?: IdentityMode } },
  environmentKind?: string,
): IdentityMode {
  if (runbook.approvals?.identities) return runbook.approvals.identities;
  return environmentKind === "sandbox" || runbook.environment === "sandbox" ? "names" : "aws";
}

/** A gate naming any ARN needs proven identities from everyone, whatever the execution allows. */
export function identitiesRequired(mode: IdentityMode, approvers?: readonly string[]): boolean {
  return mode === "aws" || (approvers?.some(isPrincipalPattern) ?? false);
}

/** May `who` approve? Proven ARNs match patterns; names (not proven) match names exactly, as they always did. */
export function mayApprove(approvers: readonly string[] | undefined, who: string, proven: boolean): boolean {
  if (!approvers) return true;
  if (!proven) return approvers.includes(who);
  return approvers.some((entry) => isPrincipalPattern(entry) && principalMatches(entry, who));
}

/**
 * Does the principal `arn` (what GetCallerIdentity returned) match `pattern`? An assumed-role
 * session `arn:aws:sts::A:assumed-role/R/S` also matches its role, `arn:aws:iam::A:role/R`.
 * A session ARN carries no role path, so a role pattern with a path matches it only when the
 * role name is exact (IAM role names are unique in an account whatever their path); a
 * wildcard name under a path cannot be checked from a session and never matches one.
 */
export function principalMatches(pattern: string, arn: string): boolean {
  if (globMatch(pattern, arn)) return true;
  const session = /^arn:([^:]+):sts::(\d{12}):assumed-role\/([^/]+)\/[^/]+$/.exec(arn);
  if (!session) return false;
  const [, partition, account, role] = session;
  const p = /^arn:([^:]*):iam::([^:]*):role\/(.+)$/.exec(pattern);
  if (!p) return false;
  const [, pPartition, pAccount, pResource] = p;
  const slash = pResource!.lastIndexOf("/");
  const name = pResource!.slice(slash + 1);
  if (slash >= 0 && /[*?]/.test(pResource!)) return false;
  return globMatch(pPartition!, partition!) && globMatch(pAccount!, account!) && globMatch(name, role!);
}

/** IAM's ArnLike: `*` any run of characters, `?` one; compared segment by segment so `*` stays in its segment. */
function globMatch(pattern: string, value: string): boolean {
  const ps = splitArn(pattern);
  const vs = splitArn(value);
  if (ps.length !== vs.length) return false;
  return ps.every((p, i) => {
    const re = p
      .replace(/[.+^${}()|[\]\\/]/g, "\\$&")
      .replace(/\*/g, ".*")
      .replace(/\?/g, ".");
    return new RegExp(`^${re}$`).test(vs[i]!);
  });
}

/** `arn:partition:service:region:account:resource`, the resource kept whole (it may hold `:`). */
function splitArn(s: string): string[] {
  const parts = s.split(":");
  return parts.length > 6 ? [...parts.slice(0, 5), parts.slice(5).join(":")] : parts;
}
