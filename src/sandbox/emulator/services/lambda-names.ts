import { ApiError } from "../errors.js";
import type { RequestContext } from "../service.js";
import type { FunctionModel, LambdaState } from "./lambda-model.js";

/** How Lambda names functions in requests, and the errors it answers with (rest-json: `x-amzn-errortype`). */

/** Name, `123456789012:function:name` or the full ARN, each with an optional `:qualifier`. */
const FUNCTION_NAME =
  /^(?:arn:aws[a-zA-Z-]*:lambda:([a-z0-9-]+):(\d{12}):function:|(\d{12}):function:)?([a-zA-Z0-9_-]{1,64})(?::([a-zA-Z0-9$_-]{1,128}))?$/;

export const user = { fields: { Type: "User" } };

export const validation = (value: unknown, member: string, constraint: string) =>
  new ApiError(
    "ValidationException",
    `1 validation error detected: Value '${String(value)}' at '${member}' failed to satisfy constraint: ${constraint}`,
    400,
  );

export const invalidParameter = (message: string) =>
  new ApiError("InvalidParameterValueException", message, 400, user);

export const notFound = (message = "The resource you requested does not exist.") =>
  new ApiError("ResourceNotFoundException", message, 404, user);

/** The ARN a FunctionName names (in the call's region and account unless it says otherwise). */
export function functionArnOf(
  raw: string,
  ctx: RequestContext,
  accountId: string,
): { arn: string; version?: string } {
  const m = FUNCTION_NAME.exec(raw);
  if (!m)
    throw validation(
      raw,
      "functionName",
      "Member must satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?([a-zA-Z0-9-_\\.]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?",
    );
  const [, region = ctx.region, account = m[3] ?? accountId, , name = "", version] = m;
  return { arn: `arn:aws:lambda:${region}:${account}:function:${name}`, ...(version ? { version } : {}) };
}

/** The function a FunctionName names in the call's region (unqualified, or $LATEST). */
export function resolveFunction(
  state: LambdaState,
  accountId: string,
  raw: string,
  ctx: RequestContext,
  qualifier?: string,
): FunctionModel {
  const { arn, version: inName } = functionArnOf(raw, ctx, accountId);
  const version = inName ?? qualifier;
  const found = arn.split(":")[3] === ctx.region ? state.functions.get(arn) : undefined;
  if (!found || (version !== undefined && version !== "$LATEST"))
    throw notFound(`Function not found: ${arn}${version ? `:${version}` : ""}`);
  return found;
}

/** IAM resource of a request naming a function. */
export function functionResource(accountId: string) {
  return (p: { string(name: string): string }, ctx: RequestContext) => [
    functionArnOf(p.string("FunctionName"), ctx, accountId).arn,
  ];
}
