/**
 * The sandbox's IAM as it starts (and as `runbook sandbox iam reset` puts it back): who the
 * principals are, their dummy access keys, and their inline policies. Sandbox-only values:
 * none of these keys exists in AWS.
 */

/** An IAM policy document, as JSON. */
export type PolicyDocument = Record<string, unknown>;
export interface NamedPolicy {
  name: string;
  policy: PolicyDocument;
}

/** Topology knobs (`topology.iam`). */
export interface IamConfig {
  /** The ARC role's trust policy requires this `sts:ExternalId` (default: no condition). */
  arcRoleExternalId?: string;
  /** Caps the lifetime of every session AssumeRole issues (a test hook; default: as requested). */
  sessionLifetimeMs?: number;
  /** Authorise every call from the start (default false). */
  enforce?: boolean;
}

export const DEFAULT_RECOVERY_ACCOUNT_ID = "222222222222";
export const ARC_ROLE_NAME = "runbook-arc";

/**
 * The workload account's users. `operator` keeps the key the sandbox always handed out
 * (endpoints.json `credentials`), so everything that used it is now the operator.
 */
export const SANDBOX_USERS = [
  { name: "operator", accessKeyId: "sandbox", secretAccessKey: "sandbox-secret" },
  // A second shell's identity, for approvals.
  { name: "approver", accessKeyId: "AKIASANDBOXAPPROVER1", secretAccessKey: "sandbox-approver-secret" },
  // A principal no runbook lists.
  { name: "outsider", accessKeyId: "AKIASANDBOXOUTSIDER1", secretAccessKey: "sandbox-outsider-secret" },
] as const;

export type SandboxUserName = (typeof SANDBOX_USERS)[number]["name"];

const VERSION = "2012-10-17";
const callerIdentity = {
  Version: VERSION,
  Statement: [{ Sid: "WhoAmI", Effect: "Allow", Action: "sts:GetCallerIdentity", Resource: "*" }],
};

/** Inline policies by principal name, then policy name. */
export function defaultPolicies(accounts: {
  workload: string;
  recovery: string;
}): Record<string, Record<string, PolicyDocument>> {
  const arcRole = `arn:aws:iam::${accounts.recovery}:role/${ARC_ROLE_NAME}`;
  return {
    operator: {
      "sandbox-admin": {
        Version: VERSION,
        Statement: [{ Sid: "SandboxAdmin", Effect: "Allow", Action: "*", Resource: "*" }],
      },
    },
    approver: { "sandbox-caller-identity": callerIdentity },
    outsider: { "sandbox-caller-identity": callerIdentity },
    [ARC_ROLE_NAME]: {
      [ARC_ROLE_NAME]: {
        Version: VERSION,
        Statement: [
          {
            Sid: "RoutingControls",
            Effect: "Allow",
            Action: [
              "route53-recovery-cluster:GetRoutingControlState",
              "route53-recovery-cluster:ListRoutingControls",
              "route53-recovery-cluster:UpdateRoutingControlState",
              "route53-recovery-cluster:UpdateRoutingControlStates",
            ],
            Resource: "*",
          },
          { Sid: "WhoAmI", Effect: "Allow", Action: "sts:GetCallerIdentity", Resource: "*" },
          // `runbook check` proves the role's own permissions (and reads its ARN with GetRole).
          {
            Sid: "ProveOwnPermissions",
            Effect: "Allow",
            Action: ["iam:SimulatePrincipalPolicy", "iam:GetRole"],
            Resource: arcRole,
          },
        ],
      },
    },
  };
}

/**
 * A KMS key's default key policy (what AWS gives a key created without one): the account's
 * IAM policies decide. Without it a key would refuse everyone, since KMS trusts IAM policies
 * only where its key policy says so.
 */
export function defaultKeyPolicy(account: string): PolicyDocument {
  return {
    Version: VERSION,
    Id: "key-default-1",
    Statement: [
      {
        Sid: "Enable IAM User Permissions",
        Effect: "Allow",
        Principal: { AWS: `arn:aws:iam::${account}:root` },
        Action: "kms:*",
        Resource: "*",
      },
    ],
  };
}

/** The ARC role trusts the workload account (its root: any principal the account's own policies allow). */
export function trustPolicy(workloadAccount: string, externalId: string | undefined): PolicyDocument {
  return {
    Version: VERSION,
    Statement: [
      {
        Sid: "TrustWorkloadAccount",
        Effect: "Allow",
        Principal: { AWS: `arn:aws:iam::${workloadAccount}:root` },
        Action: "sts:AssumeRole",
        ...(externalId === undefined
          ? {}
          : { Condition: { StringEquals: { "sts:ExternalId": externalId } } }),
      },
    ],
  };
}
