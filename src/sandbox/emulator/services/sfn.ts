// Before the interpreter loads (sfn-definition.ts imports it too): Node 20 lacks Promise.withResolvers.
import "./promise-with-resolvers.js";
import { randomUUID } from "node:crypto";
import { ApiError } from "../errors.js";
import { pageOf } from "../pagination.js";
import type { ParamReader } from "../params.js";
import type { RequestContext, ServiceDefinition } from "../service.js";
import type { ServiceRoleSessions } from "./service-role-sessions.js";
import { definitionFacts, loadInterpreter, parseDefinition, runnableCopy } from "./sfn-definition.js";
import { executionOperations, type MachineRuntime, maxResults, tooLong } from "./sfn-executions.js";
import { NAME, type SfnState, type StateMachineModel } from "./sfn-model.js";
import { TaskTokens } from "./sfn-task-tokens.js";

/**
 * Step Functions ("states", JSON 1.0): Standard state machines per region, their executions
 * run by aws-local-stepfunctions (an independent ASL interpreter) with every Task served by
 * the emulator (sfn-tasks.ts), histories shaped as AWS's (sfn-history.ts), and the callback
 * API (SendTaskSuccess / SendTaskFailure / SendTaskHeartbeat).
 */

export type { ExecutionModel, SfnState, StateMachineModel, TaskHandler } from "./sfn-model.js";

export function createSfnState(): SfnState {
  return { machines: new Map(), executions: new Map(), handlers: new Map(), tokens: new TaskTokens() };
}

export interface SfnOptions {
  waitScale: number;
  signal: AbortSignal;
  sessions: ServiceRoleSessions;
  /** The emulator's own URL: Tasks call its services through the real SDK. */
  endpoint: () => string;
}

type Machine = StateMachineModel & MachineRuntime;
const ROLE_ARN = /^arn:aws[\w-]*:iam::\d+:role\/[\w+=,.@/-]+$/;

export function sfnService(state: SfnState, accountId: string, options: SfnOptions): ServiceDefinition {
  options.signal.addEventListener("abort", () => {
    for (const e of state.executions.values())
      if (e.status === "RUNNING") void e.stop(undefined, "The emulator closed");
  });
  const machine = (arn: string, ctx: RequestContext): Machine => {
    if (!/^arn:aws[\w-]*:states:[a-z0-9-]+:\d+:stateMachine:[^:]+$/.test(arn))
      throw new ApiError("InvalidArn", `Invalid Arn: 'Resource type not valid in this context: ${arn}'`);
    const m = state.machines.get(arn);
    if (!m || m.region !== ctx.region)
      throw new ApiError("StateMachineDoesNotExist", `State Machine Does Not Exist: '${arn}'`);
    return m as Machine;
  };
  const roleArn = (p: ParamReader, required: boolean) => {
    const arn = required ? p.string("roleArn") : p.optionalString("roleArn");
    if (arn !== undefined && !ROLE_ARN.test(arn)) throw new ApiError("InvalidArn", `Invalid Arn: '${arn}'`);
    return arn;
  };
  const runtime = async (text: string): Promise<MachineRuntime & { definition: Machine["definition"] }> => {
    const definition = await parseDefinition(text);
    const { StateMachine } = await loadInterpreter();
    const interpreter = new StateMachine(runnableCopy(definition), {
      validationOptions: { noValidate: true },
    });
    return { definition, interpreter, facts: definitionFacts(definition) };
  };

  const create = async (p: ParamReader, ctx: RequestContext) => {
    const name = p.string("name");
    if (!NAME.test(name)) throw new ApiError("InvalidName", `Invalid Name: '${name}'`);
    const type = p.optionalString("type") ?? "STANDARD";
    if (type !== "STANDARD")
      throw new ApiError(
        "ValidationException",
        `this sandbox's Step Functions runs STANDARD state machines only, not ${type}`,
      );
    const definitionText = p.string("definition");
    const role = roleArn(p, true) as string;
    const built = await runtime(definitionText);
    const arn = `arn:aws:states:${ctx.region}:${accountId}:stateMachine:${name}`;
    const existing = state.machines.get(arn);
    if (existing) {
      // Step Functions answers an identical create with the machine it already has.
      if (existing.definitionText === definitionText && existing.roleArn === role)
        return { stateMachineArn: arn, creationDate: existing.createdAt };
      throw new ApiError("StateMachineAlreadyExists", `State Machine Already Exists: '${arn}'`);
    }
    const now = new Date();
    const m: Machine = {
      arn,
      name,
      region: ctx.region,
      definitionText,
      roleArn: role,
      description: p.optionalString("description"),
      createdAt: now,
      updatedAt: now,
      revisionId: randomUUID(),
      ...built,
    };
    state.machines.set(arn, m);
    return { stateMachineArn: arn, creationDate: now };
  };

  const update = async (p: ParamReader, ctx: RequestContext) => {
    const m = machine(p.string("stateMachineArn"), ctx);
    const text = p.optionalString("definition");
    const role = roleArn(p, false);
    if (text === undefined && role === undefined)
      throw new ApiError(
        "MissingRequiredParameter",
        "Either the definition or the roleArn must be specified",
      );
    // Running executions keep the definition they started with (their own interpreter).
    if (text !== undefined) Object.assign(m, await runtime(text), { definitionText: text });
    if (role !== undefined) m.roleArn = role;
    const description = p.optionalString("description");
    if (description !== undefined) m.description = description;
    m.updatedAt = new Date();
    m.revisionId = randomUUID();
    return { updateDate: m.updatedAt, revisionId: m.revisionId };
  };

  const list = (p: ParamReader, ctx: RequestContext) => {
    const max = maxResults(p);
    const all = [...state.machines.values()]
      .filter((m) => m.region === ctx.region)
      .sort((a, b) => a.name.localeCompare(b.name));
    const { page, next } = pageOf(
      all,
      p.optionalString("nextToken"),
      max,
      () => new ApiError("InvalidToken", "Invalid Token"),
    );
    return {
      stateMachines: page.map((m) => ({
        stateMachineArn: m.arn,
        name: m.name,
        type: "STANDARD",
        creationDate: m.createdAt,
      })),
      ...(next ? { nextToken: next } : {}),
    };
  };

  const tokens = state.tokens;
  const executions = executionOperations({
    state,
    accountId,
    waitScale: options.waitScale,
    sessions: options.sessions,
    endpoint: options.endpoint,
    machine,
  });
  const byMachine = (p: ParamReader) => [p.string("stateMachineArn")];
  const byExecution = (p: ParamReader) => [p.string("executionArn")];
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
        UpdateStateMachine: byMachine,
        DescribeStateMachine: byMachine,
        DeleteStateMachine: byMachine,
        StartExecution: byMachine,
        ListExecutions: byMachine,
        DescribeExecution: byExecution,
        GetExecutionHistory: byExecution,
        StopExecution: byExecution,
      },
    },
    mutating: new Set([
      "CreateStateMachine",
      "UpdateStateMachine",
      "DeleteStateMachine",
      "StartExecution",
      "StopExecution",
      "SendTaskSuccess",
      "SendTaskFailure",
    ]),
    operations: {
      CreateStateMachine: create,
      UpdateStateMachine: update,
      DescribeStateMachine: (p, ctx) => {
        const m = machine(p.string("stateMachineArn"), ctx);
        return {
          stateMachineArn: m.arn,
          name: m.name,
          status: "ACTIVE",
          definition: m.definitionText,
          roleArn: m.roleArn,
          type: "STANDARD",
          creationDate: m.createdAt,
          ...(m.description !== undefined ? { description: m.description } : {}),
          loggingConfiguration: { level: "OFF", includeExecutionData: false },
          tracingConfiguration: { enabled: false },
          revisionId: m.revisionId,
        };
      },
      ListStateMachines: list,
      DeleteStateMachine: (p, ctx) => {
        // Executions already started run on, and stay readable, as in Step Functions.
        state.machines.delete(machine(p.string("stateMachineArn"), ctx).arn);
        return {};
      },
      ...executions,
      SendTaskSuccess: (p) => {
        tokens.succeed(p.string("taskToken"), p.string("output"));
        return {};
      },
      SendTaskFailure: (p) => {
        const error = p.optionalString("error");
        const cause = p.optionalString("cause");
        if (error !== undefined && error.length > 256) throw tooLong("error", 256);
        if (cause !== undefined && cause.length > 32_768) throw tooLong("cause", 32_768);
        tokens.fail(p.string("taskToken"), error, cause);
        return {};
      },
      SendTaskHeartbeat: (p) => {
        tokens.heartbeat(p.string("taskToken"));
        return {};
      },
    },
  };
}
