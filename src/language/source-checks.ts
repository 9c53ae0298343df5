import { type CST, Lexer, Parser } from "yaml";
import type { Diagnostic } from "../errors.js";
import { MAX_SOURCE_BYTES, positionAt, sizeDiagnostic } from "./source-text.js";

/**
 * What is refused before the YAML parser sees the text: files too big, characters that are
 * invisible or that YAML reads differently from an editor, and nesting deep enough to
 * exhaust the stack. yaml catches its own stack overflows at ~1,000 levels, but one that
 * lands in V8's regexp compiler aborts the whole process ("RegExpCompiler Allocation
 * failed", seen at 10,000 nested `[`), so depth is measured on the parser's flat token
 * tree, without recursion, before anything recursive runs.
 */

/** Real runbooks nest 6 to 8 levels; yaml, zod and our own walks are safe far deeper. */
export const MAX_NESTING_DEPTH = 64;

// Tab, newline and CR are the only control characters a YAML file needs. The rest of this
// set is invisible in editors or is read by YAML as something else (U+2028 as a space,
// a lone CR as a line break that no editor's line number agrees with).
const UNWANTED =
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u2028\u2029\uFEFF\uFFFE\uFFFF]|\r(?!\n)|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

export function textProblems(text: string, file: string): Diagnostic[] {
  // A JS string is never shorter in UTF-16 units than its UTF-8 encoding in bytes is long.
  if (text.length > MAX_SOURCE_BYTES || Buffer.byteLength(text, "utf8") > MAX_SOURCE_BYTES) {
    return [sizeDiagnostic(file, Buffer.byteLength(text, "utf8"))];
  }
  const found = [...text.matchAll(UNWANTED)];
  const first = found[0];
  if (!first) return [];
  const more =
    found.length > 1
      ? ` (${found.length - 1} more such character${found.length > 2 ? "s" : ""} in the file)`
      : "";
  return [
    { file, ...positionAt(text, first.index), message: `${describeCharacter(first[0], first.index)}${more}` },
  ];
}

function describeCharacter(char: string, offset: number): string {
  const code = `U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`;
  if (char === "\uFEFF")
    return `remove the byte-order mark (U+FEFF)${offset === 0 ? " at the start of the file" : ": an invisible character"}`;
  if (char === "\r")
    return "a carriage return without a newline: save the file with LF (or CRLF) line endings";
  if (char === "\u2028" || char === "\u2029")
    return `${code} (a Unicode line separator) is not allowed: YAML reads it as a space; use a newline`;
  if (char >= "\uD800" && char <= "\uDFFF") return `${code} is half of a surrogate pair, not a character`;
  if (char === "\uFFFE" || char === "\uFFFF") return `${code} is not a character`;
  return `control character ${code} is not allowed (only tab, newline and carriage return are)`;
}

/**
 * The CST of `text`, or the offset where it nests deeper than MAX_NESTING_DEPTH. The parser
 * is fed one lexeme at a time so that it stops there: left to run, yaml's parser spends
 * seconds on a megabyte of `[` before the depth could even be measured.
 */
export function parseCst(
  text: string,
  onNewLine: (offset: number) => void,
): { tokens: CST.Token[] } | { tooDeepAt: number } {
  const parser = new Parser(onNewLine);
  onNewLine(0); // as Parser.parse() does for the first line
  const tokens: CST.Token[] = [];
  for (const lexeme of new Lexer().lex(text)) {
    for (const token of parser.next(lexeme)) tokens.push(token);
    // The parser's stack is the chain of open tokens: its collections are the nesting here.
    if (parser.stack.length > MAX_NESTING_DEPTH) {
      const open = parser.stack.filter(isCollection);
      if (open.length > MAX_NESTING_DEPTH) return { tooDeepAt: open[MAX_NESTING_DEPTH]!.offset };
    }
  }
  for (const token of parser.end()) tokens.push(token);
  const deep = tooDeepAt(tokens);
  return deep === undefined ? { tokens } : { tooDeepAt: deep };
}

function isCollection(token: CST.Token): boolean {
  return token.type === "block-map" || token.type === "block-seq" || token.type === "flow-collection";
}

/**
 * Offset of the first collection nested deeper than MAX_NESTING_DEPTH, walking the CST with
 * an explicit stack; undefined when the text nests within bounds.
 */
function tooDeepAt(tokens: readonly CST.Token[]): number | undefined {
  const stack: [CST.Token, number][] = tokens.map((t) => [t, 0] as [CST.Token, number]).reverse();
  while (stack.length > 0) {
    const [token, depth] = stack.pop()!;
    if (token.type === "document") {
      if (token.value) stack.push([token.value, depth]);
      continue;
    }
    if (!isCollection(token) || !("items" in token)) continue;
    if (depth + 1 > MAX_NESTING_DEPTH) return token.offset;
    const children: CST.Token[] = [];
    for (const item of token.items) {
      if ("key" in item && item.key) children.push(item.key);
      if (item.value) children.push(item.value);
    }
    // Reversed so that the first child is walked first: the position reported is the earliest.
    for (let i = children.length - 1; i >= 0; i--) stack.push([children[i]!, depth + 1]);
  }
  return undefined;
}

export function depthDiagnostic(file: string, position: { line: number; col: number }): Diagnostic {
  return {
    file,
    ...position,
    message: `nested more than ${MAX_NESTING_DEPTH} levels deep: flatten the structure`,
  };
}
