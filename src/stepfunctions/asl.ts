/**
 * The part of the Amazon States Language (JSONPath query language) the export writes: plain
 * JSON objects, typed only as far as the export and its readers need.
 */

export type StateType = "Task" | "Pass" | "Choice" | "Wait" | "Parallel" | "Succeed" | "Fail";

/** A Choice rule without `Next` (nested in And/Or/Not), or with it at the top of `Choices`. */
export type ChoiceRule = { [key: string]: unknown };

export interface Retrier {
  ErrorEquals: string[];
  IntervalSeconds: number;
  MaxAttempts: number;
  BackoffRate: number;
  MaxDelaySeconds?: number;
}

export interface Catcher {
  ErrorEquals: string[];
  ResultPath: string;
  Next: string;
}

export interface AslState {
  Type: StateType;
  Comment?: string;
  Resource?: string;
  Parameters?: Record<string, unknown>;
  ResultSelector?: Record<string, unknown>;
  ResultPath?: string;
  OutputPath?: string;
  Result?: unknown;
  TimeoutSeconds?: number;
  Retry?: Retrier[];
  Catch?: Catcher[];
  Choices?: ChoiceRule[];
  Default?: string;
  Seconds?: number;
  Branches?: AslBranch[];
  Error?: string;
  Cause?: string;
  CausePath?: string;
  Next?: string;
  End?: true;
}

export interface AslBranch {
  StartAt: string;
  States: Record<string, AslState>;
}

export interface StateMachineDefinition extends AslBranch {
  Comment: string;
  QueryLanguage: "JSONPath";
}

/** Where a state goes next: a state's name, or the end of its branch. */
export type Next = string | typeof END;
export const END = Symbol("end of branch");

export function transition(next: Next): { Next: string } | { End: true } {
  return next === END ? { End: true } : { Next: next };
}

/** Every branch of a definition, the top level first, then each Parallel's branches depth-first. */
export function allBranches(branch: AslBranch): AslBranch[] {
  return [
    branch,
    ...Object.values(branch.States).flatMap((s) => (s.Branches ?? []).flatMap((b) => allBranches(b))),
  ];
}

/** Every state of a definition with its name, wherever it is nested. */
export function allStates(definition: AslBranch): [string, AslState][] {
  return allBranches(definition).flatMap((b) => Object.entries(b.States));
}

/** Whether a state can go to `name` next: its Next, a Choice rule, its Default or a Catch. */
export function goesTo(s: AslState, name: string): boolean {
  return (
    s.Next === name ||
    s.Default === name ||
    (s.Choices ?? []).some((c) => c.Next === name) ||
    (s.Catch ?? []).some((c) => c.Next === name)
  );
}
