import type { StateMachineDefinition } from "aws-local-stepfunctions";
import type { ExecutionHistory } from "./sfn-history.js";
import type { TaskTokens } from "./sfn-task-tokens.js";

/**
 * The emulator's Step Functions state: state machines per region, their executions (each with
 * its history and, while it runs, the run that can stop it), the task tokens callback Tasks
 * wait on, and the handlers tests register for a Task's Resource.
 */

export type AslDefinition = StateMachineDefinition;

/** A test's stand-in for a Task's Resource (a Lambda ARN): gets the Task's input, returns its result. */
export type TaskHandler = (input: unknown) => Promise<unknown>;

export interface StateMachineModel {
  arn: string;
  name: string;
  region: string;
  definition: AslDefinition;
  definitionText: string;
  roleArn: string;
  description: string | undefined;
  createdAt: Date;
  updatedAt: Date;
  revisionId: string;
}

export type ExecutionStatus = "RUNNING" | "SUCCEEDED" | "FAILED" | "TIMED_OUT" | "ABORTED";

export interface ExecutionModel {
  arn: string;
  name: string;
  stateMachineArn: string;
  region: string;
  status: ExecutionStatus;
  input: string;
  output: string | undefined;
  error: string | undefined;
  cause: string | undefined;
  startDate: Date;
  stopDate: Date | undefined;
  history: ExecutionHistory;
  /** Stops a running execution (StopExecution, the emulator closing); a no-op once it ended. */
  stop: (error?: string, cause?: string) => Promise<void>;
  /** Settles when the execution has ended and its last history event is written. */
  done: Promise<void>;
}

export interface SfnState {
  machines: Map<string, StateMachineModel>;
  /** In start order, as ListExecutions pages them (newest first). */
  executions: Map<string, ExecutionModel>;
  handlers: Map<string, TaskHandler>;
  tokens: TaskTokens;
}

export const NAME = /^[A-Za-z0-9_-]{1,80}$/;
