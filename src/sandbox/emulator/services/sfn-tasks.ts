import { RoleAssumeError, type RoleCredentials } from "./service-role-sessions.js";
import type { TaskDef } from "./sfn-definition.js";
import { invokeLambda, invokeOutput } from "./sfn-lambda-tasks.js";
import type { TaskHandler } from "./sfn-model.js";
import { callSdk, sdkTarget } from "./sfn-sdk-dispatch.js";
import { ROLE_NOT_ASSUMABLE, runtimeError, TaskError, TaskTimeout } from "./sfn-task-error.js";
import type { TaskTokens } from "./sfn-task-tokens.js";

/**
 * What every Task state of a machine runs, chosen by its Resource (the interpreter would
 * otherwise call real AWS): a handler a test registered for it, the emulator's Lambda
 * (`lambda:invoke`, `lambda:invoke.waitForTaskToken`, a function ARN), the emulator's own
 * services (`aws-sdk:<service>:<action>`); anything else fails with States.Runtime naming it.
 * Each attempt writes the Task events of Step Functions' history (TaskScheduled, TaskStarted,
 * TaskSubmitted, TaskSucceeded | TaskFailed | TaskTimedOut), never before the history holds
 * the TaskStateEntered (or retry) that started it.
 */

export interface TaskHost {
  region: string;
  executionArn: string;
  /** Stands in for `$$.Task.Token` in the context: replaced by each callback Task's own token. */
  tokenPlaceholder: string;
  /** Which attempt of the state this call is (1, 2, … across retries and re-entries). */
  nextAttempt(state: string): number;
  /** Resolves once the history holds the entry (or retry) that started this attempt. */
  started(state: string, attempt: number): Promise<void>;
  record(state: string, type: string, details: Record<string, unknown>): void;
  /** While an attempt runs: aborting its state (StopExecution, a failed sibling branch) cancels it. */
  track(state: string, cancel: () => void): () => void;
  tokens: TaskTokens;
  handlers: ReadonlyMap<string, TaskHandler>;
  credentials(): Promise<RoleCredentials>;
  endpoint(): string;
}

interface Attempt {
  resourceType: string;
  resource: string;
  parameters: unknown;
  execute(io: AttemptIo): Promise<unknown>;
}

interface AttemptIo {
  signal: AbortSignal;
  submitted(output: unknown): void;
  onEnd(cleanup: () => void): void;
}

const LAMBDA_INVOKE = /^arn:aws[\w-]*:states:::lambda:invoke(\.waitForTaskToken)?$/;
const FUNCTION_ARN = /^arn:aws[\w-]*:lambda:[a-z0-9-]+:\d{12}:function:[\w-]+(:[\w$-]+)?$/;

/** The interpreter's local handler for the Task state `name`. */
export function taskHandler(
  name: string,
  def: TaskDef,
  host: TaskHost,
): (input: unknown) => Promise<unknown> {
  return (input) => {
    // The attempt and its deadline are taken now, synchronously, before the interpreter sets its
    // own timer for the same TimeoutSeconds: ours fires first and writes TaskTimedOut, then the
    // interpreter's fails the state with its own States.Timeout (which States.TaskFailed must not match).
    const attempt = host.nextAttempt(name);
    const controller = new AbortController();
    const cleanups: (() => void)[] = [];
    let ended = false;
    let scheduled: Attempt | undefined;
    const end = () => {
      ended = true;
      clearTimeout(timer);
      untrack();
      controller.abort();
      for (const c of cleanups.splice(0)) c();
    };
    let abandon: (() => void) | undefined;
    const untrack = host.track(name, () => {
      if (ended) return;
      end();
      // The interpreter races this promise against its own TimeoutSeconds timer (a day for a
      // gate): an aborted Task must settle, or that timer outlives it and keeps the emulator up.
      abandon?.();
    });
    const timeoutMs = typeof def.TimeoutSeconds === "number" ? def.TimeoutSeconds * 1000 : undefined;
    const timer =
      timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            if (ended) return;
            if (scheduled)
              host.record(name, "TaskTimedOut", { ...ids(scheduled), error: "States.Timeout", cause: "" });
            end();
          }, timeoutMs);
    return new Promise((resolve, reject) => {
      abandon = () => reject(new TaskAbandoned());
      const run = async () => {
        await host.started(name, attempt);
        if (ended) return;
        const a = prepare(def, input, host);
        scheduled = a;
        host.record(name, "TaskScheduled", {
          ...ids(a),
          region: host.region,
          parameters: JSON.stringify(a.parameters ?? null),
          ...(typeof def.TimeoutSeconds === "number" ? { timeoutInSeconds: def.TimeoutSeconds } : {}),
          ...(typeof def.HeartbeatSeconds === "number" ? { heartbeatInSeconds: def.HeartbeatSeconds } : {}),
        });
        host.record(name, "TaskStarted", ids(a));
        const result = await a.execute({
          signal: controller.signal,
          submitted: (output) => {
            if (!ended) host.record(name, "TaskSubmitted", { ...ids(a), output: JSON.stringify(output) });
          },
          onEnd: (cleanup) => cleanups.push(cleanup),
        });
        if (ended) return;
        host.record(name, "TaskSucceeded", { ...ids(a), output: JSON.stringify(result ?? null) });
        end();
        resolve(result ?? null);
      };
      run().catch((error: unknown) => {
        if (ended) return; // timed out or aborted meanwhile: the interpreter has moved on
        const f = asTaskError(error);
        if (scheduled)
          host.record(name, f instanceof TaskTimeout ? "TaskTimedOut" : "TaskFailed", {
            ...ids(scheduled),
            error: f.name,
            cause: f.message,
          });
        end();
        reject(f);
      });
    });
  };
}

/** Settles a Task whose state was aborted: its branch is gone, so neither Retry nor Catch may take it. */
class TaskAbandoned extends Error {
  readonly isRetryable = false;
  readonly isCatchable = false;
  constructor() {
    super("the Task's state was aborted");
    this.name = "Sandbox.TaskAbandoned";
  }
}

const ids = (a: Attempt) => ({ resourceType: a.resourceType, resource: a.resource });

function asTaskError(error: unknown): TaskError {
  if (error instanceof TaskError) return error;
  if (error instanceof RoleAssumeError) return runtimeError(ROLE_NOT_ASSUMABLE);
  return runtimeError(`The emulator failed to run the Task: ${String(error)}`);
}

/** What one attempt calls, and the parameters its TaskScheduled event shows. */
function prepare(def: TaskDef, input: unknown, host: TaskHost): Attempt {
  const resource = def.Resource;
  const registered = host.handlers.get(resource);
  if (registered)
    return {
      resourceType: "lambda",
      resource,
      parameters: input,
      execute: async () => {
        try {
          return await registered(input);
        } catch (error) {
          const e = error as Error;
          const type = e?.name || "Error";
          throw new TaskError(
            type,
            JSON.stringify({ errorType: type, errorMessage: e?.message ?? String(error), trace: [] }),
          );
        }
      },
    };
  const lambda = LAMBDA_INVOKE.exec(resource);
  if (lambda) return lambda[1] ? callback(def, input, host) : invoke(input, host);
  const target = sdkTarget(resource);
  if (target) {
    const [, , , , , , service = "", action = ""] = resource.split(":");
    return {
      resourceType: `aws-sdk:${service}`,
      resource: action,
      parameters: input,
      execute: (io) =>
        callSdk({
          target,
          region: host.region,
          parameters: input,
          endpoint: host.endpoint(),
          credentials: () => host.credentials(),
          signal: io.signal,
        }),
    };
  }
  if (FUNCTION_ARN.test(resource))
    return {
      resourceType: "lambda",
      resource,
      parameters: input,
      execute: async (io) => (await lambdaCall(resource, input, "RequestResponse", host, io)).payload,
    };
  throw runtimeError(`The resource '${resource}' is not supported by this sandbox's Step Functions`);
}

function lambdaCall(
  functionName: unknown,
  payload: unknown,
  type: "RequestResponse" | "Event",
  host: TaskHost,
  io: AttemptIo,
) {
  if (typeof functionName !== "string" || functionName === "")
    throw runtimeError("The Task's Parameters must name a FunctionName (a string)");
  return invokeLambda({
    functionName,
    payload,
    invocationType: type,
    region: host.region,
    endpoint: host.endpoint(),
    credentials: () => host.credentials(),
    signal: io.signal,
  });
}

function invoke(input: unknown, host: TaskHost): Attempt {
  const p = (input ?? {}) as { FunctionName?: unknown; Payload?: unknown };
  return {
    resourceType: "lambda",
    resource: "invoke",
    parameters: input,
    execute: async (io) =>
      invokeOutput(await lambdaCall(p.FunctionName, p.Payload, "RequestResponse", host, io)),
  };
}

/** `.waitForTaskToken`: the function is invoked as an Event with this attempt's token; the Task waits for its answer. */
function callback(def: TaskDef, input: unknown, host: TaskHost): Attempt {
  let answer!: { resolve: (v: unknown) => void; reject: (e: unknown) => void };
  const answered = new Promise((resolve, reject) => {
    answer = { resolve, reject };
  });
  // An answer may come before anything awaits it (a missed heartbeat during the invocation).
  answered.catch(() => {});
  let watch: { beat(): void; stop(): void } | undefined;
  const token = host.tokens.issue({
    executionArn: host.executionArn,
    succeed: (output) => answer.resolve(JSON.parse(output)),
    fail: (error, cause) => answer.reject(new TaskError(error ?? "", cause ?? "")),
    heartbeat: () => watch?.beat(),
  });
  const parameters = withToken(input, host.tokenPlaceholder, token);
  const p = (parameters ?? {}) as { FunctionName?: unknown; Payload?: unknown };
  return {
    resourceType: "lambda",
    resource: "invoke.waitForTaskToken",
    parameters,
    execute: async (io) => {
      const w = heartbeatWatch(def.HeartbeatSeconds, () =>
        answer.reject(new TaskTimeout("States.HeartbeatTimeout", "No heartbeat within HeartbeatSeconds")),
      );
      watch = w;
      io.onEnd(() => {
        w.stop();
        host.tokens.end(token);
      });
      const submitted = await lambdaCall(p.FunctionName, p.Payload, "Event", host, io);
      io.submitted(invokeOutput(submitted));
      return answered;
    },
  };
}

/** Heartbeats: a callback Task that hears nothing for HeartbeatSeconds times out (States.HeartbeatTimeout). */
function heartbeatWatch(seconds: number | undefined, onMiss: () => void): { beat(): void; stop(): void } {
  if (seconds === undefined) return { beat: () => {}, stop: () => {} };
  let timer = setTimeout(onMiss, seconds * 1000);
  return {
    beat: () => {
      clearTimeout(timer);
      timer = setTimeout(onMiss, seconds * 1000);
    },
    stop: () => clearTimeout(timer),
  };
}

/** The parameters with the context's token placeholder replaced by the real token, wherever it landed. */
function withToken(value: unknown, placeholder: string, token: string): unknown {
  if (typeof value === "string")
    return value.includes(placeholder) ? value.replaceAll(placeholder, token) : value;
  if (Array.isArray(value)) return value.map((v) => withToken(v, placeholder, token));
  if (value && typeof value === "object")
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withToken(v, placeholder, token)]));
  return value;
}
