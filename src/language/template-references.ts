import { parseBoundedTemplate } from "./bounded-template.js";
import { collectRefs, ExpressionError, findTemplates, type TemplatePart } from "./expressions.js";
import type { InputIR } from "./runbook.js";
import type { Path } from "./source-map.js";

/**
 * What the `${{ }}` expressions inside a value refer to, checked against what the runbook
 * declares: inputs, steps that finish earlier (and expose outputs), env, vars, run.*.
 * Expressions in map keys count too; their problems point at the key.
 */

export interface ReferenceRules {
  inputs: Record<string, InputIR>;
  /** Every step id in the file, so a reference to a later step is told apart from a typo. */
  declared: ReadonlySet<string>;
  /** Steps that finish before the one being checked. */
  done: ReadonlySet<string>;
  /** Only earlier steps' outputs can be used (false for onAbort and `when` of blocks). */
  orderMatters: boolean;
  /** Abort probes see inputs and env only. */
  allowSteps: boolean;
  runFields: readonly string[];
}

export interface ReferenceProblem {
  path: Path;
  key: boolean;
  message: string;
}

export function referenceProblems(value: unknown, rules: ReferenceRules): ReferenceProblem[] {
  const out: ReferenceProblem[] = [];
  for (const t of findTemplates(value)) {
    const report = (message: string) => out.push({ path: t.path, key: t.key === true, message });
    let parts: TemplatePart[];
    try {
      parts = parseBoundedTemplate(t.text);
    } catch (err) {
      if (!(err instanceof ExpressionError)) throw err;
      report(`bad expression: ${err.message}`);
      continue;
    }
    for (const part of parts) {
      if (!("expr" in part)) continue;
      for (const ref of collectRefs(part.expr)) {
        const problem = refProblem(ref, rules);
        if (problem) report(problem);
      }
    }
  }
  return out;
}

/**
 * A step's `account:` is resolved before anything runs (the account guard checks it), so it
 * may read only what is known then: the environment's vars and the process env.
 */
export function accountRefProblems(account: string): string[] {
  const out: string[] = [];
  let parts: TemplatePart[];
  try {
    parts = parseBoundedTemplate(account);
  } catch (err) {
    if (!(err instanceof ExpressionError)) throw err;
    return [`account: bad expression: ${err.message}`];
  }
  for (const part of parts) {
    if (!("expr" in part)) continue;
    for (const ref of collectRefs(part.expr)) {
      if ((ref[0] !== "vars" && ref[0] !== "env") || !ref[1])
        out.push(
          `account: only vars.NAME and env.NAME can be used here, not "${ref.join(".")}": the account is checked before anything runs`,
        );
    }
  }
  return out;
}

function refProblem(ref: string[], rules: ReferenceRules): string | undefined {
  const [root, name, kind] = ref;
  switch (root) {
    case "inputs":
      return name !== undefined && Object.hasOwn(rules.inputs, name)
        ? undefined
        : `unknown input "${name ?? ""}"${hint(Object.keys(rules.inputs), "inputs")}`;
    case "steps":
      if (!rules.allowSteps) return "abort probes can only use inputs and env";
      if (!name || kind !== "outputs" || ref.length < 4)
        return `a step reference is steps.<id>.outputs.<key>, not "${ref.join(".")}"`;
      if (!rules.declared.has(name)) return `unknown step "${name}"`;
      if (rules.orderMatters && !rules.done.has(name))
        return `step "${name}" does not finish before this one; only earlier steps' outputs can be used`;
      return undefined;
    case "env":
      return name ? undefined : "env needs a variable name: env.NAME";
    case "vars":
      return name ? undefined : "vars needs a name: vars.NAME (from the --env file)";
    case "run":
      return rules.runFields.includes(name ?? "")
        ? undefined
        : `run has ${rules.runFields.join(", ")}; not "${name ?? ""}"`;
    case "sandbox":
      return "sandbox.* is for environment files; in runbooks use vars.NAME";
    default:
      return undefined;
  }
}

function hint(names: string[], what: string): string {
  return names.length ? ` (declared ${what}: ${names.join(", ")})` : ` (no ${what} are declared)`;
}
