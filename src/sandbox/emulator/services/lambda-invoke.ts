import { ApiError } from "../errors.js";
import type { OperationHandler } from "../service.js";
import type { FunctionModel, LambdaState } from "./lambda-model.js";
import { invalidParameter, resolveFunction, user } from "./lambda-names.js";
import type { FunctionRuntime, InvocationResult, WorkerPools } from "./lambda-workers.js";
import { RoleAssumeError, type ServiceRoleSessions } from "./service-role-sessions.js";

/**
 * Lambda's Invoke: RequestResponse (the result, or `X-Amz-Function-Error: Unhandled` with the
 * error object as the payload), Event (202 at once, the function runs on; its errors go
 * nowhere, as with no destination configured) and DryRun (204). The function runs in a warm
 * worker (lambda-workers.ts) with its own environment variables, AWS_REGION,
 * AWS_LAMBDA_FUNCTION_NAME, … and its execution role's credentials from the sandbox's STS.
 */

export interface InvokeDeps {
  state: LambdaState;
  accountId: string;
  sessions: ServiceRoleSessions;
  workers: WorkerPools;
  /** Event invocations still running (the emulator waits for none of them, but kills their workers on close). */
  background: Set<Promise<unknown>>;
}

const MAX_SYNC_PAYLOAD = 6 * 1024 * 1024;
const MAX_EVENT_PAYLOAD = 1024 * 1024;

export function invokeOperation(deps: InvokeDeps): OperationHandler {
  return async (p, ctx) => {
    const f = resolveFunction(
      deps.state,
      deps.accountId,
      p.string("FunctionName"),
      ctx,
      p.optionalString("Qualifier"),
    );
    const type = p.optionalString("InvocationType") ?? "RequestResponse";
    if (!["RequestResponse", "Event", "DryRun"].includes(type))
      throw invalidParameter(`Unsupported InvocationType: ${type}`);
    const bytes = p.raw.Payload instanceof Uint8Array ? p.raw.Payload : new Uint8Array();
    const limit = type === "Event" ? MAX_EVENT_PAYLOAD : MAX_SYNC_PAYLOAD;
    if (bytes.byteLength > limit)
      throw new ApiError(
        "RequestTooLargeException",
        `Request must be smaller than ${limit} bytes for the Invoke operation`,
        413,
        user,
      );
    let event: unknown = {};
    const text = new TextDecoder().decode(bytes);
    if (text.trim() !== "") {
      try {
        event = JSON.parse(text);
      } catch (error) {
        throw new ApiError(
          "InvalidRequestContentException",
          `Could not parse request body into json: Could not parse payload into json: ${(error as Error).message}`,
          400,
          user,
        );
      }
    }
    if (!f.codeDir)
      throw invalidParameter(
        `The function ${f.name} has no code in this sandbox: it stands in for a function the topology describes`,
      );
    if (type === "DryRun") return { StatusCode: 204 };
    const runtime = await runtimeOf(f, deps.sessions);
    if (type === "Event") {
      const run = deps.workers.invoke(runtime, event, f.timeout).catch(() => undefined);
      deps.background.add(run);
      void run.finally(() => deps.background.delete(run));
      return { StatusCode: 202 };
    }
    const result = await deps.workers.invoke(runtime, event, f.timeout);
    return reply(result, p.optionalString("LogType") === "Tail");
  };
}

function reply(result: InvocationResult, tail: boolean) {
  const log = tail ? { LogResult: Buffer.from(result.log).toString("base64") } : {};
  const encode = (v: unknown) => new TextEncoder().encode(JSON.stringify(v ?? null));
  if ("error" in result)
    return {
      StatusCode: 200,
      ExecutedVersion: "$LATEST",
      FunctionError: "Unhandled",
      Payload: encode({
        errorType: result.error.errorType,
        errorMessage: result.error.errorMessage,
        trace: [],
      }),
      ...log,
    };
  return { StatusCode: 200, ExecutedVersion: "$LATEST", Payload: encode(result.payload), ...log };
}

/** The function as its worker runs it: its variables, Lambda's own, and its role's credentials. */
async function runtimeOf(f: FunctionModel, sessions: ServiceRoleSessions): Promise<FunctionRuntime> {
  let credentials: Awaited<ReturnType<ServiceRoleSessions["credentials"]>>;
  try {
    credentials = await sessions.credentials(f.role, "lambda.amazonaws.com", f.name, {
      account: f.arn.split(":")[4] ?? "",
      arn: f.arn,
    });
  } catch (error) {
    if (error instanceof RoleAssumeError)
      throw new ApiError(
        "InvalidParameterValueException",
        "The role defined for the function cannot be assumed by Lambda.",
        400,
        user,
      );
    throw error;
  }
  const now = Date.now();
  return {
    arn: f.arn,
    revision: f.revisionId,
    codeDir: f.codeDir as string,
    renewAt: now + (credentials.expiration.getTime() - now) / 2,
    env: {
      ...f.environment,
      PATH: "/usr/local/bin:/usr/bin:/bin",
      LANG: "en_US.UTF-8",
      TZ: "UTC",
      LAMBDA_TASK_ROOT: f.codeDir as string,
      _HANDLER: f.handler,
      AWS_EXECUTION_ENV: `AWS_Lambda_${f.runtime}`,
      AWS_LAMBDA_FUNCTION_NAME: f.name,
      AWS_LAMBDA_FUNCTION_VERSION: "$LATEST",
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(f.memorySize),
      AWS_REGION: f.region,
      AWS_DEFAULT_REGION: f.region,
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      AWS_SESSION_TOKEN: credentials.sessionToken,
    },
  };
}
