import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { UsageError, ValidationError } from "../errors.js";
import { parseBoundedTemplate } from "../language/bounded-template.js";
import { ExpressionError, findTemplates, renderDeep } from "../language/expressions.js";
import { issuesToDiagnostics } from "../language/issues.js";
import { keysAt } from "../language/schema-keys.js";
import { SourceMap } from "../language/source-map.js";
import { readSourceText } from "../language/source-text.js";
import { locateProjectFile } from "../project/project-config.js";
import { AccountsField, type EnvironmentRole, RolesField, resolveAccounts } from "./aws-roles.js";
import { ReconcileField, type ReconcileSettings, resolveReconcile } from "./reconcile-settings.js";

/**
 * An environment file says where a runbook runs: AWS region and endpoints, which accounts
 * it may touch, and the values (`vars`) that differ between production and the sandbox.
 * The same runbook file runs against AWS and against the sandbox; only `--env` differs.
 */

const Url = z.string().url();

export const EnvironmentDocument = z.strictObject({
  $schema: z.string().optional(),
  apiVersion: z.literal("runbook/v1"),
  kind: z.literal("Environment"),
  metadata: z.strictObject({
    name: z.string().regex(/^[a-z][a-z0-9-]*$/),
    description: z.string().optional(),
    environment: z.enum(["prod", "nonprod", "sandbox"]),
    accounts: z
      .array(z.string().regex(/^\d{12}$/))
      .min(1)
      .optional(),
  }),
  /** `sandbox`: endpoints, credentials, account and `${{ sandbox.* }}` values come from a running `runbook sandbox`. */
  from: z.literal("sandbox").optional(),
  aws: z
    .strictObject({
      region: z.string().min(1).optional(),
      endpoints: z.record(z.string(), Url).optional(),
      accounts: AccountsField.optional(),
      /** Roles the engine assumes (STS AssumeRole) for the steps that name their `account:`. */
      roles: RolesField.optional(),
    })
    .optional(),
  vars: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.unknown()).optional(),
  /** What `runbook reconcile` compares after a failover (the old primary vs the promoted database). */
  reconcile: ReconcileField.optional(),
});

export interface Environment {
  name: string;
  kind: "prod" | "nonprod" | "sandbox";
  file: string;
  sha256: string;
  accounts?: string[];
  aws: {
    region: string;
    endpoints: Record<string, string>;
    /** Only for the sandbox (dummy keys); real environments use the SDK's credential chain. */
    credentials?: { accessKeyId: string; secretAccessKey: string };
    /** Alias → account id (`aws.accounts`, rendered). */
    accounts: Record<string, string>;
    /** The roles to assume per account (and region), account ids resolved. */
    roles: EnvironmentRole[];
  };
  vars: Record<string, unknown>;
  /** Rendered `reconcile:` section (it may hold passwords: never journal it). */
  reconcile?: ReconcileSettings;
}

/** `--env sandbox` → environments/sandbox.yaml (or a path). */
export function loadEnvironment(
  arg: string,
  cwd: string,
  home: string,
  env: Record<string, string | undefined>,
): Environment {
  const { file, text, map, doc } = readEnvironmentFile(arg, cwd);
  let sandbox: Record<string, unknown> | undefined;
  if (doc.from === "sandbox") sandbox = readSandbox(home);
  return resolveEnvironment(file, text, map, doc, env, sandbox);
}

/** What kind of place an environment is (prod, nonprod, sandbox), without needing a running sandbox. */
export function environmentKind(arg: string, cwd: string): { name: string; kind: Environment["kind"] } {
  const { doc } = readEnvironmentFile(arg, cwd);
  return { name: doc.metadata.name, kind: doc.metadata.environment };
}

function readEnvironmentFile(arg: string, cwd: string) {
  const { path: file, lookedFor } = locateProjectFile(arg, cwd, "environments");
  if (!file)
    throw new UsageError(
      `no environment "${arg}": looked for ${lookedFor}`,
      "Environments live in environments/<name>.yaml (or pass a path)",
    );
  const text = readSourceText(file);
  const map = new SourceMap(file, text);
  const parsed = EnvironmentDocument.safeParse(map.value(), { reportInput: true });
  if (!parsed.success) {
    throw new ValidationError(
      issuesToDiagnostics(parsed.error.issues, map, [], (p) => keysAt(EnvironmentDocument, p)),
    );
  }
  // Rendered only when a command loads the environment: a broken expression is found now.
  const templated = [
    ...findTemplates(parsed.data.vars ?? {}, ["vars"]),
    ...findTemplates({ accounts: parsed.data.aws?.accounts, roles: parsed.data.aws?.roles }, ["aws"]),
    ...findTemplates(parsed.data.reconcile ?? {}, ["reconcile"]),
  ];
  const broken = templated.flatMap(({ path, text }) => {
    try {
      parseBoundedTemplate(text);
      return [];
    } catch (err) {
      if (!(err instanceof ExpressionError)) throw err;
      return [map.diagnostic(path, `${path.join(".")}: bad expression: ${err.message}`)];
    }
  });
  if (broken.length > 0) throw new ValidationError(broken);
  return { file, text, map, doc: parsed.data };
}

function resolveEnvironment(
  file: string,
  text: string,
  map: SourceMap,
  doc: z.infer<typeof EnvironmentDocument>,
  env: Record<string, string | undefined>,
  sandbox: Record<string, unknown> | undefined,
): Environment {
  const scope = { inputs: {}, steps: {}, env, vars: {}, ...(sandbox ? { sandbox } : {}) };
  const vars = renderDeep(doc.vars ?? {}, scope) as Record<string, unknown>;
  // Accounts and roles render like vars: a sandbox's second account and its role come from it.
  const { resolved, problems } = resolveAccounts(doc.aws, scope, map);
  if (problems.length > 0) throw new ValidationError(problems);
  const reconcile = doc.reconcile ? resolveReconcile(doc.reconcile, { ...scope, vars }, map) : undefined;
  const emulator = typeof sandbox?.emulator === "string" ? sandbox.emulator : undefined;
  const credentials = sandbox?.credentials as Environment["aws"]["credentials"];
  const accounts = doc.metadata.accounts ?? sandboxAccounts(sandbox);
  return {
    name: doc.metadata.name,
    kind: doc.metadata.environment,
    file,
    sha256: createHash("sha256").update(text).digest("hex"),
    ...(accounts ? { accounts } : {}),
    aws: {
      region: doc.aws?.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? "us-east-1",
      endpoints: {
        // The sandbox's emulator answers every service on one endpoint.
        ...(emulator ? { "*": emulator } : {}),
        ...doc.aws?.endpoints,
      },
      ...(credentials ? { credentials } : {}),
      accounts: resolved.accounts,
      roles: resolved.roles,
    },
    vars,
    ...(reconcile ? { reconcile } : {}),
  };
}

/** A sandbox allows its own accounts: the workload account, and the recovery account when it has one. */
function sandboxAccounts(sandbox: Record<string, unknown> | undefined): string[] | undefined {
  if (!sandbox) return undefined;
  const named =
    sandbox.accounts && typeof sandbox.accounts === "object" ? Object.values(sandbox.accounts) : [];
  const ids = [sandbox.accountId, ...named].filter((a): a is string => typeof a === "string");
  return ids.length ? [...new Set(ids)] : undefined;
}

function readSandbox(home: string): Record<string, unknown> {
  const path = join(home, "sandbox", "endpoints.json");
  if (!existsSync(path)) {
    throw new UsageError(
      "the sandbox is not running (no .runbook/sandbox/endpoints.json)",
      "Start it with: runbook sandbox up",
    );
  }
  try {
    const parsed: unknown = JSON.parse(readFileSync(path, "utf8"));
    if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw new Error("not an object");
    return parsed as Record<string, unknown>;
  } catch (err) {
    throw new UsageError(
      `the sandbox's ${path} is unreadable (${(err as Error).message})`,
      "Restart it: runbook sandbox down && runbook sandbox up",
    );
  }
}
