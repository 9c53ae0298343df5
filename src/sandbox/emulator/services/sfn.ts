import { randomUUID } from "node:crypto";
import { ApiError } from "../errors.js";
import type { ParamReader } from "../params.js";
import type { RequestContext, ServiceDefinition } from "../service.js";
import {
  type AslDefinition,
  AslError,
  type HistoryEvent,
  parseDefinition,
  runDefinition,
  type TaskHandler,
} from "./asl-interpreter.js";

/**
 * Step Functions ("states", JSON 1.0): state machines per region, executions run by the
 * local ASL interpreter, task resources resolved to handlers registered on the emulator.
 */
export interface StateMachineModel {
  arn: string;
  name: string;
  region: string;
  definition: AslDefinition;
  definitionText: string;
  roleArn: string;
  createdAt: Date;
}

export interface ExecutionModel {
  arn: string;
  name: string;
  stateMachineArn: string;
  status: "RUNNING" | "SUCCEEDED" | "FAILED" | "ABORTED";
  input: string;
  output: string | undefined;
  error: string | undefined;
  cause: string | undefined;
  startDate: Date;
  stopDate: Date | undefined;
  history: HistoryEvent[];
  done: Promise<void>;
}

export interface SfnState {
  machines: Map<string, StateMachineModel>;
  executions: Map<string, ExecutionModel>;
  handlers: Map<string, TaskHandler>;
}

/** Which member of a history event carries the details of each event type. */
function detailsMember(type: string): string {
  if (type.endsWith("StateEntered")) return "stateEnteredEventDetails";
  if (type.endsWith("StateExited")) return "stateExitedEventDetails";
  return `${type.charAt(0).toLowerCase()}${type.slice(1)}EventDetails`;
}

const NAME = /^[A-Za-z0-9_-]{1,80}$/;

export function sfnService(
  state: SfnState,
  accountId: string,
  options: { waitScale: number; signal: AbortSignal },
): ServiceDefinition {
  const machine = (arn: string) => {
    const m = state.machines.get(arn);
    if (!m) throw new ApiError("StateMachineDoesNotExist", `State Machine Does Not Exist: '${arn}'`);
    return m;
  };
  const execution = (arn: string) => {
    const e = state.executions.get(arn);
    if (!e) throw new ApiError("ExecutionDoesNotExist", `Execution Does Not Exist: '${arn}'`);
    return e;
  };

  const createStateMachine = (p: ParamReader, ctx: RequestContext) => {
    const name = p.string("name");
    if (!NAME.test(name)) throw new ApiError("InvalidName", `Invalid Name: '${name}'`);
    const definitionText = p.string("definition");
    let definition: AslDefinition;
    try {
      definition = parseDefinition(definitionText);
    } catch (error) {
      throw new ApiError(
        "InvalidDefinition",
        `Invalid State Machine Definition: '${(error as Error).message}'`,
      );
    }
    const arn = `arn:aws:states:${ctx.region}:${accountId}:stateMachine:${name}`;
    const existing = state.machines.get(arn);
    if (existing) {
      // AWS returns the existing machine when the definition is identical.
      if (existing.definitionText === definitionText)
        return { stateMachineArn: arn, creationDate: existing.createdAt };
      throw new ApiError("StateMachineAlreadyExists", `State Machine Already Exists: '${arn}'`);
    }
    const m: StateMachineModel = {
      arn,
      name,
      region: ctx.region,
      definition,
      definitionText,
      roleArn: p.string("roleArn"),
      createdAt: new Date(),
    };
    state.machines.set(arn, m);
    return { stateMachineArn: arn, creationDate: m.createdAt };
  };

  const startExecution = (p: ParamReader) => {
    const m = machine(p.string("stateMachineArn"));
    const name = p.optionalString("name") ?? randomUUID();
    if (!NAME.test(name)) throw new ApiError("InvalidName", `Invalid Name: '${name}'`);
    const input = p.optionalString("input") ?? "{}";
    let parsedInput: unknown;
    try {
      parsedInput = JSON.parse(input);
    } catch {
      throw new ApiError("InvalidExecutionInput", "Invalid execution input: not JSON");
    }
    const arn = `arn:aws:states:${m.region}:${accountId}:execution:${m.name}:${name}`;
    const existing = state.executions.get(arn);
    if (existing) {
      // Idempotent by name: same input while running returns the same execution.
      if (existing.status === "RUNNING" && existing.input === input) {
        return { executionArn: arn, startDate: existing.startDate };
      }
      throw new ApiError("ExecutionAlreadyExists", `Execution Already Exists: '${arn}'`);
    }
    const e: ExecutionModel = {
      arn,
      name,
      stateMachineArn: m.arn,
      status: "RUNNING",
      input,
      output: undefined,
      error: undefined,
      cause: undefined,
      startDate: new Date(),
      stopDate: undefined,
      history: [],
      done: Promise.resolve(),
    };
    const emit = (type: string, details?: Record<string, unknown>) => {
      const withRegion = type === "TaskScheduled" ? { region: m.region, ...details } : details;
      e.history.push({ timestamp: new Date(), type, ...(withRegion ? { details: withRegion } : {}) });
    };
    emit("ExecutionStarted", { input, roleArn: m.roleArn });
    state.executions.set(arn, e);
    e.done = runDefinition(m.definition, parsedInput, {
      handlers: state.handlers,
      waitScale: options.waitScale,
      emit,
      signal: options.signal,
    }).then(
      (output) => {
        e.output = JSON.stringify(output ?? null);
        e.status = "SUCCEEDED";
        e.stopDate = new Date();
        emit("ExecutionSucceeded", { output: e.output });
      },
      (error: unknown) => {
        const f = error instanceof AslError ? error : new AslError("States.Runtime", String(error));
        e.error = f.error;
        e.cause = f.causeText;
        e.status = f.error === "States.Aborted" ? "ABORTED" : "FAILED";
        e.stopDate = new Date();
        emit(e.status === "ABORTED" ? "ExecutionAborted" : "ExecutionFailed", {
          error: f.error,
          cause: f.causeText,
        });
      },
    );
    return { executionArn: arn, startDate: e.startDate };
  };

  const describeExecution = (p: ParamReader) => {
    const e = execution(p.string("executionArn"));
    return {
      executionArn: e.arn,
      stateMachineArn: e.stateMachineArn,
      name: e.name,
      status: e.status,
      startDate: e.startDate,
      stopDate: e.stopDate,
      input: e.input,
      output: e.output,
      error: e.error,
      cause: e.cause,
    };
  };

  const getExecutionHistory = (p: ParamReader) => {
    const e = execution(p.string("executionArn"));
    const events = e.history.map((h, i) => ({
      id: i + 1,
      previousEventId: i,
      timestamp: h.timestamp,
      type: h.type,
      ...(h.details ? { [detailsMember(h.type)]: h.details } : {}),
    }));
    if (p.boolean("reverseOrder")) events.reverse();
    const start = Number(p.optionalString("nextToken") ?? 0);
    const max = p.optionalNumber("maxResults") || 1000;
    return {
      events: events.slice(start, start + max),
      nextToken: start + max < events.length ? String(start + max) : undefined,
    };
  };

  return {
    name: "states",
    json: { target: "AWSStepFunctions", version: "1.0", namespace: "com.amazonaws.sfn" },
    errors: {
      missing: "ValidationException",
      invalid: "ValidationException",
      unknownOperation: "UnknownOperationException",
      throttling: "ThrottlingException",
    },
    iam: {
      resources: {
        CreateStateMachine: (p, ctx) => [
          `arn:aws:states:${ctx.region}:${accountId}:stateMachine:${p.string("name")}`,
        ],
        StartExecution: (p) => [p.string("stateMachineArn")],
        DescribeExecution: (p) => [p.string("executionArn")],
        GetExecutionHistory: (p) => [p.string("executionArn")],
      },
    },
    mutating: new Set(["CreateStateMachine", "StartExecution"]),
    operations: {
      CreateStateMachine: createStateMachine,
      StartExecution: startExecution,
      DescribeExecution: describeExecution,
      GetExecutionHistory: getExecutionHistory,
    },
  };
}
