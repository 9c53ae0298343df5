import { z } from "zod";
import { SdkModuleMissingError, sdkModuleSync } from "../aws/sdk-modules.js";
import { allow, isArn, isArnOf, isKnown, regionsOf } from "./arn.js";
import { iamAction, isIamService } from "./iam-data.js";
import type { Permission } from "./permission.js";

/**
 * The permissions of `aws.call` and `aws.assert`, derived from service and command: the IAM
 * prefix is the SDK client's SigV4 signing name (as iam-data knows the service), the action is
 * the operation's name when IAM has an action of that name. Where IAM names it otherwise (S3's
 * `GetBucketReplication` is `s3:GetReplicationConfiguration`), the step says so with
 * `iamActions`; `runbook validate` asks for it. Resources are `*` unless `iamResources` narrows
 * them or the input holds ARNs of a resource type the action is scoped to.
 */

export const IamActions = z
  .array(z.string().regex(/^[a-z0-9-]+:[A-Za-z0-9]+$/, "an IAM action, <service prefix>:<Action>"))
  .min(1)
  .describe(
    "The IAM actions this operation needs, when IAM does not name one after it (S3 GetBucketReplication: [s3:GetReplicationConfiguration])",
  );
export const IamResources = z
  .array(z.string().min(1))
  .min(1)
  .describe(
    "The resource ARNs (patterns with *) to grant those actions on (default: ARNs in the input, else *)",
  );

/** What a step may say about an operation's IAM needs. */
export interface IamOverride {
  iamActions?: string[] | undefined;
  iamResources?: string[] | undefined;
}

/** An SDK client whose service IAM does not know under its signing name or service id. */
export class NoIamServiceError extends Error {}

const prefixes = new Map<string, string>();

/**
 * The IAM service prefix of `@aws-sdk/client-<service>`: its SigV4 signing name (`monitoring`
 * for CloudWatch, `states` for Step Functions, `events` for EventBridge) when IAM has a service
 * of that name, else its service id squeezed (`CloudWatch` → `cloudwatch`).
 */
export function iamPrefixOf(service: string, runbookDir?: string): string {
  const key = `${runbookDir ?? ""}|${service}`;
  const known = prefixes.get(key);
  if (known) return known;
  const mod = sdkModuleSync(service, runbookDir);
  // Building a client reads its configuration only: nothing is sent, no credentials are looked for.
  const client = new mod.Client({ region: "us-east-1" }) as unknown as {
    config: { defaultSigningName?: string; serviceId?: string };
    destroy(): void;
  };
  const { defaultSigningName, serviceId } = client.config;
  client.destroy();
  const candidates = [defaultSigningName, serviceId?.toLowerCase().replace(/[\s-]/g, "")].filter(
    (c): c is string => Boolean(c),
  );
  const prefix = candidates.find(isIamService);
  if (!prefix)
    throw new NoIamServiceError(
      `IAM knows no service "${candidates.join('" or "')}" (the signing name of ${mod.packageName}): name the actions with iamActions`,
    );
  prefixes.set(key, prefix);
  return prefix;
}

/** One operation's permissions (`iamActions`, else `<prefix>:<Operation>`), in `region`. */
export function operationPermissions(
  service: string,
  op: { command: string; input?: unknown } & IamOverride,
  region: unknown,
  runbookDir?: string,
): Permission[] {
  const actions = op.iamActions ?? [defaultAction(service, op.command, runbookDir)];
  return actions.map((action) => {
    const renamed = action.split(":")[1]?.toLowerCase() !== op.command.toLowerCase();
    return allow(
      action,
      op.iamResources ?? arnsInInput(action, op.input),
      regionsOf(region),
      renamed ? op.command : undefined,
    );
  });
}

function defaultAction(service: string, command: string, runbookDir?: string): string {
  const action = `${iamPrefixOf(service, runbookDir)}:${command}`;
  const info = iamAction(action);
  if (!info)
    throw new Error(
      `IAM has no action ${action}: say which actions ${service} ${command} needs with iamActions`,
    );
  return info.action;
}

/** ARNs in the input that are of a resource type the action is scoped to (else `*`). */
function arnsInInput(action: string, input: unknown): string[] {
  const info = iamAction(action);
  if (!info || info.wildcardOnly) return ["*"];
  const [service] = action.split(":");
  const found = literalArns(input).filter((arn) =>
    info.resourceTypes.some((t) => isArnOf(arn, service!, t.name)),
  );
  return found.length ? found : ["*"];
}

function literalArns(value: unknown): string[] {
  if (isArn(value)) return [value];
  if (Array.isArray(value)) return value.flatMap(literalArns);
  if (value && typeof value === "object") return Object.values(value).flatMap(literalArns);
  return [];
}

type Report = (path: (string | number)[], message: string) => void;

/**
 * `runbook validate`: an operation IAM has no action of the same name must say its actions;
 * the actions said must exist. `at` is where the operation is written (`[]`, `["waitFor"]`).
 */
export function validateIam(
  service: string,
  op: { command: string } & IamOverride,
  report: Report,
  at: (string | number)[],
  runbookDir?: string,
): void {
  if (op.iamActions) {
    op.iamActions.forEach((action, i) => {
      if (!iamAction(action))
        report(
          [...at, "iamActions", i],
          `IAM has no action ${action} (AWS's Service Authorization Reference lists each service's actions)`,
        );
    });
  } else {
    let prefix: string;
    try {
      // An operation the client does not have is reported where `command` is checked.
      if (!sdkModuleSync(service, runbookDir).operations.includes(op.command)) return;
      prefix = iamPrefixOf(service, runbookDir);
    } catch (err) {
      // A missing client package is reported where `service` is checked.
      if (err instanceof SdkModuleMissingError) return;
      if (!(err instanceof NoIamServiceError)) throw err;
      report([...at, "command"], err.message);
      return;
    }
    if (!iamAction(`${prefix}:${op.command}`))
      report(
        [...at, "command"],
        `IAM has no action ${prefix}:${op.command}: say which IAM actions ${op.command} needs with iamActions (AWS's Service Authorization Reference for ${prefix} lists them)`,
      );
  }
  op.iamResources?.forEach((resource, i) => {
    if (isKnown(resource) && resource !== "*" && !resource.startsWith("arn:"))
      report([...at, "iamResources", i], `"${resource}" is not an ARN (arn:…) nor *`);
  });
}
