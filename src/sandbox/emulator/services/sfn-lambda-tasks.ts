import { sdkModuleSync } from "../../../aws/sdk-modules.js";
import type { RoleCredentials } from "./service-role-sessions.js";
import { sdkError } from "./sfn-sdk-dispatch.js";
import { TaskError } from "./sfn-task-error.js";

/**
 * Lambda Tasks (`arn:aws:states:::lambda:invoke[.waitForTaskToken]`, or a function ARN):
 * the function is invoked through the real Lambda client, at the emulator, as the state
 * machine's role, so the call is authorised (lambda:InvokeFunction) and logged as Step
 * Functions' own would be. A function error fails the Task with the function's errorType as
 * the error and its error object (JSON) as the cause, as Step Functions reports it.
 */

export interface LambdaCall {
  functionName: string;
  payload: unknown;
  invocationType: "RequestResponse" | "Event";
  region: string;
  endpoint: string;
  credentials: () => Promise<RoleCredentials>;
  signal: AbortSignal;
}

export interface LambdaResult {
  statusCode: number;
  executedVersion: string | undefined;
  requestId: string | undefined;
  /** The function's result, parsed when it is JSON. */
  payload: unknown;
}

export async function invokeLambda(call: LambdaCall): Promise<LambdaResult> {
  const mod = sdkModuleSync("lambda");
  // Fetched first: a role Step Functions cannot assume fails the Task as such, not as a network error.
  const credentials = await call.credentials();
  const client = new mod.Client({
    region: call.region,
    endpoint: call.endpoint,
    credentials,
    maxAttempts: 1,
    // A function may run for its whole timeout (up to 15 min): no client-side cut-off.
    requestHandler: { requestTimeout: 0 },
  });
  try {
    const Invoke = mod.command("Invoke");
    const send = client.send as (command: unknown, options: { abortSignal: AbortSignal }) => Promise<unknown>;
    const out = (await send.call(
      client,
      new Invoke({
        FunctionName: call.functionName,
        InvocationType: call.invocationType,
        Payload: new TextEncoder().encode(JSON.stringify(call.payload ?? {})),
      }),
      { abortSignal: call.signal },
    )) as {
      StatusCode?: number;
      FunctionError?: string;
      ExecutedVersion?: string;
      Payload?: Uint8Array;
      $metadata?: { requestId?: string };
    };
    const text = out.Payload ? new TextDecoder().decode(out.Payload) : "";
    const payload = parse(text);
    if (out.FunctionError) {
      const type = (payload as { errorType?: unknown } | null)?.errorType;
      throw new TaskError(typeof type === "string" && type ? type : "Lambda.Unknown", text);
    }
    return {
      statusCode: out.StatusCode ?? 200,
      executedVersion: out.ExecutedVersion,
      requestId: out.$metadata?.requestId,
      payload,
    };
  } catch (error) {
    throw sdkError(error, "Lambda");
  } finally {
    client.destroy();
  }
}

function parse(text: string): unknown {
  if (text === "") return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** What `lambda:invoke` returns to the state (what its ResultSelector reads). */
export function invokeOutput(r: LambdaResult): Record<string, unknown> {
  return {
    ExecutedVersion: r.executedVersion ?? "$LATEST",
    Payload: r.payload,
    SdkHttpMetadata: { HttpStatusCode: r.statusCode },
    SdkResponseMetadata: { RequestId: r.requestId },
    StatusCode: r.statusCode,
  };
}
