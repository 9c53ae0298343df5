import type { ServiceDefinition } from "../service.js";

/**
 * STS (AWS Query): GetCallerIdentity, so preflight checks ("which account am I about to
 * fail over?") work. The caller is a user named after its access key, in the sandbox account.
 */
export function stsService(accountId: string): ServiceDefinition {
  return {
    name: "sts",
    query: { version: "2011-06-15", xmlns: "https://sts.amazonaws.com/doc/2011-06-15/", members: {} },
    errors: {
      missing: "MissingParameter",
      invalid: "InvalidParameterValue",
      unknownOperation: "InvalidAction",
      throttling: "Throttling",
    },
    mutating: new Set(),
    operations: {
      GetCallerIdentity: (_p, ctx) => {
        const user = ctx.accessKeyId ?? "anonymous";
        return {
          Arn: `arn:aws:iam::${accountId}:user/${user}`,
          UserId: user,
          Account: accountId,
        };
      },
    },
  };
}
