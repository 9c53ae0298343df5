import { isDeepStrictEqual } from "node:util";
import type { IAMClient } from "@aws-sdk/client-iam";
import type { LambdaClient } from "@aws-sdk/client-lambda";
import type { SFNClient } from "@aws-sdk/client-sfn";
import { isNotFound, planRole } from "./deploy-role.js";

/**
 * What `runbook deploy` puts in the recovery region, compared with what is there: each
 * resource is created, updated or left alone, so deploying twice changes nothing the second
 * time. The plan is computed first and shown; only then is anything changed.
 */

export interface DesiredRole {
  name: string;
  trust: object;
  policy: object;
}

export interface DesiredFunction {
  name: string;
  roleName: string;
  zip: Uint8Array;
  /** base64 sha256 of the zip, as Lambda reports CodeSha256. */
  sha256: string;
  environment: Record<string, string>;
  timeoutSeconds: number;
  memoryMb: number;
}

export interface DesiredDeployment {
  region: string;
  accountId: string;
  roles: DesiredRole[];
  functions: DesiredFunction[];
  stateMachine: { name: string; roleName: string; definition: object };
}

export type ChangeKind = "create" | "update" | "unchanged";

export interface PlannedChange {
  kind: ChangeKind;
  resource: "role" | "function" | "state machine";
  name: string;
  /** What differs (for updates), what it is (for creates). */
  detail: string;
  apply: () => Promise<void>;
}

export interface DeployClients {
  iam: IAMClient;
  lambda: LambdaClient;
  sfn: SFNClient;
}

export function roleArn(d: DesiredDeployment, name: string): string {
  return `arn:aws:iam::${d.accountId}:role/${name}`;
}

export async function planDeployment(d: DesiredDeployment, c: DeployClients): Promise<PlannedChange[]> {
  const changes: PlannedChange[] = [];
  for (const r of d.roles) changes.push(...(await planRole(r, c.iam)));
  for (const f of d.functions) changes.push(await planFunction(d, f, c.lambda));
  changes.push(await planStateMachine(d, c.sfn));
  return changes;
}

/** IAM is eventually consistent: a role created a moment ago may not be assumable by Lambda yet. */
async function withRolePropagation<T>(send: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await send();
    } catch (err) {
      const message = String((err as Error).message ?? "");
      const propagating =
        (err as { name?: string }).name === "InvalidParameterValueException" && /role|assume/i.test(message);
      if (!propagating || attempt >= 10) throw err;
      await new Promise((r) => setTimeout(r, Math.min(1000 * attempt, 5000)));
    }
  }
}

async function planFunction(
  d: DesiredDeployment,
  f: DesiredFunction,
  lambda: LambdaClient,
): Promise<PlannedChange> {
  const sdk = await import("@aws-sdk/client-lambda");
  const config = {
    FunctionName: f.name,
    Role: roleArn(d, f.roleName),
    Handler: "index.handler",
    // nodejs20.x reached its end of support in 2026; the bundle targets Node 20 syntax and runs on 22.
    Runtime: "nodejs22.x" as const,
    Timeout: f.timeoutSeconds,
    MemorySize: f.memoryMb,
    Environment: { Variables: f.environment },
  };
  const size = `${(f.zip.byteLength / 1024 / 1024).toFixed(1)} MiB`;
  let current: import("@aws-sdk/client-lambda").GetFunctionCommandOutput;
  try {
    current = await lambda.send(new sdk.GetFunctionCommand({ FunctionName: f.name }));
  } catch (err) {
    if (!isNotFound(err)) throw err;
    return {
      kind: "create",
      resource: "function",
      name: f.name,
      detail: `${size}, code ${f.sha256.slice(0, 12)}…`,
      apply: async () => {
        await withRolePropagation(() =>
          lambda.send(new sdk.CreateFunctionCommand({ ...config, Code: { ZipFile: f.zip }, Publish: false })),
        );
        await waitForFunction(lambda, f.name, "active");
      },
    };
  }
  const c = current.Configuration ?? {};
  const codeSame = c.CodeSha256 === f.sha256;
  const configSame =
    c.Role === config.Role &&
    c.Timeout === config.Timeout &&
    c.MemorySize === config.MemorySize &&
    c.Handler === config.Handler &&
    c.Runtime === config.Runtime &&
    isDeepStrictEqual(c.Environment?.Variables ?? {}, f.environment);
  if (codeSame && configSame)
    return { kind: "unchanged", resource: "function", name: f.name, detail: "", apply: async () => {} };
  return {
    kind: "update",
    resource: "function",
    name: f.name,
    detail: [codeSame ? "" : `code (${size}, ${f.sha256.slice(0, 12)}…)`, configSame ? "" : "configuration"]
      .filter(Boolean)
      .join(" and "),
    apply: async () => {
      if (!configSame) {
        const { FunctionName, Role, Handler, Runtime, Timeout, MemorySize, Environment } = config;
        await withRolePropagation(() =>
          lambda.send(
            new sdk.UpdateFunctionConfigurationCommand({
              FunctionName,
              Role,
              Handler,
              Runtime,
              Timeout,
              MemorySize,
              Environment,
            }),
          ),
        );
        await waitForFunction(lambda, f.name);
      }
      if (!codeSame) {
        await lambda.send(new sdk.UpdateFunctionCodeCommand({ FunctionName: f.name, ZipFile: f.zip }));
        await waitForFunction(lambda, f.name);
      }
    },
  };
}

/** A new function takes invocations once Active; a changed one takes the next change once its update is Successful. */
async function waitForFunction(
  lambda: LambdaClient,
  name: string,
  until: "active" | "updated" = "updated",
): Promise<void> {
  const sdk = await import("@aws-sdk/client-lambda");
  const waiter = until === "active" ? sdk.waitUntilFunctionActiveV2 : sdk.waitUntilFunctionUpdatedV2;
  await waiter({ client: lambda, maxWaitTime: 300, minDelay: 1, maxDelay: 5 }, { FunctionName: name });
}

async function planStateMachine(d: DesiredDeployment, sfn: SFNClient): Promise<PlannedChange> {
  const sdk = await import("@aws-sdk/client-sfn");
  const m = d.stateMachine;
  const arn = `arn:aws:states:${d.region}:${d.accountId}:stateMachine:${m.name}`;
  const definition = JSON.stringify(m.definition);
  const role = roleArn(d, m.roleName);
  const states = Object.keys((m.definition as { States?: object }).States ?? {}).length;
  let current: { definition?: string; roleArn?: string };
  try {
    current = await sfn.send(new sdk.DescribeStateMachineCommand({ stateMachineArn: arn }));
  } catch (err) {
    if (!isNotFound(err)) throw err;
    return {
      kind: "create",
      resource: "state machine",
      name: m.name,
      detail: `Standard, ${states} top-level states`,
      apply: async () => {
        await withRolePropagation(() =>
          sfn.send(
            new sdk.CreateStateMachineCommand({ name: m.name, definition, roleArn: role, type: "STANDARD" }),
          ),
        );
      },
    };
  }
  const definitionSame =
    current.definition !== undefined && isDeepStrictEqual(JSON.parse(current.definition), m.definition);
  const roleSame = current.roleArn === role;
  if (definitionSame && roleSame)
    return { kind: "unchanged", resource: "state machine", name: m.name, detail: "", apply: async () => {} };
  return {
    kind: "update",
    resource: "state machine",
    name: m.name,
    detail: [definitionSame ? "" : `definition (${states} top-level states)`, roleSame ? "" : "role"]
      .filter(Boolean)
      .join(" and "),
    apply: async () => {
      await sfn.send(new sdk.UpdateStateMachineCommand({ stateMachineArn: arn, definition, roleArn: role }));
    },
  };
}
