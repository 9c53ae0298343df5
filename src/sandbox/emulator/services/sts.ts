import { ApiError } from "../errors.js";
import { accessDeniedMessage } from "../iam/iam-authorizer.js";
import type { RequestAuth } from "../iam/request-auth.js";
import type { ParamReader } from "../params.js";
import type { ServiceDefinition } from "../service.js";

/**
 * STS (AWS Query, `2011-06-15`): GetCallerIdentity answers for whoever signed the request
 * (an IAM user, an assumed-role session, or — enforcement off — a user named after an unknown
 * key); AssumeRole issues temporary credentials for a role whose trust policy, evaluated by the
 * IAM simulator with the caller and its `sts:ExternalId`, lets the caller in. Requests signed
 * with a key the sandbox knows must carry a valid signature (approvals rely on it), in the
 * Authorization header or presigned in the query string.
 */

const SESSION_NAME = /^[\w+=,.@-]*$/;
const EXTERNAL_ID = /^[\w+=,.@:/-]*$/;
const ROLE_ARN = /^arn:aws[\w-]*:iam::(\d{12}):role\/(?:[\w+=,.@-]+\/)*([\w+=,.@-]+)$/;
/** Role chaining: a session assuming another role may not ask for more than an hour. */
const CHAINED_MAX_SECONDS = 3600;

export function stsService(auth: RequestAuth): ServiceDefinition {
  const iam = auth.iam;
  return {
    name: "sts",
    query: {
      version: "2011-06-15",
      xmlns: "https://sts.amazonaws.com/doc/2011-06-15/",
      members: {},
    },
    errors: {
      missing: "ValidationError",
      invalid: "ValidationError",
      unknownOperation: "InvalidAction",
      throttling: "Throttling",
    },
    verifiesSignatures: true,
    iam: {
      resources: {
        // Without a RoleArn the handler answers STS's validation error.
        AssumeRole: (p) => ({
          resources: [p.optionalString("RoleArn") ?? "*"],
          context: assumeRoleContext(p),
        }),
      },
    },
    // AssumeRole issues credentials but changes nothing a runbook acts on: `check` may make it.
    mutating: new Set(),
    operations: {
      GetCallerIdentity: (_p, ctx) => ({
        Arn: ctx.caller.arn,
        UserId: ctx.caller.userId,
        Account: ctx.caller.account,
      }),
      AssumeRole: async (p, ctx) => {
        const { roleArn, sessionName, durationSeconds } = validate(p);
        const denied = new ApiError(
          "AccessDenied",
          accessDeniedMessage(ctx.caller.arn, "sts:AssumeRole", roleArn, {
            decision: "implicitDeny",
            matchedPolicies: [],
            missingContext: [],
            needsResourcePolicy: false,
          }),
          403,
        );
        // A role that does not exist is refused like one that does not trust the caller.
        const entity = iam.entity(roleArn);
        if (entity?.kind !== "role") throw denied;
        // Enforcement on has already asked the same question (identity and trust policy); off,
        // the trust policy still decides, as in AWS.
        const e = await auth.evaluate(ctx.caller, "sts:AssumeRole", roleArn, assumeRoleContext(p));
        if (e.decision !== "allowed") throw denied;
        if (durationSeconds > entity.maxSessionDuration)
          throw validation("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.");
        if (ctx.caller.session && durationSeconds > CHAINED_MAX_SECONDS)
          throw validation(
            "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.",
          );
        const session = iam.issueSession(entity, sessionName, durationSeconds, ctx.caller.arn, new Date());
        return {
          Credentials: {
            AccessKeyId: session.accessKeyId,
            SecretAccessKey: session.secretAccessKey,
            SessionToken: session.sessionToken,
            Expiration: session.expiresAt,
          },
          AssumedRoleUser: { AssumedRoleId: session.assumedRoleId, Arn: session.arn },
        };
      },
    },
  };
}

function assumeRoleContext(p: ParamReader): Record<string, string> {
  const externalId = p.optionalString("ExternalId");
  const sessionName = p.optionalString("RoleSessionName");
  return {
    ...(externalId === undefined ? {} : { "sts:ExternalId": externalId }),
    ...(sessionName === undefined ? {} : { "sts:RoleSessionName": sessionName }),
  };
}

/** AssumeRole's parameters, refused as STS words it ("1 validation error detected: Value … at 'roleSessionName' …"). */
function validate(p: ParamReader): { roleArn: string; sessionName: string; durationSeconds: number } {
  const problems: string[] = [];
  const text = (
    name: string,
    member: string,
    min: number,
    max: number,
    pattern?: RegExp,
    required = true,
  ) => {
    const v = p.optionalString(name);
    if (v === undefined) {
      if (required)
        problems.push(`Value null at '${member}' failed to satisfy constraint: Member must not be null`);
      return v;
    }
    if (v.length < min)
      problems.push(
        `Value '${v}' at '${member}' failed to satisfy constraint: Member must have length greater than or equal to ${min}`,
      );
    if (v.length > max)
      problems.push(
        `Value '${v}' at '${member}' failed to satisfy constraint: Member must have length less than or equal to ${max}`,
      );
    if (pattern && !pattern.test(v))
      problems.push(
        `Value '${v}' at '${member}' failed to satisfy constraint: Member must satisfy regular expression pattern: ${pattern.source.slice(1, -1)}`,
      );
    return v;
  };
  const roleArn = text("RoleArn", "roleArn", 20, 2048);
  const sessionName = text("RoleSessionName", "roleSessionName", 2, 64, SESSION_NAME);
  text("ExternalId", "externalId", 2, 1224, EXTERNAL_ID, false);
  const duration = p.optionalNumber("DurationSeconds") ?? 3600;
  if (duration < 900)
    problems.push(
      `Value '${duration}' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900`,
    );
  if (duration > 43_200)
    problems.push(
      `Value '${duration}' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to 43200`,
    );
  if (problems.length > 0)
    throw validation(
      `${problems.length} validation error${problems.length > 1 ? "s" : ""} detected: ${problems.join("; ")}`,
    );
  if (!roleArn || !sessionName || !ROLE_ARN.test(roleArn)) throw validation(`${roleArn} is invalid`);
  return { roleArn, sessionName, durationSeconds: duration };
}

function validation(message: string): ApiError {
  return new ApiError("ValidationError", message, 400);
}
