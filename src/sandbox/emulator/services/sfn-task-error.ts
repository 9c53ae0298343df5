/**
 * A Task's failure as Step Functions reports it: `error` is what Retry and Catch match
 * (`Runbook.Retryable`, `Rds.DbClusterNotFoundException`, `States.Runtime`), `cause` the text
 * (often JSON) that goes with it. The interpreter reads them as the error's name and message.
 */
export class TaskError extends Error {
  constructor(error: string, cause: string) {
    super(cause);
    this.name = error;
  }

  /** States.Runtime is neither retried nor caught, as in Step Functions (the interpreter asks). */
  get isRetryable(): boolean {
    return this.name !== "States.Runtime";
  }

  get isCatchable(): boolean {
    return this.name !== "States.Runtime";
  }
}

/** The Task ran out of time (a missed heartbeat): recorded as TaskTimedOut rather than TaskFailed. */
export class TaskTimeout extends TaskError {}

/** Why a Task could not run: States.Runtime (not retried, not caught), naming what it was. */
export function runtimeError(cause: string): TaskError {
  return new TaskError("States.Runtime", cause);
}

/** Step Functions' words when the state machine's role cannot be assumed. */
export const ROLE_NOT_ASSUMABLE =
  "Neither the global service principal states.amazonaws.com, nor the regional one is authorized to assume the provided role.";
