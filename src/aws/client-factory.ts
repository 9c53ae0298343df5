import type { AwsClientFactory, AwsClients } from "../executor.js";

/**
 * Builds AWS SDK v3 clients on first use and caches them per service, region and endpoint.
 * Each SDK package is imported only when a step needs it (~125 ms each), never at start-up.
 * Credentials come from the SDK's standard chain; endpoints from `endpoints` (an
 * environment file) or the SDK's own AWS_ENDPOINT_URL_<SERVICE> variables.
 */

const PACKAGES: Record<string, { pkg: string; client: string }> = {
  rds: { pkg: "@aws-sdk/client-rds", client: "RDSClient" },
  sts: { pkg: "@aws-sdk/client-sts", client: "STSClient" },
  cloudwatch: { pkg: "@aws-sdk/client-cloudwatch", client: "CloudWatchClient" },
  sfn: { pkg: "@aws-sdk/client-sfn", client: "SFNClient" },
  "secrets-manager": { pkg: "@aws-sdk/client-secrets-manager", client: "SecretsManagerClient" },
  "route53-recovery-cluster": {
    pkg: "@aws-sdk/client-route53-recovery-cluster",
    client: "Route53RecoveryClusterClient",
  },
};

export interface ClientFactoryOptions {
  /** Service → endpoint URL, e.g. from environments/sandbox.yaml. */
  endpoints?: Record<string, string>;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  maxAttempts?: number;
}

type Destroyable = { destroy(): void };

export function createClientFactory(
  options: ClientFactoryOptions = {},
): AwsClientFactory & { destroy(): void } {
  const cache = new Map<string, Promise<Destroyable>>();
  return {
    client<K extends keyof AwsClients>(
      service: K,
      region: string,
      o: { endpoint?: string; requestTimeoutMs?: number } = {},
    ): Promise<AwsClients[K]> {
      const spec = PACKAGES[service];
      if (!spec)
        throw new Error(
          `no AWS client for service "${service}" (known: ${Object.keys(PACKAGES).join(", ")})`,
        );
      const endpoint = o.endpoint ?? options.endpoints?.[service];
      const key = `${service}|${region}|${endpoint ?? ""}|${o.requestTimeoutMs ?? ""}`;
      let client = cache.get(key);
      if (!client) {
        client = import(spec.pkg).then((mod: Record<string, new (c: unknown) => Destroyable>) => {
          const Ctor = mod[spec.client]!;
          return new Ctor({
            region,
            // The SDK's standard strategy absorbs a throttled or 5xx call with jittered backoff
            // (a rejected call did not happen, so repeating it is safe); anything longer is the
            // runbook's retry: policy. Per-endpoint ARC calls try once: the next endpoint is the retry.
            maxAttempts: options.maxAttempts ?? (o.requestTimeoutMs ? 1 : 3),
            ...(endpoint ? { endpoint } : {}),
            ...(options.credentials ? { credentials: options.credentials } : {}),
            ...(o.requestTimeoutMs
              ? {
                  requestHandler: {
                    requestTimeout: o.requestTimeoutMs,
                    connectionTimeout: o.requestTimeoutMs,
                    // Without this the SDK only warns when a blackholed endpoint never answers.
                    throwOnRequestTimeout: true,
                  },
                }
              : {}),
          });
        });
        cache.set(key, client);
      }
      return client as unknown as Promise<AwsClients[K]>;
    },
    destroy() {
      for (const c of cache.values())
        c.then(
          (x) => x.destroy(),
          () => undefined,
        );
      cache.clear();
    },
  };
}
