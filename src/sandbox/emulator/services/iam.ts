import { ApiError } from "../errors.js";
import type { NamedPolicy, PolicyDocument } from "../iam/iam-defaults.js";
import { type IamEntity, type IamRole, type IamUser, roleArn, userArn } from "../iam/iam-model.js";
import type { RequestAuth } from "../iam/request-auth.js";
import { pageOf } from "../pagination.js";
import type { ParamReader } from "../params.js";
import type { RequestContext, ServiceDefinition } from "../service.js";
import { roleOperations } from "./iam-roles.js";
import { parsePolicy, simulatePrincipalPolicy } from "./iam-simulation.js";

/**
 * IAM (AWS Query, `2010-05-08`; global, clients sign for us-east-1): the users and roles of the
 * caller's own account, their inline policies, and SimulatePrincipalPolicy. As in AWS, a call
 * sees only its own account (the recovery account's role exists for sessions of that account),
 * and policy documents come back URL-encoded.
 */

const NAME = /^[\w+=,.@-]+$/;
const UNKNOWN_KEY_POLICY: NamedPolicy = {
  name: "sandbox-unknown-key",
  policy: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] },
};
/** AWS's quotas on the inline policies of one principal (their JSON without whitespace). */
const INLINE_QUOTA = { user: 2048, role: 10_240 } as const;

export function iamService(auth: RequestAuth): ServiceDefinition {
  const iam = auth.iam;
  const user = (ctx: RequestContext, name: string): IamUser => {
    const u = iam.user(ctx.caller.account, name);
    if (!u) throw noSuchEntity(`The user with name ${name} cannot be found.`);
    return u;
  };
  const role = (ctx: RequestContext, name: string): IamRole => {
    const r = iam.role(ctx.caller.account, name);
    if (!r) throw noSuchEntity(`The role with name ${name} cannot be found.`);
    return r;
  };
  /** GetUser without UserName is the caller, which must then be a user. */
  const userName = (p: ParamReader, ctx: RequestContext): string => {
    const name = p.optionalString("UserName");
    if (name) return name;
    if (ctx.caller.session || !ctx.caller.arn.includes(":user/"))
      throw new ApiError(
        "ValidationError",
        "Must specify userName when calling with non-User credentials",
        400,
      );
    return ctx.caller.arn.slice(ctx.caller.arn.lastIndexOf("/") + 1);
  };
  const policyName = (p: ParamReader): string => {
    const name = p.string("PolicyName");
    if (!NAME.test(name) || name.length > 128)
      throw new ApiError(
        "ValidationError",
        `1 validation error detected: Value '${name}' at 'policyName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+`,
        400,
      );
    return name;
  };
  const put = async (entity: IamEntity, p: ParamReader) => {
    const name = policyName(p);
    const doc = await parsePolicy(p.string("PolicyDocument"));
    const others = [...entity.policies].filter(([n]) => n !== name).map(([, d]) => d);
    const size = [...others, doc].reduce((n, d) => n + JSON.stringify(d).length, 0);
    if (size > INLINE_QUOTA[entity.kind])
      throw new ApiError(
        "LimitExceeded",
        `Maximum policy size of ${INLINE_QUOTA[entity.kind]} bytes exceeded for ${entity.kind} ${entity.name}`,
        409,
      );
    iam.putPolicy(entity, name, doc);
    return {};
  };
  const get = (entity: IamEntity, p: ParamReader, key: "UserName" | "RoleName") => {
    const name = p.string("PolicyName");
    const doc = entity.policies.get(name);
    if (!doc) throw noSuchEntity(`The ${entity.kind} policy with name ${name} cannot be found.`);
    return { [key]: entity.name, PolicyName: name, PolicyDocument: encodePolicy(doc) };
  };
  const remove = (entity: IamEntity, p: ParamReader) => {
    const name = p.string("PolicyName");
    if (!entity.policies.has(name))
      throw noSuchEntity(`The ${entity.kind} policy with name ${name} cannot be found.`);
    iam.deletePolicy(entity, name);
    return {};
  };
  const list = (entity: IamEntity, p: ParamReader) => {
    const max = p.optionalNumber("MaxItems") ?? 100;
    const { page, next } = pageOf(
      [...entity.policies.keys()].sort(),
      p.optionalString("Marker"),
      max,
      () => new ApiError("InvalidInput", "Invalid Marker", 400),
    );
    return { PolicyNames: page, IsTruncated: next !== undefined, Marker: next };
  };
  const userArnOf = (p: ParamReader, ctx: RequestContext) => [userArn(ctx.caller.account, userName(p, ctx))];
  const roleArnOf = (p: ParamReader, ctx: RequestContext) => [
    roleArn(ctx.caller.account, p.string("RoleName")),
  ];
  const renderRole = (r: IamRole) => ({
    Path: "/",
    RoleName: r.name,
    RoleId: r.id,
    Arn: r.arn,
    CreateDate: r.createdAt,
    AssumeRolePolicyDocument: encodePolicy(r.trustPolicy),
    Description: r.description,
    MaxSessionDuration: r.maxSessionDuration,
  });

  return {
    name: "iam",
    query: { version: "2010-05-08", xmlns: "https://iam.amazonaws.com/doc/2010-05-08/", members: {} },
    errors: {
      missing: "ValidationError",
      invalid: "InvalidInput",
      unknownOperation: "InvalidAction",
      throttling: "Throttling",
    },
    iam: {
      resources: {
        SimulatePrincipalPolicy: (p) => [p.string("PolicySourceArn")],
        GetUser: userArnOf,
        PutUserPolicy: userArnOf,
        GetUserPolicy: userArnOf,
        DeleteUserPolicy: userArnOf,
        ListUserPolicies: userArnOf,
        GetRole: roleArnOf,
        CreateRole: roleArnOf,
        UpdateAssumeRolePolicy: roleArnOf,
        DeleteRole: roleArnOf,
        PutRolePolicy: roleArnOf,
        GetRolePolicy: roleArnOf,
        DeleteRolePolicy: roleArnOf,
        ListRolePolicies: roleArnOf,
      },
    },
    mutating: new Set([
      "PutUserPolicy",
      "PutRolePolicy",
      "DeleteUserPolicy",
      "DeleteRolePolicy",
      "CreateRole",
      "UpdateAssumeRolePolicy",
      "DeleteRole",
    ]),
    operations: {
      SimulatePrincipalPolicy: (p, ctx) => {
        const arn = p.string("PolicySourceArn");
        if (!/^arn:aws[\w-]*:iam::\d{12}:(user|role|group)\//.test(arn))
          throw new ApiError(
            "InvalidInput",
            `PolicySourceArn must be the ARN of an IAM user, group or role (a session's role: arn:aws:iam::<account>:role/<name>), got ${arn}`,
            400,
          );
        const entity = iam.entity(arn);
        if (entity && entity.account === ctx.caller.account)
          return simulatePrincipalPolicy(p, entity, iam.identityPolicies(arn), auth);
        // A key the sandbox does not know may do anything while enforcement is off: its own
        // simulation says so, so a permission check made with it passes, as its calls do.
        if (!iam.enforced && !ctx.caller.entity && ctx.caller.arn === arn)
          return simulatePrincipalPolicy(p, { arn, kind: "user" }, [UNKNOWN_KEY_POLICY], auth);
        const kind = arn.includes(":role/") ? "role" : "user";
        throw noSuchEntity(`The ${kind} with name ${arn.slice(arn.lastIndexOf("/") + 1)} cannot be found.`);
      },
      GetUser: (p, ctx) => {
        const u = user(ctx, userName(p, ctx));
        return {
          User: { Path: "/", UserName: u.name, UserId: u.id, Arn: u.arn, CreateDate: u.createdAt },
        };
      },
      GetRole: (p, ctx) => ({ Role: renderRole(role(ctx, p.string("RoleName"))) }),
      ...roleOperations(iam, role, renderRole),
      PutUserPolicy: (p, ctx) => put(user(ctx, p.string("UserName")), p),
      PutRolePolicy: (p, ctx) => put(role(ctx, p.string("RoleName")), p),
      GetUserPolicy: (p, ctx) => get(user(ctx, p.string("UserName")), p, "UserName"),
      GetRolePolicy: (p, ctx) => get(role(ctx, p.string("RoleName")), p, "RoleName"),
      DeleteUserPolicy: (p, ctx) => remove(user(ctx, p.string("UserName")), p),
      DeleteRolePolicy: (p, ctx) => remove(role(ctx, p.string("RoleName")), p),
      ListUserPolicies: (p, ctx) => list(user(ctx, p.string("UserName")), p),
      ListRolePolicies: (p, ctx) => list(role(ctx, p.string("RoleName")), p),
    },
  };
}

/** IAM returns policy documents URL-encoded (RFC 3986), as the AWS CLI's users never see. */
function encodePolicy(doc: PolicyDocument): string {
  return encodeURIComponent(JSON.stringify(doc));
}

function noSuchEntity(message: string): ApiError {
  return new ApiError("NoSuchEntity", message, 404);
}
