import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { executors } from "../../executors/index.js";
import { environmentKind } from "../../src/environment/environment.js";
import { ValidationError } from "../../src/errors.js";
import { MAX_EXPRESSION_LENGTH, parseBoundedTemplate } from "../../src/language/bounded-template.js";
import { ExpressionError } from "../../src/language/expressions.js";
import { validateRunbook } from "../../src/language/validate.js";

const runbookWith = (message: string) => `apiVersion: runbook/v1
kind: Runbook
metadata: { name: x, environment: sandbox }
inputs: { a: {} }
steps:
  - { id: a, type: note, with: { message: "${message}" } }
`;

describe("parseBoundedTemplate", () => {
  it("parses what parseTemplate parses", () => {
    expect(parseBoundedTemplate("x ${{ inputs.a == 'b' }} y")).toHaveLength(3);
  });

  it(`refuses an expression over ${MAX_EXPRESSION_LENGTH} characters with an ExpressionError`, () => {
    const long = `\${{ ${"(".repeat(600)}1${")".repeat(600)} }}`;
    expect(() => parseBoundedTemplate(long)).toThrow(ExpressionError);
    expect(() => parseBoundedTemplate(long)).toThrow(
      "an expression is at most 1000 characters; this one has 1201",
    );
  });
});

describe("expressions deep enough to exhaust the stack are refused, not crashed on", () => {
  it.each([
    ["20,000 chained ==", Array(20_000).fill("inputs.a").join(" == ")],
    ["6,000 nested parentheses", `${"(".repeat(6000)}1${")".repeat(6000)}`],
    ["20,000 !", `${"!".repeat(20_000)}inputs.a`],
  ])("%s in a runbook", (_name, expression) => {
    try {
      validateRunbook(runbookWith(`\${{ ${expression} }}`), "x.yaml", executors);
    } catch (err) {
      expect(err).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).message).toMatch(
        /^x\.yaml:6:43: bad expression: an expression is at most 1000 characters; this one has \d+$/,
      );
      return;
    }
    throw new Error("accepted");
  });

  it("a broken expression in an environment's vars is found when the file is read", () => {
    const dir = mkdtempSync(join(tmpdir(), "runbook-env-expr-"));
    mkdirSync(join(dir, "environments"));
    const file = join(dir, "environments", "e.yaml");
    writeFileSync(
      file,
      'apiVersion: runbook/v1\nkind: Environment\nmetadata: { name: e, environment: sandbox }\nvars:\n  url: "${{ sandbox.edge"\n',
    );
    expect(() => environmentKind("e", dir)).toThrow(`${file}:5:8: vars.url: bad expression: unclosed \${{`);
  });
});
