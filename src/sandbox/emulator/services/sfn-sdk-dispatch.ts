import { installedServices, sdkModuleSync } from "../../../aws/sdk-modules.js";
import { operationShapes } from "../../../aws/sdk-shapes.js";
import type { RoleCredentials } from "./service-role-sessions.js";
import {
  javaCase,
  javaExceptionName,
  toJavaOutput,
  toJsInput,
  UnknownFieldError,
} from "./sfn-java-casing.js";
import { runtimeError, TaskError } from "./sfn-task-error.js";

/**
 * `arn:aws:states:::aws-sdk:<service>:<action>` Tasks, served by the emulator's own services:
 * the call goes through the real `@aws-sdk/client-<service>` client (the command named after
 * the action), pointed at the emulator and signed with the state machine's role, so it is
 * authorised, logged and answered like any other call. Parameters and results are converted
 * between the Java SDK's casing, which Step Functions uses, and the JS SDK's; errors become
 * `<ServicePrefix>.<Name>Exception`, as Retry and Catch see them in Step Functions.
 */

export interface SdkTarget {
  /** The JS client package's service (`secrets-manager` for `aws-sdk:secretsmanager`). */
  service: string;
  operation: string;
}

const SDK_RESOURCE = /^arn:aws[\w-]*:states:::aws-sdk:([a-z0-9]+):([a-zA-Z0-9]+)$/;

const targets = new Map<string, SdkTarget>();

/** The client package and operation an aws-sdk resource names; a States.Runtime error if there is none here. */
export function sdkTarget(resource: string): SdkTarget | undefined {
  const known = targets.get(resource);
  if (known) return known;
  const m = SDK_RESOURCE.exec(resource);
  if (!m) return undefined;
  const [, name = "", action = ""] = m;
  const service = installedServices().find((s) => s.replace(/-/g, "") === name);
  if (!service)
    throw runtimeError(
      `The resource '${resource}' is not supported by this sandbox: no AWS SDK client for "${name}"`,
    );
  const operation = action.charAt(0).toUpperCase() + action.slice(1);
  if (!sdkModuleSync(service).operations.includes(operation))
    throw runtimeError(`The resource '${resource}' names no ${name} action "${action}"`);
  const target = { service, operation };
  targets.set(resource, target);
  return target;
}

export interface SdkCall {
  target: SdkTarget;
  region: string;
  parameters: unknown;
  endpoint: string;
  credentials: () => Promise<RoleCredentials>;
  signal: AbortSignal;
}

export async function callSdk(call: SdkCall): Promise<unknown> {
  const { target, region } = call;
  const mod = sdkModuleSync(target.service);
  const shapes = operationShapes(mod, target.operation);
  if (!shapes) throw runtimeError(`no schema for ${target.service} ${target.operation}`);
  // Fetched first: a role Step Functions cannot assume fails the Task as such, not as a network error.
  const credentials = await call.credentials();
  const client = new mod.Client({
    region,
    endpoint: call.endpoint,
    credentials,
    // Step Functions does not retry a Task's call: the state's Retry does.
    maxAttempts: 1,
    ...(target.service === "s3" ? { forcePathStyle: true } : {}),
  });
  const prefix = javaCase(
    String((client as { config?: { serviceId?: string } }).config?.serviceId ?? target.service),
  );
  try {
    if (target.service === "route53-recovery-cluster")
      // A Task has no endpoint field: it would call route53-recovery-cluster.<region>.amazonaws.com, which does not exist.
      throw new TaskError(
        `${prefix}.SdkClientException`,
        `Unable to execute HTTP request: route53-recovery-cluster.${region}.amazonaws.com: Name or service not known (ARC's data plane answers only at its cluster endpoints)`,
      );
    let input: unknown;
    try {
      input = toJsInput(call.parameters ?? {}, shapes.input);
    } catch (error) {
      if (error instanceof UnknownFieldError) throw runtimeError(error.message);
      throw error;
    }
    const Command = mod.command(target.operation);
    const send = client.send as (command: unknown, options: { abortSignal: AbortSignal }) => Promise<unknown>;
    const output = await send.call(client, new Command(input), { abortSignal: call.signal });
    return toJavaOutput(output, shapes.output) ?? {};
  } catch (error) {
    throw sdkError(error, prefix);
  } finally {
    client.destroy();
  }
}

/** An SDK error as Step Functions names it for Retry and Catch, with its usual cause text. */
export function sdkError(error: unknown, prefix: string): TaskError {
  if (error instanceof TaskError) return error;
  const e = error as {
    name?: string;
    message?: string;
    $metadata?: { httpStatusCode?: number; requestId?: string };
  };
  const status = e.$metadata?.httpStatusCode;
  if (status === undefined)
    return new TaskError(
      `${prefix}.SdkClientException`,
      `Unable to execute HTTP request: ${e.message ?? String(error)}`,
    );
  const generic =
    !e.name || ["Error", "UnknownError", `${prefix}ServiceException`, "ServiceException"].includes(e.name);
  const name = generic ? `${prefix}Exception` : javaExceptionName(e.name as string);
  return new TaskError(
    `${prefix}.${name}`,
    `${e.message ?? ""} (Service: ${prefix}, Status Code: ${status}, Request ID: ${e.$metadata?.requestId ?? "unknown"})`,
  );
}
