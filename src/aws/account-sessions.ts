import type { STSClient } from "@aws-sdk/client-sts";
import type { EnvironmentRole } from "../environment/aws-roles.js";
import { ACCOUNT_ID } from "../environment/aws-roles.js";
import { UsageError } from "../errors.js";
import { type AwsClientFactory, fatal } from "../executor.js";
import { assumedRoleCredentials } from "./assumed-role-credentials.js";
import { type ClientFactoryOptions, createClientFactory } from "./client-factory.js";

/**
 * One AWS client factory per account a runbook touches. A step that names its `account:`
 * calls AWS as the role the environment maps to that account (`aws.roles`, the role for the
 * client's region first), through STS AssumeRole made with the base credentials; every other
 * call uses the base credential chain. Credentials stay inside the SDK: nothing here logs,
 * returns or journals them, only the ARN the calls are made as.
 */

export interface AccountSessionsOptions {
  /** How base clients are built: endpoints (STS's too), base credentials, where SDK packages live. */
  client: ClientFactoryOptions;
  /** A base factory built already (shared: not destroyed here). */
  base?: AwsClientFactory & { destroy(): void };
  /** The environment's region: STS is called there, and an account's identity is checked there. */
  region: string;
  accounts?: Record<string, string>;
  roles?: readonly EnvironmentRole[];
  /** Who acts: part of every role session's name, as CloudTrail will show it. */
  operator: string;
  /** The rest of the session name; before an execution exists, `preflight`. */
  executionId?: string;
  /** For messages: which environment maps the accounts. */
  environment?: string;
}

export interface CallerIdentity {
  account: string;
  arn: string;
}

export interface AccountSessions {
  /** The role session name: operator + execution id. */
  readonly sessionName: string;
  /** An alias or id → the account id (`undefined`: the base credentials' own account). */
  accountId(ref: string | undefined): string | undefined;
  /** The role a client for `region` in `account` uses; `undefined`: the base credentials. */
  roleFor(account: string | undefined, region: string): EnvironmentRole | undefined;
  /** Roles mapped to an account (alias or id). */
  rolesOf(account: string | undefined): EnvironmentRole[];
  /** Clients whose calls are made in `account` (alias or id). */
  factoryFor(account?: string): AwsClientFactory;
  /** STS GetCallerIdentity through the account's session (in `region`: default the environment's, or its role's), once. */
  identityFor(account?: string, region?: string): Promise<CallerIdentity>;
  /** The ARN the account's calls are made as. */
  principalFor(account?: string, region?: string): Promise<string>;
  /** The same accounts and roles, in sessions named after this execution. */
  forExecution(executionId: string): AccountSessions;
  /** Closes what this object built; it can still be used afterwards (it builds again). */
  destroy(): void;
}

/** An account alias or id → the id; an alias the environment does not define is refused. */
export function accountIdOf(
  ref: string | undefined,
  accounts: Record<string, string> | undefined,
  environment: string | undefined,
): string | undefined {
  if (ref === undefined || ACCOUNT_ID.test(ref)) return ref;
  const id = accounts?.[ref];
  if (id) return id;
  const known = Object.keys(accounts ?? {});
  throw new UsageError(
    `account "${ref}" is neither a 12-digit account id nor an account of ${environment ? `environment ${environment}` : "any environment (pass --env)"}${known.length ? ` (its accounts: ${known.join(", ")})` : ""}`,
    "Name accounts under aws.accounts in the environment file.",
  );
}

/** RoleSessionName: `[\w+=,.@-]{2,64}`; the execution id is kept whole, the operator shortened. */
export function roleSessionName(operator: string, executionId: string): string {
  const clean = (s: string) => s.replace(/[^\w+=,.@-]/g, "-");
  const id = clean(executionId).slice(0, 64);
  // An ARN's last part names the person (`user/alice`, `assumed-role/Admin/alice@example.com`).
  const who = clean(operator.slice(operator.lastIndexOf("/") + 1) || operator);
  const room = 64 - id.length - 1;
  return room >= 1 && who ? `${who.slice(0, room)}+${id}` : id.padEnd(2, "-");
}

export function createAccountSessions(o: AccountSessionsOptions): AccountSessions {
  return new Sessions(o, { base: o.base ?? createClientFactory(o.client), ownsBase: !o.base, identity: {} });
}

type Destroyable = AwsClientFactory & { destroy(): void };

class Sessions implements AccountSessions {
  readonly sessionName: string;
  private readonly roles: readonly EnvironmentRole[];
  private readonly factories = new Map<EnvironmentRole, Destroyable>();
  private readonly identities = new Map<string, Promise<CallerIdentity>>();
  private sts: Promise<STSClient> | undefined;

  constructor(
    private readonly o: AccountSessionsOptions,
    /** What every execution's sessions share: the base chain and who it is. */
    private readonly shared: {
      base: Destroyable;
      ownsBase: boolean;
      identity: { base?: Promise<CallerIdentity> };
    },
  ) {
    this.roles = o.roles ?? [];
    this.sessionName = roleSessionName(o.operator, o.executionId ?? "preflight");
  }

  accountId(ref: string | undefined): string | undefined {
    return accountIdOf(ref, this.o.accounts, this.o.environment);
  }

  rolesOf(account: string | undefined): EnvironmentRole[] {
    const id = this.accountId(account);
    return id === undefined ? [] : this.roles.filter((r) => r.account === id);
  }

  roleFor(account: string | undefined, region: string): EnvironmentRole | undefined {
    const roles = this.rolesOf(account);
    const role = roles.find((r) => r.regions?.includes(region)) ?? roles.find((r) => !r.regions);
    if (!role && roles.length > 0) {
      // Falling back to the base credentials could act in another account: refuse.
      throw fatal(
        `account ${this.label(account)} has a role only for ${roles.flatMap((r) => r.regions ?? []).join(", ")} in ${this.o.environment ? `environment ${this.o.environment}` : "the environment"}; nothing maps it in ${region}`,
      );
    }
    return role;
  }

  factoryFor(account?: string): AwsClientFactory {
    this.accountId(account);
    const pick = (region: string) => {
      const role = this.roleFor(account, region);
      return role ? this.roleFactory(role) : this.shared.base;
    };
    return {
      client: async (service, region, options) => pick(region).client(service, region, options),
      call: async (service, operation, input, region, options) =>
        pick(region).call(service, operation, input, region, options),
    };
  }

  identityFor(account?: string, region = this.homeRegion(account)): Promise<CallerIdentity> {
    const role = this.roleFor(account, region);
    const shared = this.shared.identity;
    let identity = role ? this.identities.get(role.roleArn) : shared.base;
    if (!identity) {
      const asked = this.callerIdentity(role ? this.roleFactory(role) : this.shared.base, region);
      // A failed look-up (STS unreachable a moment) is tried again next time, not remembered.
      asked.catch(() => {
        if (role) this.identities.delete(role.roleArn);
        else if (shared.base === asked) shared.base = undefined;
      });
      if (role) this.identities.set(role.roleArn, asked);
      else shared.base = asked;
      identity = asked;
    }
    return identity;
  }

  async principalFor(account?: string, region?: string): Promise<string> {
    return (await this.identityFor(account, region)).arn;
  }

  forExecution(executionId: string): AccountSessions {
    // The base chain is shared (it has no session name); each role is assumed again, named for the run.
    return new Sessions({ ...this.o, executionId }, { ...this.shared, ownsBase: false });
  }

  destroy(): void {
    for (const f of this.factories.values()) f.destroy();
    this.factories.clear();
    this.identities.clear();
    this.sts?.then(
      (c) => c.destroy(),
      () => undefined,
    );
    this.sts = undefined;
    if (this.shared.ownsBase) this.shared.base.destroy();
  }

  /** Where an account's identity is asked: the environment's region, unless its roles are all regional. */
  private homeRegion(account: string | undefined): string {
    const roles = this.rolesOf(account);
    if (roles.length === 0 || roles.some((r) => !r.regions)) return this.o.region;
    return roles.find((r) => r.regions?.includes(this.o.region)) ? this.o.region : roles[0]!.regions![0]!;
  }

  private label(account: string | undefined): string {
    const id = this.accountId(account);
    return account && id !== account ? `${account} (${id})` : (id ?? "of the base credentials");
  }

  private async callerIdentity(factory: AwsClientFactory, region: string): Promise<CallerIdentity> {
    const { GetCallerIdentityCommand } = await import("@aws-sdk/client-sts");
    const sts = await factory.client("sts", region);
    const out = await sts.send(new GetCallerIdentityCommand({}), {
      abortSignal: AbortSignal.timeout(10_000),
    });
    if (!out.Account || !out.Arn) throw new Error("STS GetCallerIdentity answered without an account or ARN");
    return { account: out.Account, arn: out.Arn };
  }

  private roleFactory(role: EnvironmentRole): Destroyable {
    let f = this.factories.get(role);
    if (!f) {
      f = createClientFactory({
        ...this.o.client,
        credentials: assumedRoleCredentials(role, this.sessionName, () => this.stsClient()),
      });
      this.factories.set(role, f);
    }
    return f;
  }

  /** STS's own client, with the base credentials, at the environment's STS endpoint and region. */
  private stsClient(): Promise<STSClient> {
    this.sts ??= import("@aws-sdk/client-sts").then(({ STSClient }) => {
      const c = this.o.client;
      const endpoint = c.endpoints?.sts ?? c.endpoints?.["*"];
      return new STSClient({
        region: this.o.region,
        maxAttempts: 3,
        ...(endpoint ? { endpoint } : {}),
        ...(c.credentials ? { credentials: c.credentials } : {}),
      });
    });
    return this.sts;
  }
}
