import type { AwsClientFactory, AwsClients, SdkClient } from "../executor.js";
import { clientClassOf, isLinkedSdkModule, loadSdkModule } from "./sdk-modules.js";
import { shapeInput } from "./sdk-operation.js";
import { operationShapes } from "./sdk-shapes.js";

/**
 * Builds AWS SDK v3 clients on first use and caches them per service, region and endpoint.
 * Each SDK package is imported only when a step needs it (~125 ms each), never at start-up.
 * A service is named after its package, `@aws-sdk/client-<service>` (`ecs`, `route-53`,
 * `secrets-manager`); any installed client works. Credentials come from the SDK's standard
 * chain; endpoints from `endpoints` (an environment file: per service, or `*` for all) or
 * the SDK's own AWS_ENDPOINT_URL_<SERVICE> variables.
 */

export interface ClientFactoryOptions {
  /** Service → endpoint URL, e.g. from environments/sandbox.yaml; `*` for every service. */
  endpoints?: Record<string, string>;
  /** Static keys (the sandbox), or a provider the SDK calls before signing (an assumed role's session). */
  credentials?: StaticCredentials | CredentialProvider;
  maxAttempts?: number;
  /** Where the runbooks live: an `@aws-sdk/client-*` installed there is found first. */
  projectDir?: string;
  /** Sees every command sent, before it is signed (tests: each call must be a declared permission). */
  onCommand?: (service: string, operation: string, region: string) => void;
}

type Destroyable = SdkClient & { destroy(): void };

export interface StaticCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  expiration?: Date;
}
export type CredentialProvider = () => Promise<StaticCredentials>;

/** The clients of an environment: its endpoints (the sandbox's emulator) and credentials (the sandbox's keys). */
export function environmentClientFactory(env: {
  aws: { endpoints: Record<string, string>; credentials?: StaticCredentials };
}): AwsClientFactory & { destroy(): void } {
  return createClientFactory({
    endpoints: env.aws.endpoints,
    ...(env.aws.credentials ? { credentials: env.aws.credentials } : {}),
  });
}

export function createClientFactory(
  options: ClientFactoryOptions = {},
): AwsClientFactory & { destroy(): void } {
  const cache = new Map<string, Promise<Destroyable>>();
  /**
   * `flavor`: the typed executors import their Command classes from the package's ES module, so
   * their clients come from it too (one copy loaded); `call()` uses the CommonJS build that
   * validation already loaded to read the operation schemas.
   */
  const sdk = (
    flavor: "esm" | "cjs",
    service: string,
    region: string,
    o: { endpoint?: string; requestTimeoutMs?: number } = {},
  ) => {
    const endpoint = o.endpoint ?? options.endpoints?.[service] ?? options.endpoints?.["*"];
    const key = `${flavor}|${service}|${region}|${endpoint ?? ""}|${o.requestTimeoutMs ?? ""}`;
    let client = cache.get(key);
    if (!client) {
      // A bundle links one build of each package (the Lambda runner): both flavours are that one.
      const Client =
        flavor === "cjs" || isLinkedSdkModule(service)
          ? loadSdkModule(service, options.projectDir).then((m) => m.Client)
          : import(`@aws-sdk/client-${service}`).then((m: Record<string, unknown>) =>
              clientClassOf(m, service),
            );
      client = Client.then((Ctor) => {
        return new Ctor({
          region,
          // The SDK's standard strategy absorbs a throttled or 5xx call with jittered backoff
          // (a rejected call did not happen, so repeating it is safe); anything longer is the
          // runbook's retry: policy. Per-endpoint ARC calls try once: the next endpoint is the retry.
          maxAttempts: options.maxAttempts ?? (o.requestTimeoutMs ? 1 : 3),
          ...(endpoint ? { endpoint } : {}),
          // A custom endpoint (the sandbox, a VPC endpoint) has no per-bucket DNS names.
          ...(endpoint && service === "s3" ? { forcePathStyle: true } : {}),
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
        }) as Destroyable;
      });
      const onCommand = options.onCommand;
      if (onCommand) client = client.then((c) => watchCommands(c, service, region, onCommand));
      cache.set(key, client);
    }
    return client;
  };
  return {
    client<K extends keyof AwsClients>(
      service: K,
      region: string,
      o: { endpoint?: string; requestTimeoutMs?: number } = {},
    ): Promise<AwsClients[K]> {
      return sdk("esm", service, region, o) as unknown as Promise<AwsClients[K]>;
    },
    async call(service, command, input, region, o = {}) {
      const [client, mod] = await Promise.all([
        sdk("cjs", service, region, o),
        loadSdkModule(service, options.projectDir),
      ]);
      const shapes = operationShapes(mod, command);
      if (!shapes) throw new Error(`${mod.packageName} has no operation ${command}`);
      const Command = mod.command(command);
      const shaped = shapeInput(input, shapes, `${service} ${command}`);
      return (await client.send(new Command(shaped))) as Record<string, unknown>;
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

/** A middleware that tells `onCommand` of each command sent (`DescribeGlobalClustersCommand` → `DescribeGlobalClusters`). */
function watchCommands<C extends Destroyable>(
  client: C,
  service: string,
  region: string,
  onCommand: NonNullable<ClientFactoryOptions["onCommand"]>,
): C {
  const stack = (client as unknown as { middlewareStack: MiddlewareStack }).middlewareStack;
  stack.add(
    (next, context) => (args) => {
      onCommand(service, String(context.commandName ?? "").replace(/Command$/, ""), region);
      return next(args);
    },
    { step: "initialize", name: "runbookOnCommand" },
  );
  return client;
}

interface MiddlewareStack {
  add(
    middleware: (
      next: (args: unknown) => Promise<unknown>,
      context: { commandName?: string },
    ) => (args: unknown) => Promise<unknown>,
    options: { step: "initialize"; name: string },
  ): void;
}
