import { ApiError } from "../errors.js";
import { newRole } from "../iam/iam-entities.js";
import type { IamModel, IamRole } from "../iam/iam-model.js";
import type { ParamReader } from "../params.js";
import type { OperationHandler, RequestContext } from "../service.js";
import { parsePolicy } from "./iam-simulation.js";

/**
 * IAM roles through the API, what `runbook deploy` needs for a state machine's and its
 * functions' roles: CreateRole (with its trust policy, validated as one), UpdateAssumeRolePolicy,
 * DeleteRole (refused while it has inline policies, as IAM does). A role trusting
 * `states.amazonaws.com` or `lambda.amazonaws.com` is one the sandbox's Step Functions or
 * Lambda can assume (service-role-sessions.ts). Roles made here survive `iam reset`.
 */

const NAME = /^[\w+=,.@-]{1,64}$/;

export function roleOperations(
  iam: IamModel,
  role: (ctx: RequestContext, name: string) => IamRole,
  render: (r: IamRole) => Record<string, unknown>,
): Record<string, OperationHandler> {
  const roleName = (p: ParamReader) => {
    const name = p.string("RoleName");
    if (!NAME.test(name))
      throw new ApiError(
        "ValidationError",
        `1 validation error detected: Value '${name}' at 'roleName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+`,
        400,
      );
    return name;
  };
  return {
    CreateRole: async (p, ctx) => {
      const name = roleName(p);
      const path = p.optionalString("Path") ?? "/";
      if (path !== "/")
        throw new ApiError(
          "InvalidInput",
          `This sandbox's IAM keeps roles at the path / only, not ${path}`,
          400,
        );
      if (iam.role(ctx.caller.account, name))
        throw new ApiError("EntityAlreadyExists", `Role with name ${name} already exists.`, 409);
      const trust = await parsePolicy(p.string("AssumeRolePolicyDocument"), "trust");
      const maxSessionDuration = p.optionalNumber("MaxSessionDuration") ?? 3600;
      if (!Number.isInteger(maxSessionDuration) || maxSessionDuration < 3600 || maxSessionDuration > 43_200)
        throw new ApiError(
          "ValidationError",
          `1 validation error detected: Value '${maxSessionDuration}' at 'maxSessionDuration' failed to satisfy constraint: Member must have value between 3600 and 43200`,
          400,
        );
      const description = p.optionalString("Description");
      const r = newRole(ctx.caller.account, name, trust, {
        maxSessionDuration,
        ...(description !== undefined ? { description } : {}),
      });
      iam.addRole(r);
      return { Role: render(r) };
    },
    UpdateAssumeRolePolicy: async (p, ctx) => {
      const r = role(ctx, roleName(p));
      iam.setTrustPolicy(r, await parsePolicy(p.string("PolicyDocument"), "trust"));
      return {};
    },
    DeleteRole: (p, ctx) => {
      const r = role(ctx, roleName(p));
      if (r.policies.size > 0)
        throw new ApiError("DeleteConflict", "Cannot delete entity, must delete policies first.", 409);
      iam.removeRole(r);
      return {};
    },
  };
}
