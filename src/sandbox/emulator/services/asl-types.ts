/** Amazon States Language shapes the emulator's interpreter understands. */

export type TaskHandler = (input: unknown) => Promise<unknown>;

export interface HistoryEvent {
  timestamp: Date;
  type: string;
  details?: Record<string, unknown>;
}

export interface Retrier {
  ErrorEquals: string[];
  IntervalSeconds?: number;
  MaxAttempts?: number;
  BackoffRate?: number;
}

export interface Catcher {
  ErrorEquals: string[];
  Next: string;
  ResultPath?: string | null;
}

/** A Choice rule: a comparison on `Variable`, or And/Or/Not of rules; top-level rules have Next. */
export interface ChoiceRule {
  Variable?: string;
  StringEquals?: string;
  NumericEquals?: number;
  NumericGreaterThan?: number;
  NumericGreaterThanEquals?: number;
  NumericLessThan?: number;
  NumericLessThanEquals?: number;
  BooleanEquals?: boolean;
  IsPresent?: boolean;
  And?: ChoiceRule[];
  Or?: ChoiceRule[];
  Not?: ChoiceRule;
  Next?: string;
}

export interface StateDefinition {
  Type: string;
  Next?: string;
  End?: boolean;
  Resource?: string;
  Result?: unknown;
  Seconds?: number;
  Error?: string;
  Cause?: string;
  InputPath?: string | null;
  OutputPath?: string | null;
  ResultPath?: string | null;
  Retry?: Retrier[];
  Catch?: Catcher[];
  Choices?: ChoiceRule[];
  Default?: string;
}

export interface AslDefinition {
  StartAt: string;
  States: Record<string, StateDefinition>;
}

/** A failed state: `error` is the ASL error name (States.TaskFailed, a task's error name, …). */
export class AslError extends Error {
  constructor(
    readonly error: string,
    readonly causeText: string,
  ) {
    super(`${error}: ${causeText}`);
  }
}

export interface RunOptions {
  handlers: ReadonlyMap<string, TaskHandler>;
  /** Multiplies Wait seconds and retry intervals, so tests need not wait in real time. */
  waitScale: number;
  emit: (type: string, details?: Record<string, unknown>) => void;
  signal: AbortSignal;
}

/** A Wait or retry backoff must not keep a closed emulator's process alive: closing aborts it. */
export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}
