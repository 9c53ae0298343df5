import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type Expr, evaluate, parseExpression } from "../../src/language/expressions.js";
import { type FoldScope, translateWhen, UntranslatableWhen } from "../../src/stepfunctions/when-choice.js";
import { localMachine } from "./export-fixtures.js";

/**
 * A `when` translated to a Choice rule decides as `evaluate()` does: random expressions over
 * inputs, step outputs and vars, decided by aws-local-stepfunctions (an ASL interpreter that is
 * not ours) against the local engine's evaluator, on random values.
 */

const fold: FoldScope = {
  vars: { mode: "graceful", limit: 5, on: true },
  runbook: "rb",
  environment: "sandbox",
};

/** Inputs are text; numbers in it are in their canonical form (the documented limit). */
const INPUT_VALUES = ["", "graceful", "ungraceful", "0", "1", "5", "-3", "2.5", "true", "false", "abc"];
/** Step outputs are any JSON; numbers as text are not ordered against numbers (the documented limit). */
const OUTPUT_VALUES: unknown[] = [
  null,
  true,
  false,
  0,
  1,
  5,
  -3,
  2.5,
  "",
  "graceful",
  "abc",
  "true",
  "false",
];
const LITERALS: Expr[] = [
  ...["", "graceful", "ungraceful", "0", "5", "05", "2.5", "true", "abc"].map((value) => ({
    kind: "literal" as const,
    value,
  })),
  ...[0, 1, 5, -3, 2.5].map((value) => ({ kind: "literal" as const, value })),
  { kind: "literal", value: true },
  { kind: "literal", value: false },
  { kind: "literal", value: null },
];
const REFS: Expr[] = [
  ...["a", "b"].map((n) => ({ kind: "ref" as const, path: ["inputs", n] })),
  ...["x", "y"].map((k) => ({ kind: "ref" as const, path: ["steps", "s", "outputs", k] })),
  ...["mode", "limit", "on", "missing"].map((v) => ({ kind: "ref" as const, path: ["vars", v] })),
  { kind: "ref", path: ["run", "environment"] },
  { kind: "ref", path: ["run", "mode"] },
];

const COMPARISONS = ["==", "!=", "<", "<=", ">", ">="] as const;
const { expr } = fc.letrec<{ expr: Expr; leaf: Expr }>((tie) => ({
  leaf: fc.oneof(
    { arbitrary: fc.constantFrom(...REFS), weight: 2 },
    { arbitrary: fc.constantFrom(...LITERALS), weight: 1 },
  ),
  expr: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    tie("leaf"),
    fc.record({
      kind: fc.constant("binary" as const),
      op: fc.constantFrom(...COMPARISONS),
      left: tie("leaf"),
      right: tie("leaf"),
    }),
    fc.record({ kind: fc.constant("not" as const), operand: tie("expr") }),
    fc.record({
      kind: fc.constant("binary" as const),
      op: fc.constantFrom("&&" as const, "||" as const),
      left: tie("expr"),
      right: tie("expr"),
    }),
  ),
}));

/** What an author would write for the expression (parenthesised all the way). */
function source(e: Expr): string {
  if (e.kind === "literal") return typeof e.value === "string" ? `'${e.value}'` : String(e.value);
  if (e.kind === "ref") return e.path.join(".");
  if (e.kind === "not") return `!(${source(e.operand)})`;
  return `(${source(e.left)} ${e.op} ${source(e.right)})`;
}

const maybe = <T>(values: readonly T[]) => fc.option(fc.constantFrom(...values), { nil: undefined });
const world = fc.record({
  a: maybe(INPUT_VALUES),
  b: maybe(INPUT_VALUES),
  x: maybe(OUTPUT_VALUES),
  y: maybe(OUTPUT_VALUES),
  mode: fc.constantFrom("run", "drill"),
});

async function decidedBySfn(rule: object, state: object): Promise<boolean> {
  const machine = localMachine({
    StartAt: "when",
    States: {
      when: { Type: "Choice", Choices: [{ ...rule, Next: "yes" }], Default: "no" },
      // Strings: the interpreter takes a Pass's `Result: false` for no Result at all.
      yes: { Type: "Pass", Result: "yes", End: true },
      no: { Type: "Pass", Result: "no", End: true },
    },
  });
  const decided = await machine.run(state as never).result;
  if (decided !== "yes" && decided !== "no")
    throw new Error(`the Choice state gave ${JSON.stringify(decided)}`);
  return decided === "yes";
}

describe("when → Choice rule", () => {
  it("decides as evaluate() does, on random expressions and values", async () => {
    let translated = 0;
    await fc.assert(
      fc.asyncProperty(expr, world, async (e, w) => {
        const text = `\${{ ${source(e)} }}`;
        // The printed expression parses back to what was generated.
        expect(parseExpression(source(e))).toEqual(e);
        let t: ReturnType<typeof translateWhen>;
        try {
          t = translateWhen(text, fold);
        } catch (err) {
          if (!(err instanceof UntranslatableWhen)) throw err;
          // The refusals these expressions can meet: text (inputs, run.mode) ordered against a
          // number, and two values known only at run time compared.
          expect(err.message).toMatch(
            /is text: a Choice state cannot compare it with the number|compares two values known only at run time/,
          );
          return;
        }
        const defined = <T extends Record<string, unknown>>(o: T) =>
          Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
        const inputs = defined({ a: w.a, b: w.b });
        const outputs = defined({ x: w.x, y: w.y });
        const expected = Boolean(
          evaluate(e, {
            inputs,
            steps: { s: { outputs } },
            env: {},
            vars: fold.vars,
            run: { runbook: fold.runbook, environment: fold.environment, mode: w.mode },
          }),
        );
        if ("constant" in t) {
          expect(t.constant).toBe(expected);
          return;
        }
        translated++;
        const state = { run: { mode: w.mode, inputs }, steps: { s: { outputs } } };
        expect(await decidedBySfn(t.rule, state), `${text} with ${JSON.stringify(state)}`).toBe(expected);
      }),
      { numRuns: 400 },
    );
    // Many cases reach a real Choice state, not a constant folded at export or a refusal.
    expect(translated).toBeGreaterThan(80);
  });

  it("folds what export knows: vars, run.runbook, run.environment", () => {
    expect(translateWhen("${{ vars.mode == 'graceful' && run.environment == 'sandbox' }}", fold)).toEqual({
      constant: true,
    });
    expect(translateWhen("${{ vars.limit > 7 }}", fold)).toEqual({ constant: false });
    // Text around an expression is a non-empty string: always true.
    expect(translateWhen("mode ${{ inputs.a }}", fold)).toEqual({ constant: true });
  });

  it("refuses what a Choice state cannot compute", () => {
    for (const [when, message] of [
      ["${{ run.rtoMs > 1000 }}", /run.rtoMs is measured while the run goes/],
      ["${{ env.HOME == 'x' }}", /env.HOME is the operator's shell/],
      ["${{ inputs.a == inputs.b }}", /compares two values known only at run time/],
      ["${{ inputs.a >= 3 }}", /inputs.a is text/],
    ] as const)
      expect(() => translateWhen(when, fold), when).toThrow(message);
  });
});
