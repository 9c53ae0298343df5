import { readPath } from "./asl-paths.js";
import { AslError, type ChoiceRule, type StateDefinition } from "./asl-types.js";

/**
 * Choice states: the first rule that matches names the next state, else `Default`, else
 * the execution fails with States.NoChoiceMatched, as in Step Functions. Comparisons:
 * StringEquals, Numeric{Equals,GreaterThan[Equals],LessThan[Equals]}, BooleanEquals,
 * IsPresent, combined with And/Or/Not.
 */
export function chooseNext(state: StateDefinition, input: unknown): string {
  for (const rule of state.Choices ?? []) if (matches(rule, input)) return rule.Next as string;
  if (state.Default) return state.Default;
  throw new AslError("States.NoChoiceMatched", "No Choice rule matched and there is no Default");
}

function variable(rule: ChoiceRule, input: unknown): { present: boolean; value: unknown } {
  try {
    return { present: true, value: readPath(input, rule.Variable ?? "$") };
  } catch {
    return { present: false, value: undefined };
  }
}

function matches(rule: ChoiceRule, input: unknown): boolean {
  if (rule.And) return rule.And.every((r) => matches(r, input));
  if (rule.Or) return rule.Or.some((r) => matches(r, input));
  if (rule.Not) return !matches(rule.Not, input);
  const { present, value } = variable(rule, input);
  if (rule.IsPresent !== undefined) return present === rule.IsPresent;
  if (!present) throw new AslError("States.Runtime", `Invalid path ${rule.Variable}: not found in input`);
  const n = typeof value === "number" ? value : Number.NaN;
  if (rule.StringEquals !== undefined) return value === rule.StringEquals;
  if (rule.BooleanEquals !== undefined) return value === rule.BooleanEquals;
  if (rule.NumericEquals !== undefined) return n === rule.NumericEquals;
  if (rule.NumericGreaterThan !== undefined) return n > rule.NumericGreaterThan;
  if (rule.NumericGreaterThanEquals !== undefined) return n >= rule.NumericGreaterThanEquals;
  if (rule.NumericLessThan !== undefined) return n < rule.NumericLessThan;
  if (rule.NumericLessThanEquals !== undefined) return n <= rule.NumericLessThanEquals;
  throw new AslError("States.Runtime", `Unsupported Choice rule ${JSON.stringify(rule)}`);
}

/** Every state name a Choice can lead to, for definition checks. */
export function choiceTargets(state: StateDefinition): string[] {
  return [...(state.Choices ?? []).map((r) => r.Next ?? ""), ...(state.Default ? [state.Default] : [])];
}
