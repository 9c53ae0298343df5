import { randomBytes } from "node:crypto";
import { ApiError } from "../errors.js";

/**
 * Task tokens of callback Tasks (`.waitForTaskToken`): issued when the Task starts, answered
 * by SendTaskSuccess / SendTaskFailure, kept alive by SendTaskHeartbeat. A token whose Task
 * ended (answered, timed out, aborted) says TaskTimedOut, as Step Functions does ("Provided
 * task does not exist anymore"); one never issued, TaskDoesNotExist; one not shaped like a
 * token, InvalidToken.
 */

export interface WaitingTask {
  executionArn: string;
  succeed(output: string): void;
  fail(error: string | undefined, cause: string | undefined): void;
  heartbeat(): void;
}

const TOKEN = /^AQB[A-Za-z0-9_-]{86}$/;
/** Ended tokens remembered (to answer TaskTimedOut), oldest forgotten first. */
const ENDED_LIMIT = 10_000;
const MAX_OUTPUT = 256 * 1024;

export class TaskTokens {
  private readonly waiting = new Map<string, WaitingTask>();
  private readonly ended = new Set<string>();

  issue(task: WaitingTask): string {
    const token = `AQB${randomBytes(64).toString("base64url")}`;
    this.waiting.set(token, task);
    return token;
  }

  /** The Task ended without an answer (timed out, aborted): the token is spent. */
  end(token: string): void {
    if (!this.waiting.delete(token)) return;
    this.ended.add(token);
    if (this.ended.size > ENDED_LIMIT) {
      const oldest = this.ended.values().next().value;
      if (oldest !== undefined) this.ended.delete(oldest);
    }
  }

  /** Whose execution a token belongs to (for IAM: SendTask* is authorised on the execution's state machine). */
  executionOf(token: string): string | undefined {
    return this.waiting.get(token)?.executionArn;
  }

  succeed(token: string, output: string): void {
    if (Buffer.byteLength(output) > MAX_OUTPUT)
      throw new ApiError("InvalidOutput", "Invalid Output: output exceeds the 262144-byte limit");
    try {
      JSON.parse(output);
    } catch {
      throw new ApiError("InvalidOutput", `Invalid Output: '${output.slice(0, 64)}' is not valid JSON`);
    }
    const task = this.take(token);
    task.succeed(output);
  }

  fail(token: string, error: string | undefined, cause: string | undefined): void {
    this.take(token).fail(error, cause);
  }

  heartbeat(token: string): void {
    this.find(token).heartbeat();
  }

  /** Every waiting task of an execution (it ended: nothing may answer them any more). */
  endAll(executionArn: string): void {
    for (const [token, task] of this.waiting) if (task.executionArn === executionArn) this.end(token);
  }

  private find(token: string): WaitingTask {
    if (!TOKEN.test(token)) throw new ApiError("InvalidToken", "Invalid Token: 'Invalid token'");
    const task = this.waiting.get(token);
    if (task) return task;
    if (this.ended.has(token))
      throw new ApiError("TaskTimedOut", "Task Timed Out: 'Provided task does not exist anymore'");
    throw new ApiError("TaskDoesNotExist", "Task Does Not Exist: 'Provided task does not exist'");
  }

  private take(token: string): WaitingTask {
    const task = this.find(token);
    this.end(token);
    return task;
  }
}
