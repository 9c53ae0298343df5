import { ExpressionError, parseTemplate, type TemplatePart } from "./expressions.js";

/**
 * The expression parser and evaluator recurse once per parenthesis, `!` and operator: 5,000
 * nested parentheses exhaust the stack (a RangeError, not an ExpressionError). Real
 * expressions are one line; capping their length keeps every one of them far from that.
 */
export const MAX_EXPRESSION_LENGTH = 1000;

const EXPRESSION = /\$\{\{([\s\S]*?)\}\}/g;

/** parseTemplate, refusing first an expression long enough to recurse too deep. */
export function parseBoundedTemplate(text: string): TemplatePart[] {
  for (const match of text.matchAll(EXPRESSION)) {
    const length = match[1]!.trim().length;
    if (length > MAX_EXPRESSION_LENGTH) {
      throw new ExpressionError(
        `an expression is at most ${MAX_EXPRESSION_LENGTH} characters; this one has ${length}`,
      );
    }
  }
  return parseTemplate(text);
}
