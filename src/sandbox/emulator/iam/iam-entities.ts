import { createHash } from "node:crypto";
import {
  ARC_ROLE_NAME,
  defaultPolicies,
  type PolicyDocument,
  SANDBOX_USERS,
  trustPolicy,
} from "./iam-defaults.js";

/** The sandbox's IAM users and roles, and the ARNs and ids IAM gives them. */

interface EntityBase {
  name: string;
  account: string;
  arn: string;
  /** AIDA… (users), AROA… (roles): stable, derived from the ARN. */
  id: string;
  createdAt: Date;
  policies: Map<string, PolicyDocument>;
}
export interface IamUser extends EntityBase {
  kind: "user";
  accessKey: { accessKeyId: string; secretAccessKey: string };
}
export interface IamRole extends EntityBase {
  kind: "role";
  trustPolicy: PolicyDocument;
  maxSessionDuration: number;
  description: string;
}
export type IamEntity = IamUser | IamRole;

export const userArn = (account: string, name: string) => `arn:aws:iam::${account}:user/${name}`;
export const roleArn = (account: string, name: string) => `arn:aws:iam::${account}:role/${name}`;

/** The account field of an ARN (empty for S3 buckets and Route 53). */
export function accountOf(arn: string): string {
  return arn.split(":")[4] ?? "";
}

/** The default users (with their keys: access key id → user ARN) and the ARC role, with their default policies. */
export function defaultEntities(
  accounts: { workload: string; recovery: string },
  arcRoleExternalId: string | undefined,
): { entities: Map<string, IamEntity>; keys: Map<string, string> } {
  const { workload, recovery } = accounts;
  const entities = new Map<string, IamEntity>();
  const keys = new Map<string, string>();
  const policies = defaultPolicies(accounts);
  const createdAt = new Date("2026-01-01T00:00:00Z");
  for (const u of SANDBOX_USERS) {
    const arn = userArn(workload, u.name);
    entities.set(arn, {
      kind: "user",
      name: u.name,
      account: workload,
      arn,
      id: stableId("AIDA", arn),
      createdAt,
      policies: new Map(Object.entries(policies[u.name] ?? {})),
      accessKey: { accessKeyId: u.accessKeyId, secretAccessKey: u.secretAccessKey },
    });
    keys.set(u.accessKeyId, arn);
  }
  const arc = roleArn(recovery, ARC_ROLE_NAME);
  entities.set(arc, {
    kind: "role",
    name: ARC_ROLE_NAME,
    account: recovery,
    arn: arc,
    id: stableId("AROA", arc),
    createdAt,
    policies: new Map(Object.entries(policies[ARC_ROLE_NAME] ?? {})),
    trustPolicy: trustPolicy(workload, arcRoleExternalId),
    // The whole range AssumeRole accepts, so DurationSeconds is only ever refused as AWS does for it.
    maxSessionDuration: 43_200,
    description: "Lent by the recovery account to the workload account's runbooks: ARC routing controls",
  });
  return { entities, keys };
}

/** A role as CreateRole makes it (in `account`, trusting whom its trust policy says). */
export function newRole(
  account: string,
  name: string,
  trust: PolicyDocument,
  options: { description?: string; maxSessionDuration?: number } = {},
): IamRole {
  const arn = roleArn(account, name);
  return {
    kind: "role",
    name,
    account,
    arn,
    id: stableId("AROA", arn),
    createdAt: new Date(),
    policies: new Map(),
    trustPolicy: trust,
    maxSessionDuration: options.maxSessionDuration ?? 3600,
    description: options.description ?? "",
  };
}

function stableId(prefix: string, arn: string): string {
  return prefix + createHash("sha256").update(arn).digest("hex").slice(0, 17).toUpperCase();
}
