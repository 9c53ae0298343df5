import { readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { closest } from "../language/issues.js";

/**
 * The AWS SDK v3 client package of a service, `@aws-sdk/client-<service>`, loaded once.
 * One installed where the runbooks live (the project's own node_modules) is preferred, so a
 * team can use any service by installing its client; else the ones this tool ships. Loaded
 * with `require` (the packages' CommonJS build): synchronously, so `runbook validate` can read
 * the same module's operation schemas (`<Operation>$` exports) without going async.
 */

export interface SdkModule {
  service: string;
  packageName: string;
  /** Where it was found, for messages. */
  resolvedFrom: string;
  Client: new (
    config: Record<string, unknown>,
  ) => { send(command: unknown): Promise<unknown>; destroy(): void };
  /** The operations, by name (`UpdateService`), as the package exports `<Name>Command`. */
  operations: readonly string[];
  command(operation: string): new (input: unknown) => unknown;
  /** The operation's static schema (`[9, namespace, name, traits, input, output]`). */
  operationSchema(operation: string): unknown;
}

export class SdkModuleMissingError extends Error {
  constructor(
    readonly service: string,
    readonly packageName: string,
    installed: readonly string[] = [],
  ) {
    const hint = closest(service, installed);
    super(
      `no AWS SDK client for service "${service}"${hint ? ` (did you mean "${hint}"?)` : ""}: a service is named after its client package, @aws-sdk/client-<service>; to use ${packageName}, install it where your runbooks live: npm install ${packageName}`,
    );
  }
}

/** The `@aws-sdk/client-*` packages a runbook in `projectDir` can reach, by service name. */
export function installedServices(projectDir?: string): string[] {
  const found = new Set<string>(linked.keys());
  for (const req of [...(projectDir ? [createRequire(join(projectDir, "package.json"))] : []), ownRequire]) {
    for (const dir of req.resolve.paths("@aws-sdk/client-sts") ?? []) {
      try {
        for (const name of readdirSync(join(dir, "@aws-sdk")))
          if (name.startsWith("client-")) found.add(name.slice(7));
      } catch {
        // No @aws-sdk folder there.
      }
    }
  }
  return [...found].sort();
}

const loaded = new Map<string, SdkModule>();
const ownRequire = createRequire(import.meta.url);
/**
 * Client packages linked into a bundle that has no node_modules to resolve from (the Step
 * Functions runner's Lambda, src/stepfunctions/bundle): service → its exports, loaded on first use.
 */
const linked = new Map<string, () => Record<string, unknown>>();

export function linkSdkModules(loaders: Record<string, () => Record<string, unknown>>): void {
  for (const [service, load] of Object.entries(loaders)) linked.set(service, load);
}

export function isLinkedSdkModule(service: string): boolean {
  return linked.has(service);
}

export const SERVICE_NAME = /^[a-z0-9][a-z0-9-]*$/;

export function sdkModuleSync(service: string, projectDir?: string): SdkModule {
  const key = `${projectDir ?? ""}|${service}`;
  const cached = loaded.get(key);
  if (cached) return cached;
  const packageName = `@aws-sdk/client-${service}`;
  if (!SERVICE_NAME.test(service)) throw new SdkModuleMissingError(service, packageName);
  const link = linked.get(service);
  let exports: Record<string, unknown> | undefined = link?.();
  let resolvedFrom = link ? "the bundle" : "";
  const requires = [...(projectDir ? [createRequire(join(projectDir, "package.json"))] : []), ownRequire];
  for (const req of exports ? [] : requires) {
    let path: string;
    try {
      path = req.resolve(packageName);
    } catch {
      continue;
    }
    exports = req(path) as Record<string, unknown>;
    resolvedFrom = path;
    break;
  }
  if (!exports) throw new SdkModuleMissingError(service, packageName, installedServices(projectDir));
  const mod = describeModule(service, packageName, resolvedFrom, exports);
  loaded.set(key, mod);
  return mod;
}

/** The same, for callers already in async code (the client factory). */
export async function loadSdkModule(service: string, projectDir?: string): Promise<SdkModule> {
  return sdkModuleSync(service, projectDir);
}

function describeModule(
  service: string,
  packageName: string,
  resolvedFrom: string,
  exports: Record<string, unknown>,
): SdkModule {
  const Client = clientClassOf(exports, service);
  const operations = Object.keys(exports)
    .filter(
      (k) =>
        k.endsWith("Command") &&
        typeof exports[k] === "function" &&
        Array.isArray(exports[`${k.slice(0, -7)}$`]),
    )
    .map((k) => k.slice(0, -7))
    .sort();
  return {
    service,
    packageName,
    resolvedFrom,
    Client,
    operations,
    command(operation) {
      const c = exports[`${operation}Command`];
      if (typeof c !== "function") throw new Error(`${packageName} has no operation ${operation}`);
      return c as new (
        input: unknown,
      ) => unknown;
    },
    operationSchema(operation) {
      return exports[`${operation}$`];
    },
  };
}

/** The package's client class (`ECSClient`): the export named *Client whose prototype sends. */
export function clientClassOf(exports: Record<string, unknown>, service: string): SdkModule["Client"] {
  const isClass = (v: unknown): v is SdkModule["Client"] =>
    typeof v === "function" &&
    typeof (v as { prototype?: { send?: unknown } }).prototype?.send === "function";
  // `__Client` is smithy's base class, which every package also exports.
  const name = Object.keys(exports).find(
    (k) => k.endsWith("Client") && !k.startsWith("_") && isClass(exports[k]),
  );
  if (!name) throw new SdkModuleMissingError(service, `@aws-sdk/client-${service}`);
  return exports[name] as SdkModule["Client"];
}
