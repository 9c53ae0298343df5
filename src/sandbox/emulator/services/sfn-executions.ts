import { randomUUID } from "node:crypto";
import { ApiError } from "../errors.js";
import { pageOf } from "../pagination.js";
import type { ParamReader } from "../params.js";
import type { OperationHandler, RequestContext } from "../service.js";
import type { ServiceRoleSessions } from "./service-role-sessions.js";
import { ExecutionHistory, historyPage } from "./sfn-history.js";
import {
  type ExecutionModel,
  type ExecutionStatus,
  NAME,
  type SfnState,
  type StateMachineModel,
} from "./sfn-model.js";
import { ExecutionRun } from "./sfn-run.js";

/**
 * Step Functions' execution operations: StartExecution (idempotent by name while the
 * execution runs with the same input; a name is never reused while the execution is kept,
 * as AWS refuses it for 90 days), DescribeExecution, ListExecutions, StopExecution,
 * GetExecutionHistory.
 */

export interface ExecutionDeps {
  state: SfnState;
  accountId: string;
  waitScale: number;
  sessions: ServiceRoleSessions;
  endpoint: () => string;
  machine: (arn: string, ctx: RequestContext) => StateMachineModel & MachineRuntime;
}

/** What a machine needs to start executions (built at Create/UpdateStateMachine). */
export interface MachineRuntime {
  interpreter: import("./sfn-definition.js").Interpreter;
  facts: import("./sfn-definition.js").DefinitionFacts;
}

const MAX_INPUT = 256 * 1024;
const STATUSES = new Set<ExecutionStatus>(["RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"]);

export function executionOperations(deps: ExecutionDeps): Record<string, OperationHandler> {
  const { state } = deps;
  const execution = (p: ParamReader, ctx: RequestContext): ExecutionModel => {
    const arn = p.string("executionArn");
    if (!/^arn:aws[\w-]*:states:[a-z0-9-]+:\d+:execution:[^:]+:[^:]+$/.test(arn))
      throw new ApiError("InvalidArn", `Invalid Arn: 'Resource type not valid in this context: ${arn}'`);
    const e = state.executions.get(arn);
    if (!e || e.region !== ctx.region)
      throw new ApiError("ExecutionDoesNotExist", `Execution Does Not Exist: '${arn}'`);
    return e;
  };

  const start = async (p: ParamReader, ctx: RequestContext) => {
    const m = deps.machine(p.string("stateMachineArn"), ctx);
    const name = p.optionalString("name") ?? randomUUID();
    if (!NAME.test(name)) throw new ApiError("InvalidName", `Invalid Name: '${name}'`);
    const input = p.optionalString("input") ?? "{}";
    if (Buffer.byteLength(input) > MAX_INPUT)
      throw new ApiError(
        "InvalidExecutionInput",
        "Invalid Execution Input: the input exceeds the 262144-byte limit",
      );
    let parsed: unknown;
    try {
      parsed = JSON.parse(input);
    } catch {
      throw new ApiError(
        "InvalidExecutionInput",
        `Invalid Execution Input: '${input.slice(0, 64)}' is not JSON`,
      );
    }
    const arn = `arn:aws:states:${m.region}:${deps.accountId}:execution:${m.name}:${name}`;
    const existing = state.executions.get(arn);
    if (existing) {
      if (existing.status === "RUNNING" && existing.input === input)
        return { executionArn: arn, startDate: existing.startDate };
      throw new ApiError("ExecutionAlreadyExists", `Execution Already Exists: '${arn}'`);
    }
    const startDate = new Date();
    const history = new ExecutionHistory();
    history.append("ExecutionStarted", {
      input,
      inputDetails: { truncated: false },
      roleArn: m.roleArn,
    });
    const run = new ExecutionRun({
      interpreter: m.interpreter,
      facts: m.facts,
      history,
      execution: { arn, name, region: m.region, roleArn: m.roleArn, startDate, input: parsed },
      machine: { arn: m.arn, name: m.name },
      waitScale: deps.waitScale,
      tokens: state.tokens,
      handlers: state.handlers,
      credentials: () =>
        deps.sessions.credentials(m.roleArn, "states.amazonaws.com", name, {
          account: m.arn.split(":")[4] ?? "",
          arn: m.arn,
        }),
      endpoint: deps.endpoint,
    });
    const e: ExecutionModel = {
      arn,
      name,
      stateMachineArn: m.arn,
      region: m.region,
      status: "RUNNING",
      input,
      output: undefined,
      error: undefined,
      cause: undefined,
      startDate,
      stopDate: undefined,
      history,
      stop: async (error, cause) => {
        if (e.status === "RUNNING") ended(await run.stop(error, cause));
        await e.done;
      },
      done: Promise.resolve(),
    };
    const ended = (o: Awaited<ReturnType<ExecutionRun["run"]>>) => {
      Object.assign(e, {
        status: o.status,
        output: o.output,
        error: o.error,
        cause: o.cause,
        stopDate: o.stopDate,
      });
    };
    state.executions.set(arn, e);
    e.done = run.run().then(ended, (error: unknown) => {
      // A bug of ours, not the machine's: the execution fails saying so rather than hanging.
      ended({
        status: "FAILED",
        error: "States.Runtime",
        cause: `The emulator failed: ${String(error)}`,
        stopDate: new Date(),
      });
    });
    return { executionArn: arn, startDate };
  };

  return {
    StartExecution: start,
    DescribeExecution: (p, ctx) => {
      const e = execution(p, ctx);
      return {
        executionArn: e.arn,
        stateMachineArn: e.stateMachineArn,
        name: e.name,
        status: e.status,
        startDate: e.startDate,
        stopDate: e.stopDate,
        input: e.input,
        inputDetails: { included: true },
        output: e.output,
        ...(e.output !== undefined ? { outputDetails: { included: true } } : {}),
        error: e.error,
        cause: e.cause,
        redriveCount: 0,
        redriveStatus: "NOT_REDRIVABLE",
      };
    },
    ListExecutions: (p, ctx) => {
      const m = deps.machine(p.string("stateMachineArn"), ctx);
      const filter = p.optionalString("statusFilter");
      if (filter !== undefined && !STATUSES.has(filter as ExecutionStatus))
        throw new ApiError(
          "ValidationException",
          `1 validation error detected: Value '${filter}' at 'statusFilter' failed to satisfy constraint: Member must satisfy enum value set: [${[...STATUSES, "PENDING_REDRIVE"].join(", ")}]`,
        );
      const all = [...state.executions.values()]
        .filter((e) => e.stateMachineArn === m.arn && (filter === undefined || e.status === filter))
        .reverse();
      const { page, next } = pageOf(all, p.optionalString("nextToken"), maxResults(p), () => invalidToken(p));
      return {
        executions: page.map((e) => ({
          executionArn: e.arn,
          stateMachineArn: e.stateMachineArn,
          name: e.name,
          status: e.status,
          startDate: e.startDate,
          stopDate: e.stopDate,
        })),
        ...(next ? { nextToken: next } : {}),
      };
    },
    StopExecution: async (p, ctx) => {
      const e = execution(p, ctx);
      const error = p.optionalString("error");
      const cause = p.optionalString("cause");
      if (error !== undefined && error.length > 256) throw tooLong("error", 256);
      if (cause !== undefined && cause.length > 32_768) throw tooLong("cause", 32_768);
      await e.stop(error, cause);
      return { stopDate: e.stopDate ?? new Date() };
    },
    GetExecutionHistory: (p, ctx) =>
      historyPage(execution(p, ctx).history, {
        maxResults: p.optionalNumber("maxResults"),
        nextToken: p.optionalString("nextToken"),
        reverseOrder: p.boolean("reverseOrder") ?? false,
        includeExecutionData: p.boolean("includeExecutionData") ?? true,
      }),
  };
}

function invalidToken(p: ParamReader): ApiError {
  return new ApiError("InvalidToken", `Invalid Token: '${p.optionalString("nextToken") ?? ""}'`);
}

/** `maxResults` as Step Functions checks it (0 or absent: the default page of 100). */
export function maxResults(p: ParamReader, limit = 1000): number {
  const max = p.optionalNumber("maxResults") || 100;
  if (!Number.isInteger(max) || max < 1 || max > limit)
    throw new ApiError(
      "ValidationException",
      `1 validation error detected: Value '${max}' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to ${limit}`,
    );
  return max;
}

export function tooLong(member: string, max: number): ApiError {
  return new ApiError(
    "ValidationException",
    `1 validation error detected: Value at '${member}' failed to satisfy constraint: Member must have length less than or equal to ${max}`,
  );
}
