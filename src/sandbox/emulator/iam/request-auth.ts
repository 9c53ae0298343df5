import type { ApiError } from "../errors.js";
import type { ParamReader } from "../params.js";
import type { RequestContext, ServiceDefinition } from "../service.js";
import type { RequestSignature } from "../sigv4-scope.js";
import { authError } from "./auth-errors.js";
import { iamActionOf, isWildcardOnly } from "./iam-actions.js";
import { accessDeniedMessage, type Evaluation, IamAuthorizer, ownerOf } from "./iam-authorizer.js";
import type { NamedPolicy } from "./iam-defaults.js";
import { type Authentication, accountOf, type Caller, type IamModel } from "./iam-model.js";
import { type ReceivedRequest, verifySignature } from "./signature-check.js";

/**
 * The dispatcher's gate, before any operation runs: who signed the request (an unknown key is
 * refused only while enforcement is on), whether an STS request's signature holds, and — with
 * enforcement on — whether the IAM simulator allows the request's action on every resource it
 * names (`<prefix>:<Action>` on the ARNs the service's own model gives). With enforcement off,
 * only a deny fault's statements refuse a call.
 */

export interface RequestCredentials {
  signature: RequestSignature | undefined;
  authentication: Authentication;
  request: ReceivedRequest;
}

/** Stands in for a principal's identity policies while enforcement is off: only denies can refuse. */
const ENFORCEMENT_OFF: NamedPolicy = {
  name: "sandbox-enforcement-off",
  policy: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] },
};

export interface Refusal {
  error: ApiError;
  /** Logged as the call's outcome: `AccessDenied` for every service, else the error code. */
  outcome: string;
}

export class RequestAuth {
  readonly authorizer = new IamAuthorizer();

  constructor(readonly iam: IamModel) {}

  authenticate(signature: RequestSignature | undefined, now = new Date()): Authentication {
    return this.iam.authenticate(signature?.accessKeyId, signature?.sessionToken, now);
  }

  /** The caller, or why the request is refused. */
  async check(
    service: ServiceDefinition,
    operation: string,
    params: ParamReader,
    ctx: Omit<RequestContext, "caller">,
    credentials: RequestCredentials,
  ): Promise<{ caller: Caller } | Refusal> {
    const auth = credentials.authentication;
    if ("failure" in auth) {
      const error = authError(auth.failure, service, ctx.protocol);
      return { error, outcome: error.code };
    }
    if (service.verifiesSignatures && auth.signingKey && credentials.signature) {
      const verdict = await verifySignature(
        credentials.request,
        credentials.signature,
        { accessKeyId: credentials.signature.accessKeyId, ...auth.signingKey },
        new Date(),
      );
      if (!verdict.ok) {
        const error = authError("badSignature", service, ctx.protocol, verdict.message);
        return { error, outcome: error.code };
      }
    }
    const denied = await this.authorize(service, operation, params, { ...ctx, caller: auth.caller });
    return denied ? { error: denied, outcome: "AccessDenied" } : { caller: auth.caller };
  }

  /** With enforcement on: the IAM simulator's verdict; off: only an explicit deny (a deny fault) refuses. */
  async authorize(
    service: ServiceDefinition,
    operation: string,
    params: ParamReader,
    ctx: RequestContext,
  ): Promise<ApiError | undefined> {
    if (!this.iam.enforced && !this.iam.hasDenies) return undefined;
    const action = iamActionOf(service, operation);
    const { resources, context } = await this.resourcesOf(service, operation, params, ctx, action);
    for (const resource of resources) {
      const e = await this.evaluate(ctx.caller, action, resource, {
        "aws:RequestedRegion": ctx.region,
        ...context,
      });
      if (e.decision === "allowed") continue;
      if (!this.iam.enforced && e.decision !== "explicitDeny") continue;
      return authError(
        "accessDenied",
        service,
        ctx.protocol,
        accessDeniedMessage(ctx.caller.arn, action, resource, e),
      );
    }
    return undefined;
  }

  /**
   * One decision for a caller, as enforcement makes it: the caller's identity policies (while
   * enforcement is off: allow-all, except the deny faults) and the resource's own policy (a
   * role's trust policy).
   */
  evaluate(
    caller: Caller,
    action: string,
    resource: string,
    context: Record<string, string | string[]> = {},
  ): Promise<Evaluation> {
    const entityArn = caller.entity?.arn;
    let identityPolicies: NamedPolicy[];
    if (this.iam.enforced) identityPolicies = entityArn ? this.iam.identityPolicies(entityArn) : [];
    else {
      const deny = this.iam.denyPolicy(entityArn);
      identityPolicies = deny ? [ENFORCEMENT_OFF, deny] : [ENFORCEMENT_OFF];
    }
    const resourceAccount = this.ownerOf(resource, caller);
    const resourcePolicy = this.iam.resourcePolicy(resource, resourceAccount);
    return this.authorizer.evaluate(
      {
        principalArn: caller.arn,
        identityPolicies,
        action,
        resource,
        resourceAccount,
        ...(resourcePolicy ? { resourcePolicy } : {}),
        context,
      },
      this.iam.version,
    );
  }

  /**
   * Whose resource it is: the account its ARN names; S3 buckets and Route 53 zones name none
   * (`arn:aws:s3:::b`): they are the workload account's; `*` and patterns are the caller's own.
   */
  private ownerOf(resource: string, caller: Caller): string {
    const named = ownerOf(resource);
    if (named) return named;
    return resource !== "*" && accountOf(resource) === "" ? this.iam.accounts.workload : caller.account;
  }

  private async resourcesOf(
    service: ServiceDefinition,
    operation: string,
    params: ParamReader,
    ctx: RequestContext,
    action: string,
  ): Promise<{ resources: string[]; context: Record<string, string | string[]> }> {
    const resolver = service.iam?.resources?.[operation];
    if (!resolver || (await isWildcardOnly(action))) return { resources: ["*"], context: {} };
    const named = resolver(params, ctx);
    const { resources, context = {} } = Array.isArray(named) ? { resources: named } : named;
    const unique = [...new Set(resources)];
    return { resources: unique.length > 0 ? unique : ["*"], context };
  }
}
