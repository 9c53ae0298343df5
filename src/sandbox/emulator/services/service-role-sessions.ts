import type { IamModel } from "../iam/iam-model.js";
import type { RequestAuth } from "../iam/request-auth.js";

/**
 * Credentials a service gets for the role it runs as (a state machine's role, a function's
 * execution role), issued through the sandbox's STS model as AssumeRole would issue them: the
 * role's trust policy, evaluated by the IAM simulator, must let the service principal
 * (`states.amazonaws.com`, `lambda.amazonaws.com`) in. Sessions are reused and renewed once
 * half their lifetime is gone, well before they expire.
 */

export interface RoleCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: Date;
}

export class RoleAssumeError extends Error {}

/** The resource a service assumes a role for. */
export interface ServiceSource {
  account: string;
  arn?: string;
}

const SESSION_SECONDS = 3600;
const ROLE_ARN = /^arn:aws[\w-]*:iam::(\d{12}):role\/(?:[\w+=,.@-]+\/)*([\w+=,.@-]+)$/;

export class ServiceRoleSessions {
  private readonly cache = new Map<string, { credentials: RoleCredentials; renewAt: number }>();

  constructor(private readonly auth: RequestAuth) {}

  private get iam(): IamModel {
    return this.auth.iam;
  }

  /**
   * Whether `servicePrincipal` may assume the role (it exists and its trust policy says so).
   * `source` is the resource the service acts for (the state machine, the function): AWS sets
   * it as aws:SourceAccount / aws:SourceArn, which trust policies use against confused deputies.
   */
  async canAssume(roleArn: string, servicePrincipal: string, source?: ServiceSource): Promise<boolean> {
    const role = ROLE_ARN.test(roleArn) ? this.iam.entity(roleArn) : undefined;
    if (role?.kind !== "role") return false;
    const e = await this.auth.authorizer.evaluate(
      {
        principalArn: servicePrincipal,
        identityPolicies: [],
        action: "sts:AssumeRole",
        resource: role.arn,
        resourceAccount: role.account,
        resourcePolicy: role.trustPolicy,
        context: source
          ? { "aws:SourceAccount": source.account, ...(source.arn ? { "aws:SourceArn": source.arn } : {}) }
          : {},
      },
      this.iam.version,
    );
    return e.decision === "allowed";
  }

  /** Credentials of a session of the role named `sessionName`; throws RoleAssumeError if the service may not assume it. */
  async credentials(
    roleArn: string,
    servicePrincipal: string,
    sessionName: string,
    source?: ServiceSource,
  ): Promise<RoleCredentials> {
    const key = `${roleArn} ${servicePrincipal} ${sessionName}`;
    const cached = this.cache.get(key);
    const now = Date.now();
    if (cached && now < cached.renewAt) return cached.credentials;
    if (!(await this.canAssume(roleArn, servicePrincipal, source)))
      throw new RoleAssumeError(
        `${servicePrincipal} is not authorized to assume the role ${roleArn} (it does not exist or its trust policy does not allow ${servicePrincipal})`,
      );
    const role = this.iam.entity(roleArn);
    if (role?.kind !== "role") throw new RoleAssumeError(`no role ${roleArn}`);
    const seconds = Math.min(SESSION_SECONDS, role.maxSessionDuration);
    const name = sessionName
      .replace(/[^\w+=,.@-]/g, "-")
      .slice(0, 64)
      .padEnd(2, "-");
    const session = this.iam.issueSession(role, name, seconds, servicePrincipal, new Date(now));
    const credentials: RoleCredentials = {
      accessKeyId: session.accessKeyId,
      secretAccessKey: session.secretAccessKey,
      sessionToken: session.sessionToken,
      expiration: session.expiresAt,
    };
    const lifetime = session.expiresAt.getTime() - now;
    this.cache.set(key, { credentials, renewAt: now + lifetime / 2 });
    if (this.cache.size > 1000) this.cache.delete(this.cache.keys().next().value as string);
    return credentials;
  }
}
