import { z } from "zod";
import type { EnvironmentRole } from "../../environment/aws-roles.js";
import type { Runbook } from "../../language/runbook.js";

/**
 * `config.json`, beside `index.mjs` in the functions' zip (the contract of issue 13): the
 * runbook's IR, the environment it was exported for and the manifest. Never credentials: the
 * functions call AWS with their own role's keys through the SDK's default chain.
 */

export interface FunctionEnvironment {
  name: string;
  kind: "prod" | "nonprod" | "sandbox";
  /** The environment's region (its STS, its identity). */
  region: string;
  /** The sandbox's endpoint overrides (per service, `*` for all); empty on AWS. */
  endpoints: Record<string, string>;
  /** Alias → account id. */
  accounts: Record<string, string>;
  roles: EnvironmentRole[];
  vars: Record<string, unknown>;
}

export interface FunctionConfig {
  runbookIr: Runbook;
  environment: FunctionEnvironment;
  /** The export's manifest.json; the functions read only the names below from it. */
  manifest: { stateMachineName?: string; region?: string; [key: string]: unknown };
}

const Config = z.object({
  runbookIr: z.object({
    name: z.string().min(1),
    steps: z.array(z.unknown()),
    onAbort: z.array(z.unknown()),
    abort: z.array(z.unknown()),
    inputs: z.record(z.string(), z.unknown()),
  }),
  environment: z.object({
    name: z.string().min(1),
    kind: z.enum(["prod", "nonprod", "sandbox"]),
    region: z.string().min(1),
    endpoints: z.record(z.string(), z.string()),
    accounts: z.record(z.string(), z.string()),
    roles: z.array(z.object({ account: z.string(), roleArn: z.string() })),
    vars: z.record(z.string(), z.unknown()),
  }),
  manifest: z.object({ stateMachineName: z.string().optional(), region: z.string().optional() }),
});

/** The bundled config, checked enough that a broken deploy fails on its first invocation with the field named. */
export function parseFunctionConfig(text: string, file = "config.json"): FunctionConfig {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`${file} is not JSON: ${(err as Error).message}`);
  }
  const parsed = Config.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`${file}: ${issue.path.join(".") || "(top)"}: ${issue.message}`);
  }
  return json as FunctionConfig;
}
