import type { AwsClientFactory, AwsClients } from "../executor.js";
import { isIamService } from "../iam/iam-data.js";
import { iamPrefixOf } from "../iam/sdk-permissions.js";

/**
 * The AWS calls one step makes, counted by IAM-style name (`rds:DescribeGlobalClusters`): the
 * step's outcome records them, an audit of what the step did, and what its IAM declaration
 * must cover. The clients stay the factory's cached ones; only `send` is seen on the way.
 */

export interface CallCounter {
  aws: AwsClientFactory;
  /** Calls sent so far, by name; empty when none. */
  calls(): Record<string, number>;
}

/**
 * `<IAM prefix>:<Operation>`: the prefix is the client's SigV4 signing name (or service id) when
 * IAM knows it, as src/iam derives declarations (`monitoring`, `states`, `route53`); else the
 * package's service name. The operation is the SDK's, which IAM names alike for all but a few
 * (S3's GetBucketReplication is s3:GetReplicationConfiguration).
 * TODO(lead): one place for this and src/iam's iamPrefixOf (it loads the CommonJS client to
 * read the same config; here the client at hand is read, so nothing more loads mid-failover).
 */
export function callName(
  service: string,
  operation: string,
  config?: { defaultSigningName?: string; serviceId?: string },
  projectDir?: string,
): string {
  return `${prefixOf(service, config, projectDir)}:${operation}`;
}

function prefixOf(
  service: string,
  config: { defaultSigningName?: string; serviceId?: string } | undefined,
  projectDir: string | undefined,
): string {
  if (config) {
    const candidates = [config.defaultSigningName, config.serviceId?.toLowerCase().replace(/[\s-]/g, "")];
    return candidates.find((c): c is string => Boolean(c) && isIamService(c!)) ?? service;
  }
  try {
    // `call()` already loaded this package's CommonJS build: reading its config costs nothing more.
    return iamPrefixOf(service, projectDir);
  } catch {
    return service;
  }
}

export function countCalls(factory: AwsClientFactory, projectDir?: string): CallCounter {
  const counts = new Map<string, number>();
  const add = (key: string) => counts.set(key, (counts.get(key) ?? 0) + 1);
  return {
    aws: {
      async client<K extends keyof AwsClients>(
        service: K,
        region: string,
        options?: { endpoint?: string; requestTimeoutMs?: number },
      ): Promise<AwsClients[K]> {
        const client = await factory.client(service, region, options);
        return new Proxy(client, {
          get(target, prop) {
            const value = Reflect.get(target, prop, target);
            if (prop !== "send" || typeof value !== "function") return value;
            // Paginators and waiters send through the client they are given: they are counted too.
            const config = (target as { config?: { defaultSigningName?: string; serviceId?: string } })
              .config;
            return (command: unknown, ...rest: unknown[]) => {
              add(callName(service, operationOf(command), config ?? {}));
              return (value as (...a: unknown[]) => unknown).call(target, command, ...rest);
            };
          },
        });
      },
      call(service, operation, input, region, options) {
        add(callName(service, operation, undefined, projectDir));
        return factory.call(service, operation, input, region, options);
      },
    },
    calls: () => Object.fromEntries([...counts].sort(([a], [b]) => a.localeCompare(b))),
  };
}

/** A Command's operation: from its schema (`[9, namespace, "DescribeGlobalClusters", …]`), else its class name. */
function operationOf(command: unknown): string {
  const schema = (command as { schema?: unknown })?.schema;
  if (Array.isArray(schema) && typeof schema[2] === "string") return schema[2];
  const ctor = (command as { constructor?: { name?: string } })?.constructor?.name ?? "Unknown";
  return ctor.replace(/Command$/, "");
}
