import { arnFormat, iamAction } from "./iam-data.js";
import type { Permission, PermissionScope } from "./permission.js";

/**
 * Building the resource ARNs of a declaration from AWS's ARN formats (iam-data) and a step's
 * params. A param still holding `${{ … }}` (an earlier step's output, an input not given) is
 * known only at run time: in an ARN it becomes `*`, so the statement still covers what the
 * run will touch.
 */

const TEMPLATE = "${{";
const SCOPE_VARIABLES = new Set(["Partition", "Region", "Account", "AccountId"]);

/** A value known now: a string without `${{ … }}`. */
export function isKnown(value: unknown): value is string {
  return typeof value === "string" && value !== "" && !value.includes(TEMPLATE);
}

/** A param as it can stand in an ARN: run-time values, missing ones and `*` become `*`. */
export function arnPart(value: unknown): string {
  if (typeof value === "number") return String(value);
  return isKnown(value) ? value : "*";
}

/**
 * A list param as a list: before rendering, `secretIds: "${{ vars.requiredSecrets }}"` is one
 * string standing for the whole list (it yields one `*`).
 */
export function listOf(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  return value === undefined ? [] : [value];
}

/** `arn:aws:…` already: a param that takes a name or an ARN was given the ARN. */
export function isArn(value: unknown): value is string {
  return isKnown(value) && value.startsWith("arn:");
}

export function partitionOf(region: string): string {
  if (region.startsWith("cn-")) return "aws-cn";
  if (region.startsWith("us-gov-")) return "aws-us-gov";
  return "aws";
}

/**
 * The ARN of `resourceType` in `service` (iam-data's format), its variables filled from
 * `values` (`{ GlobalCluster: "case-global" }`), the partition and account from the scope and
 * the region given; anything unknown is `*`.
 */
export function resourceArn(
  service: string,
  resourceType: string,
  values: Record<string, unknown>,
  scope: PermissionScope,
  region: unknown,
): string {
  return arnFormat(service, resourceType).replace(/\$\{([^}]+)\}/g, (_, name: string) => {
    if (name === "Partition") return scope.partition;
    if (name === "Region") return arnPart(region);
    if (name === "Account" || name === "AccountId") return arnPart(scope.account);
    return arnPart(values[name]);
  });
}

/** Does this literal ARN have the format of `service`'s `resourceType`? */
export function isArnOf(arn: string, service: string, resourceType: string): boolean {
  const pattern = arnFormat(service, resourceType)
    .split(/(\$\{[^}]+\})/)
    .map((part) => {
      const variable = /^\$\{([^}]+)\}$/.exec(part)?.[1];
      if (!variable) return part.replace(/[.*+?^$()|[\]\\{}]/g, "\\$&");
      return SCOPE_VARIABLES.has(variable) ? "[^:]*" : ".+";
    })
    .join("");
  return new RegExp(`^${pattern}$`).test(arn);
}

/** Regions a call goes to: the param's, `*` when known only at run time. */
export function regionsOf(...values: unknown[]): string[] {
  return [...new Set(values.map(arnPart))];
}

/**
 * One permission of a declaration. An action IAM does not know is a bug in the declaration
 * (a misspelling would grant nothing): it throws, and the executors' tests call every one.
 */
export function allow(
  action: string,
  resources: readonly string[],
  regions: readonly string[],
  operation?: string,
): Permission {
  const info = iamAction(action);
  if (!info) throw new Error(`IAM has no action ${action}`);
  // An empty list would grant nothing (or, read as `*`, everything): a declaration names at least `*`.
  if (resources.length === 0) throw new Error(`${action} is declared on no resource`);
  return {
    action: info.action,
    // Only `*` grants an action that no resource type scopes.
    resources: info.wildcardOnly ? ["*"] : [...new Set(resources)],
    regions: [...new Set(regions)],
    ...(operation ? { operation } : {}),
  };
}
