import {
  ARC_ROLE_NAME,
  defaultKeyPolicy,
  type IamConfig,
  type NamedPolicy,
  type PolicyDocument,
} from "./iam-defaults.js";
import {
  accountOf,
  defaultEntities,
  type IamEntity,
  type IamRole,
  type IamUser,
  roleArn,
  userArn,
} from "./iam-entities.js";
import { type RoleSession, RoleSessions } from "./role-sessions.js";

export { accountOf, type IamEntity, type IamRole, type IamUser, roleArn, userArn } from "./iam-entities.js";
export type { RoleSession } from "./role-sessions.js";

/**
 * The sandbox's IAM: two accounts, the users of the workload account with their access keys,
 * the role the recovery account lends the workload account for ARC, the inline policies of
 * each, the sessions AssumeRole issued, the deny faults, and whether calls are enforced.
 * Plain state: policies are evaluated by the IAM simulator (iam-authorizer.ts), never here.
 */

/** Who signed a request. */
export interface Caller {
  arn: string;
  account: string;
  /** GetCallerIdentity's UserId. */
  userId: string;
  /** The user, or the role of an assumed-role session; undefined for a key the sandbox does not know. */
  entity: IamEntity | undefined;
  session: RoleSession | undefined;
}

export type Authentication =
  | { caller: Caller; signingKey: { secretAccessKey: string; sessionToken?: string } | undefined }
  | { failure: "unknownKey" | "expiredToken" | "missingAuth" };

/** What `show` and the admin API report of a principal: never a secret key. */
export interface PrincipalView {
  name: string;
  kind: "user" | "role";
  arn: string;
  account: string;
  accessKeyId?: string;
  policies: Record<string, PolicyDocument>;
  /** Actions a deny fault refuses this principal. */
  denied: string[];
}

export interface IamView {
  enforced: boolean;
  accounts: { workload: string; recovery: string };
  principals: PrincipalView[];
  denies: { action: string; principals: string[] }[];
  /** Cap on issued session lifetimes (a test hook), if set. */
  sessionLifetimeMs: number | undefined;
  activeSessions: number;
}

const DENY_POLICY = "sandbox-fault-deny";

export class IamModel {
  readonly accounts: { workload: string; recovery: string };
  private entities = new Map<string, IamEntity>();
  private keys = new Map<string, string>();
  private readonly sessions = new RoleSessions();
  /** action → ARNs of the principals it is denied to. */
  private readonly denies = new Map<string, Set<string>>();
  private enforcedState: boolean;
  private lifetimeMs: number | undefined;
  private changes = 0;
  private readonly policyCache = new Map<string, NamedPolicy[]>();
  /** Roles made through the API (CreateRole): deploy's resources, kept across a reset. */
  private readonly createdRoles = new Map<string, IamRole>();

  constructor(
    workloadAccount: string,
    recoveryAccount: string,
    private readonly config: IamConfig = {},
  ) {
    this.accounts = { workload: workloadAccount, recovery: recoveryAccount };
    this.enforcedState = config.enforce ?? false;
    this.lifetimeMs = config.sessionLifetimeMs;
    this.build();
  }

  /** Bumped on every change that can alter a decision (policies, denies, enforcement). */
  get version(): number {
    return this.changes;
  }

  get enforced(): boolean {
    return this.enforcedState;
  }

  enforce(on: boolean): void {
    this.enforcedState = on;
    this.changed();
  }

  get sessionLifetimeMs(): number | undefined {
    return this.lifetimeMs;
  }

  /** Caps the lifetime of sessions issued from now on (undefined: as requested), so a test can watch credentials expire. */
  setSessionLifetime(ms: number | undefined): void {
    this.lifetimeMs = ms;
  }

  get arcRole(): IamRole {
    return this.entity(roleArn(this.accounts.recovery, ARC_ROLE_NAME)) as IamRole;
  }

  /** Default users and roles with their default policies, no deny, enforcement as configured. */
  reset(): void {
    this.denies.clear();
    this.enforcedState = this.config.enforce ?? false;
    this.lifetimeMs = this.config.sessionLifetimeMs;
    this.build();
    this.changed();
  }

  authenticate(accessKeyId: string | undefined, sessionToken: string | undefined, now: Date): Authentication {
    if (accessKeyId === undefined) {
      if (this.enforcedState) return { failure: "missingAuth" };
      return { caller: this.unknownCaller("anonymous"), signingKey: undefined };
    }
    const userArn = this.keys.get(accessKeyId);
    const user = userArn ? this.entities.get(userArn) : undefined;
    if (user?.kind === "user") {
      return {
        caller: { arn: user.arn, account: user.account, userId: user.id, entity: user, session: undefined },
        signingKey: { secretAccessKey: user.accessKey.secretAccessKey },
      };
    }
    const session = this.sessions.get(accessKeyId);
    if (session) {
      if (sessionToken !== session.sessionToken) return { failure: "unknownKey" };
      if (now.getTime() >= session.expiresAt.getTime()) return { failure: "expiredToken" };
      return {
        caller: {
          arn: session.arn,
          account: accountOf(session.roleArn),
          userId: session.assumedRoleId,
          entity: this.entities.get(session.roleArn),
          session,
        },
        signingKey: { secretAccessKey: session.secretAccessKey, sessionToken: session.sessionToken },
      };
    }
    if (this.enforcedState) return { failure: "unknownKey" };
    return { caller: this.unknownCaller(accessKeyId), signingKey: undefined };
  }

  entity(arn: string): IamEntity | undefined {
    return this.entities.get(arn);
  }

  user(account: string, name: string): IamUser | undefined {
    const e = this.entities.get(userArn(account, name));
    return e?.kind === "user" ? e : undefined;
  }

  role(account: string, name: string): IamRole | undefined {
    const e = this.entities.get(roleArn(account, name));
    return e?.kind === "role" ? e : undefined;
  }

  /** A principal by short name (`operator`, `runbook-arc`) or ARN. */
  resolve(nameOrArn: string): IamEntity | undefined {
    if (nameOrArn.startsWith("arn:")) return this.entities.get(nameOrArn);
    return [...this.entities.values()].find((e) => e.name === nameOrArn);
  }

  /** The principal a runbook's calls use in an account: the operator at home, the ARC role in the recovery account. */
  runbookPrincipal(account: string): IamEntity | undefined {
    if (account === this.accounts.workload) return this.resolve("operator");
    if (account === this.accounts.recovery) return this.arcRole;
    return undefined;
  }

  get principalNames(): string[] {
    return [...this.entities.values()].map((e) => e.name);
  }

  /** The identity policies the simulator evaluates for a principal: its inline policies, then any deny fault. */
  identityPolicies(entityArn: string): NamedPolicy[] {
    const cached = this.policyCache.get(entityArn);
    if (cached) return cached;
    const entity = this.entities.get(entityArn);
    const inline = [...(entity?.policies ?? new Map()).entries()].map(([name, policy]) => ({ name, policy }));
    const deny = this.denyPolicy(entityArn);
    const policies = deny ? [...inline, deny] : inline;
    this.policyCache.set(entityArn, policies);
    return policies;
  }

  /** The deny fault's statements for a principal, if any (they apply even while enforcement is off). */
  denyPolicy(entityArn: string | undefined): NamedPolicy | undefined {
    if (entityArn === undefined) return undefined;
    const actions = [...this.denies].filter(([, arns]) => arns.has(entityArn)).map(([action]) => action);
    if (actions.length === 0) return undefined;
    return {
      name: DENY_POLICY,
      policy: {
        Version: "2012-10-17",
        Statement: actions.map((action, i) => ({
          Sid: `SandboxFaultDeny${i + 1}`,
          Effect: "Deny",
          Action: action,
          Resource: "*",
        })),
      },
    };
  }

  get hasDenies(): boolean {
    return this.denies.size > 0;
  }

  /** A resource's own policy: a role's trust policy, a KMS key's (default) key policy. `owner`: the resource's account. */
  resourcePolicy(arn: string, owner: string): PolicyDocument | undefined {
    const e = this.entities.get(arn);
    if (e?.kind === "role") return e.trustPolicy;
    if (/^arn:aws[\w-]*:kms:[^:]*:[^:]*:key\//.test(arn)) return defaultKeyPolicy(owner);
    return undefined;
  }

  putPolicy(entity: IamEntity, name: string, policy: PolicyDocument): void {
    entity.policies.set(name, policy);
    this.changed();
  }

  deletePolicy(entity: IamEntity, name: string): boolean {
    const had = entity.policies.delete(name);
    this.changed();
    return had;
  }

  /** Replaces all of a principal's inline policies. */
  replacePolicies(entity: IamEntity, policies: Record<string, PolicyDocument>): void {
    entity.policies = new Map(Object.entries(policies));
    this.changed();
  }

  /** Denies `action` (an IAM action or pattern) to these principals (ARNs); replaces an earlier deny of the same action. */
  deny(action: string, principalArns: string[]): void {
    this.denies.set(action, new Set(principalArns));
    this.changed();
  }

  /** Lifts the deny of one action, or of all. */
  liftDeny(action?: string): void {
    if (action === undefined) this.denies.clear();
    else this.denies.delete(action);
    this.changed();
  }

  /** CreateRole: the role exists from now on, and survives a reset. */
  addRole(role: IamRole): void {
    this.entities.set(role.arn, role);
    this.createdRoles.set(role.arn, role);
    this.changed();
  }

  /** DeleteRole. */
  removeRole(role: IamRole): void {
    this.entities.delete(role.arn);
    this.createdRoles.delete(role.arn);
    this.changed();
  }

  /** UpdateAssumeRolePolicy. */
  setTrustPolicy(role: IamRole, trust: PolicyDocument): void {
    role.trustPolicy = trust;
    this.changed();
  }

  issueSession(
    role: IamRole,
    sessionName: string,
    durationSeconds: number,
    sourceArn: string,
    now: Date,
  ): RoleSession {
    const lifetimeMs = Math.min(durationSeconds * 1000, this.lifetimeMs ?? Number.POSITIVE_INFINITY);
    return this.sessions.issue(role, sessionName, lifetimeMs, sourceArn, now);
  }

  view(now = new Date()): IamView {
    const principals = [...this.entities.values()].map(
      (e): PrincipalView => ({
        name: e.name,
        kind: e.kind,
        arn: e.arn,
        account: e.account,
        ...(e.kind === "user" ? { accessKeyId: e.accessKey.accessKeyId } : {}),
        policies: Object.fromEntries(e.policies),
        denied: [...this.denies].filter(([, arns]) => arns.has(e.arn)).map(([action]) => action),
      }),
    );
    const nameOf = (arn: string) => this.entities.get(arn)?.name ?? arn;
    return {
      enforced: this.enforcedState,
      accounts: this.accounts,
      principals,
      denies: [...this.denies].map(([action, arns]) => ({ action, principals: [...arns].map(nameOf) })),
      sessionLifetimeMs: this.lifetimeMs,
      activeSessions: this.sessions.active(now),
    };
  }

  private build(): void {
    const { entities, keys } = defaultEntities(this.accounts, this.config.arcRoleExternalId);
    this.entities = entities;
    this.keys = keys;
    for (const role of this.createdRoles.values()) this.entities.set(role.arn, role);
  }

  private unknownCaller(name: string): Caller {
    return {
      arn: userArn(this.accounts.workload, name),
      account: this.accounts.workload,
      userId: name,
      entity: undefined,
      session: undefined,
    };
  }

  private changed(): void {
    this.changes++;
    this.policyCache.clear();
  }
}
