import { type Expr, evaluate, parseTemplate } from "../language/expressions.js";
import type { ChoiceRule } from "./asl.js";

/**
 * A step's `when:` as a Choice rule over the state data, deciding as `evaluate()` does.
 *
 * What is known at export (`vars.*`, `run.runbook`, `run.environment`) is folded into
 * constants; inputs become `$.run.inputs.x` (always text), step outputs
 * `$.steps.<id>.outputs.<key>` (any JSON). A comparison of a reference with a constant becomes,
 * for each JSON type the value may have at run time, the rule that matches exactly the values
 * of that type `evaluate()` accepts: `"true" == true` and `0 == null` hold there, so they hold
 * here (a property test checks it against aws-local-stepfunctions). A Choice state cannot read
 * text as a number, hence three limits: an input ordered (`<`, `>`…) against a number is
 * refused; text holding a number equals a number only in its canonical form (`5`, not `05` or
 * `5.0`); a step output holding a number as text is not ordered as a number. Lists and maps
 * equal nothing. What a Choice state cannot decide at all (`env.*`, `run.rtoMs`, two run-time
 * values compared) throws `UntranslatableWhen`.
 */

export class UntranslatableWhen extends Error {}

export type WhenTranslation = { constant: boolean } | { rule: ChoiceRule };

/** What export time knows of the run: the environment's vars, the runbook's and environment's names. */
export interface FoldScope {
  vars: Record<string, unknown>;
  runbook: string;
  environment: string;
}

type Op = "==" | "!=" | "<" | "<=" | ">" | ">=";
type Value = string | number | boolean | null | undefined;
/** A reference to the state data; `text` when its value is always a string (an input). */
type Ref = { path: string; text: boolean; source: string };
type Term = { constant: unknown } | { ref: Ref } | { rule: ChoiceRule };

export function translateWhen(when: string, scope: FoldScope): WhenTranslation {
  const parts = parseTemplate(when);
  const only = parts.length === 1 ? parts[0] : undefined;
  if (only && "expr" in only) {
    const t = term(only.expr, scope);
    if ("constant" in t) return { constant: Boolean(t.constant) };
    return { rule: asRule(t) };
  }
  // Text around an expression renders to a non-empty string: always true.
  if (parts.some((p) => "text" in p && p.text !== "")) return { constant: true };
  throw new UntranslatableWhen("a `when` made of several expressions cannot be decided in a Choice state");
}

function term(e: Expr, scope: FoldScope): Term {
  switch (e.kind) {
    case "literal":
      return { constant: e.value };
    case "ref":
      return reference(e.path, scope);
    case "not": {
      const t = term(e.operand, scope);
      return "constant" in t ? { constant: !t.constant } : { rule: { Not: asRule(t) } };
    }
    case "binary":
      return e.op === "&&" || e.op === "||" ? logical(e.op, e.left, e.right, scope) : compare(e, scope);
  }
}

function reference(path: string[], scope: FoldScope): Term {
  const [root, ...rest] = path;
  const source = path.join(".");
  if (root === "vars") return { constant: lookup(scope.vars, rest) };
  if (root === "inputs" && rest.length === 1)
    return { ref: { path: `$.run.inputs.${rest[0]}`, text: true, source } };
  if (root === "steps" && rest.length >= 3 && rest[1] === "outputs")
    return { ref: { path: `$.steps.${rest.join(".")}`, text: false, source } };
  if (root === "run" && rest.length === 1) {
    const field = rest[0]!;
    if (field === "runbook") return { constant: scope.runbook };
    if (field === "environment") return { constant: scope.environment };
    if (field === "executionId" || field === "mode")
      return { ref: { path: `$.run.${field}`, text: true, source } };
    throw new UntranslatableWhen(
      `${source} is measured while the run goes: a Choice state cannot compute it (use it in a step's with:)`,
    );
  }
  if (root === "env")
    throw new UntranslatableWhen(
      `${source} is the operator's shell on a laptop, not the Step Functions run's: give it as an input or a var`,
    );
  throw new UntranslatableWhen(`${source} cannot be read in a Choice state`);
}

function lookup(value: unknown, path: readonly string[]): unknown {
  let cur = value;
  for (const seg of path) {
    if (cur === null || typeof cur !== "object" || !Object.hasOwn(cur, seg)) return undefined;
    cur = (cur as Record<string, unknown>)[seg];
  }
  return cur;
}

function logical(op: "&&" | "||", left: Expr, right: Expr, scope: FoldScope): Term {
  const attempt = (e: Expr): Term | UntranslatableWhen => {
    try {
      return term(e, scope);
    } catch (err) {
      if (err instanceof UntranslatableWhen) return err;
      throw err;
    }
  };
  const decides = (t: Term | UntranslatableWhen) =>
    !(t instanceof UntranslatableWhen) && "constant" in t && Boolean(t.constant) === (op === "||");
  const l = attempt(left);
  const r = attempt(right);
  // Both sides are evaluated and have no side effects: a constant that decides needs nothing of the other.
  if (decides(l) || decides(r)) return { constant: op === "||" };
  if (l instanceof UntranslatableWhen) throw l;
  if (r instanceof UntranslatableWhen) throw r;
  // A constant that does not decide drops out.
  if ("constant" in l) return "constant" in r ? { constant: Boolean(r.constant) } : { rule: asRule(r) };
  if ("constant" in r) return { rule: asRule(l) };
  return { rule: { [op === "&&" ? "And" : "Or"]: [asRule(l), asRule(r)] } };
}

const FLIPPED: Record<Op, Op> = { "==": "==", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<=" };

function compare(e: Extract<Expr, { kind: "binary" }>, scope: FoldScope): Term {
  const op = e.op as Op;
  const l = term(e.left, scope);
  const r = term(e.right, scope);
  if ("constant" in l && "constant" in r) return { constant: decide(l.constant, op, r.constant) };
  const [side, constant, sideOp] =
    "constant" in r
      ? [l, r.constant, op]
      : "constant" in l
        ? [r, l.constant, FLIPPED[op]]
        : [l, undefined, op];
  if (!("constant" in r) && !("constant" in l))
    throw new UntranslatableWhen(
      "compares two values known only at run time: a Choice state compares a value with a constant",
    );
  if (constant !== null && typeof constant === "object")
    throw new UntranslatableWhen("compares with a list or map: a Choice state compares single values");
  const value = constant as Value;
  if ("rule" in side) return compareBoolean(side.rule, sideOp, value);
  if (!("ref" in side)) throw new Error("internal: a constant side was not folded");
  const rule = compareRef(side.ref, sideOp === "!=" ? "==" : sideOp, value);
  if (sideOp !== "!=") return rule;
  return "constant" in rule ? { constant: true } : { rule: { Not: rule.rule } };
}

/** `evaluate()` itself decides what is known now. */
function decide(left: unknown, op: Op, right: unknown): boolean {
  return Boolean(
    evaluate(
      {
        kind: "binary",
        op,
        left: { kind: "literal", value: left as Value as string },
        right: { kind: "literal", value: right as Value as string },
      },
      { inputs: {}, steps: {}, env: {} },
    ),
  );
}

/** `(a == b) == true`: the boolean a rule stands for, compared with a constant. */
function compareBoolean(rule: ChoiceRule, op: Op, value: Value): Term {
  const whenTrue = decide(true, op, value);
  const whenFalse = decide(false, op, value);
  if (whenTrue === whenFalse) return { constant: whenTrue };
  return { rule: whenTrue ? rule : { Not: rule } };
}

/** As `evaluate()` reads a value as a number: not empty, and `Number()` of it is not NaN. */
const numeric = (v: Value) => v !== "" && v !== undefined && !Number.isNaN(Number(v));

function compareRef(
  ref: Ref,
  op: Exclude<Op, "!=">,
  value: Value,
): { rule: ChoiceRule } | { constant: false } {
  const p = ref.path;
  const is = (test: "IsString" | "IsNumeric" | "IsBoolean", rule: ChoiceRule): ChoiceRule => ({
    And: [
      { Variable: p, [test]: true },
      { Variable: p, ...rule },
    ],
  });
  // `x == <missing var>` holds when x is missing too; nothing orders against a missing value.
  if (value === undefined)
    return op === "==" ? { rule: { Not: { Variable: p, IsPresent: true } } } : { constant: false };
  if (numeric(value) && !Number.isFinite(Number(value)))
    throw new UntranslatableWhen(`compares with ${String(value)}, which JSON cannot hold as a number`);
  const alternatives: ChoiceRule[] = [];
  // JSON's finite kinds of value are decided now, one by one, by evaluate() itself.
  if (!ref.text) {
    for (const b of [true, false])
      if (decide(b, op, value)) alternatives.push(is("IsBoolean", { BooleanEquals: b }));
    if (decide(null, op, value)) alternatives.push({ Variable: p, IsNull: true });
  }
  if (op === "==") {
    const texts = new Set<string>();
    if (numeric(value)) {
      texts.add(String(Number(value)));
      if (typeof value === "string" || typeof value === "boolean") texts.add(String(value));
      if (!ref.text) alternatives.push(is("IsNumeric", { NumericEquals: Number(value) }));
    } else if (typeof value === "string") texts.add(value);
    for (const t of [...texts].sort()) alternatives.push(is("IsString", { StringEquals: t }));
  } else if (numeric(value)) {
    if (ref.text)
      throw new UntranslatableWhen(
        `${ref.source} is text: a Choice state cannot compare it with the number ${String(value)} by ${op} (use ==, or compare in a step)`,
      );
    alternatives.push(is("IsNumeric", { [`Numeric${OP_NAME[op]}`]: Number(value) }));
    // Text that is not a number orders against a number written as text by the letters, and
    // not at all against a number; "" against a number is 0. (Text holding a number is not
    // ordered as one here.)
    if (typeof value === "string") alternatives.push(is("IsString", { [`String${OP_NAME[op]}`]: value }));
    else if (decide("", op, value)) alternatives.push(is("IsString", { StringEquals: "" }));
  } else if (typeof value === "string") {
    alternatives.push(is("IsString", { [`String${OP_NAME[op]}`]: value }));
    // Against "", evaluate() compares a number as with 0.
    if (value === "" && !ref.text) alternatives.push(is("IsNumeric", { [`Numeric${OP_NAME[op]}`]: 0 }));
  }
  if (alternatives.length === 0) return { constant: false };
  const any = alternatives.length === 1 ? alternatives[0]! : { Or: alternatives };
  return { rule: { And: [{ Variable: p, IsPresent: true }, any] } };
}

const OP_NAME: Record<Exclude<Op, "==" | "!=">, string> = {
  "<": "LessThan",
  "<=": "LessThanEquals",
  ">": "GreaterThan",
  ">=": "GreaterThanEquals",
};

/** A reference alone is its truthiness: present and not null, "", 0 or false. */
function truthy(ref: Ref): ChoiceRule {
  const p = ref.path;
  const present = { Variable: p, IsPresent: true };
  if (ref.text) return { And: [present, { Not: { Variable: p, StringEquals: "" } }] };
  return {
    And: [
      present,
      { Not: { Variable: p, IsNull: true } },
      {
        Not: {
          And: [
            { Variable: p, IsString: true },
            { Variable: p, StringEquals: "" },
          ],
        },
      },
      {
        Not: {
          And: [
            { Variable: p, IsNumeric: true },
            { Variable: p, NumericEquals: 0 },
          ],
        },
      },
      {
        Not: {
          And: [
            { Variable: p, IsBoolean: true },
            { Variable: p, BooleanEquals: false },
          ],
        },
      },
    ],
  };
}

function asRule(t: Term): ChoiceRule {
  if ("rule" in t) return t.rule;
  if ("ref" in t) return truthy(t.ref);
  throw new Error("internal: a constant reached a Choice rule");
}
