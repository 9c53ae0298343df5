import { z } from "zod";
import type { Diagnostic } from "../errors.js";
import { hasExpression, renderDeep, type Scope } from "../language/expressions.js";
import type { SourceMap } from "../language/source-map.js";

/**
 * An environment's accounts and the roles the engine assumes in them (`aws.accounts`,
 * `aws.roles`). A step names its account (`account: recovery`); the engine calls AWS there
 * through STS AssumeRole of the role mapped to it, in the step's region first.
 */

export const ACCOUNT_ID = /^\d{12}$/;
/** A name for an account (`recovery`): a letter first, so it is never mistaken for an id. */
export const ACCOUNT_ALIAS = /^[A-Za-z][A-Za-z0-9_-]*$/;
/** `arn:<partition>:iam::<account>:role/<path/>name`, as IAM spells a role ARN. */
const ROLE_ARN = /^arn:aws[a-z-]*:iam::(\d{12}):role\/(?:[\x21-\x7e]+\/)?[\w+=,.@-]{1,64}$/;

/** A string that may still be a `${{ sandbox.* }}` or `${{ env.* }}` template until the environment is rendered. */
const templatedOr = (pattern: RegExp, message: string) =>
  z.string().refine((s) => hasExpression(s) || pattern.test(s), { message });

const ACCOUNT_MESSAGE = "an AWS account id has 12 digits";
const ROLE_MESSAGE = "not an IAM role ARN: arn:aws:iam::<12-digit account>:role/<name>";

export const AccountsField = z
  .record(
    z.string().regex(ACCOUNT_ALIAS, { message: "an account alias starts with a letter: recovery, workload" }),
    templatedOr(ACCOUNT_ID, ACCOUNT_MESSAGE),
  )
  .describe("Names for accounts: { recovery: '222222222222' }; steps name them in `account:`");

export const RoleField = z.strictObject({
  account: z.string().min(1).describe("An account id, or an alias from aws.accounts"),
  regions: z
    .array(z.string().min(1))
    .min(1)
    .optional()
    .describe("Only for clients in these regions (default: every region)"),
  roleArn: templatedOr(ROLE_ARN, ROLE_MESSAGE),
  externalId: z
    .string()
    .min(2)
    .max(1224)
    .refine((s) => hasExpression(s) || /^[\w+=,.@:/-]+$/.test(s), {
      message: "an external id is 2-1224 of: letters, digits, _+=,.@:/-",
    })
    .optional(),
  durationSeconds: z
    .number()
    .int()
    .min(900, { message: "a role session lasts 900 (15 minutes) to 43200 seconds (12 hours)" })
    .max(43200, { message: "a role session lasts 900 (15 minutes) to 43200 seconds (12 hours)" })
    .optional()
    .describe("Role session length; the role's own maximum may be lower (default 3600)"),
});

export const RolesField = z.array(RoleField);

/** A role as the engine uses it: every account an id, every template rendered. */
export interface EnvironmentRole {
  account: string;
  regions?: string[];
  roleArn: string;
  externalId?: string;
  durationSeconds?: number;
}

export interface ResolvedAccounts {
  /** Alias → account id. */
  accounts: Record<string, string>;
  roles: EnvironmentRole[];
}

type RawAws = { accounts?: Record<string, string>; roles?: z.infer<typeof RoleField>[] } | undefined;

/**
 * Render the accounts and roles like `vars` (the sandbox's values, env), then check what only
 * the rendered values can show: ids, aliases that exist, a role ARN in the account it is
 * mapped to, one role per account and region. Problems point at the field in the file.
 */
export function resolveAccounts(
  raw: RawAws,
  scope: Scope,
  map: SourceMap,
): { resolved: ResolvedAccounts; problems: Diagnostic[] } {
  const problems: Diagnostic[] = [];
  const report = (path: (string | number)[], message: string) =>
    problems.push(map.diagnostic(["aws", ...path], message));
  const accounts: Record<string, string> = {};
  for (const [alias, value] of Object.entries(raw?.accounts ?? {})) {
    const id = renderDeep(value, scope);
    if (typeof id === "string" && ACCOUNT_ID.test(id)) accounts[alias] = id;
    else
      report(
        ["accounts", alias],
        `aws.accounts.${alias}: ${ACCOUNT_MESSAGE}${hasExpression(value) ? ` (${value} gave ${JSON.stringify(id) ?? "nothing"})` : ""}`,
      );
  }
  const roles: EnvironmentRole[] = [];
  const claimed = new Map<string, number>();
  (raw?.roles ?? []).forEach((r, i) => {
    const rendered = renderDeep(r, scope) as Record<string, unknown>;
    const ref = String(rendered.account ?? "");
    const account = ACCOUNT_ID.test(ref) ? ref : accounts[ref];
    if (!account) {
      const known = Object.keys(accounts);
      report(
        ["roles", i, "account"],
        `aws.roles[${i}].account: "${ref}" is neither a 12-digit account id nor an alias in aws.accounts${known.length ? ` (${known.join(", ")})` : ""}`,
      );
      return;
    }
    const arn = rendered.roleArn;
    const m = typeof arn === "string" ? ROLE_ARN.exec(arn) : null;
    if (!m) {
      report(
        ["roles", i, "roleArn"],
        `aws.roles[${i}].roleArn: ${ROLE_MESSAGE}${hasExpression(r.roleArn) ? ` (${r.roleArn} gave ${JSON.stringify(arn) ?? "nothing"})` : ""}`,
      );
      return;
    }
    if (m[1] !== account) {
      report(
        ["roles", i, "roleArn"],
        `aws.roles[${i}].roleArn: ${arn} is a role of account ${m[1]}, but it is mapped to account ${account}${ref !== account ? ` (${ref})` : ""}`,
      );
      return;
    }
    const regions = rendered.regions as string[] | undefined;
    for (const region of regions ?? ["*"]) {
      const key = `${account}|${region}`;
      const first = claimed.get(key);
      if (first !== undefined) {
        report(
          ["roles", i],
          `aws.roles[${i}]: account ${ref}${region === "*" ? "" : ` in ${region}`} already has a role (aws.roles[${first}])`,
        );
        return;
      }
      claimed.set(key, i);
    }
    const externalId = rendered.externalId;
    if (r.externalId !== undefined && (typeof externalId !== "string" || externalId.length < 2)) {
      report(["roles", i, "externalId"], `aws.roles[${i}].externalId: ${r.externalId} gave no value`);
      return;
    }
    roles.push({
      account,
      roleArn: arn as string,
      ...(regions ? { regions } : {}),
      ...(typeof externalId === "string" ? { externalId } : {}),
      ...(r.durationSeconds !== undefined ? { durationSeconds: r.durationSeconds } : {}),
    });
  });
  return { resolved: { accounts, roles }, problems };
}
