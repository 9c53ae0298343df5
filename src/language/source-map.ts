import {
  Composer,
  type CST,
  Document,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  type Pair,
  type YAMLMap,
  YAMLParseError,
} from "yaml";
import { type Diagnostic, ValidationError } from "../errors.js";
import { isCoreTag, toPlainValue } from "./plain-value.js";
import { depthDiagnostic, parseCst, textProblems } from "./source-checks.js";

export type Path = readonly (string | number)[];

/**
 * A parsed YAML document that can say where any path of it was written. It is the one
 * entry for every YAML file the CLI reads (runbooks, environments, drill schedules and
 * scenarios): what it refuses, it refuses for all of them, each refusal at file:line:col.
 */
export class SourceMap {
  readonly doc: Document.Parsed;
  private readonly lines = new LineCounter();
  private readonly problems: Diagnostic[];
  private plain: { value: unknown } | undefined;
  /** Key → pair of each map looked up so far, so that positioning N diagnostics stays linear. */
  private readonly keyIndex = new WeakMap<YAMLMap, Map<string, Pair>>();

  constructor(
    readonly file: string,
    text: string,
  ) {
    this.problems = textProblems(text, file);
    if (this.problems.length > 0) {
      this.doc = emptyDocument();
      return;
    }
    const cst = parseCst(text, this.lines.addNewLine);
    if ("tooDeepAt" in cst) {
      this.doc = emptyDocument();
      this.problems.push(depthDiagnostic(file, this.lines.linePos(cst.tooDeepAt)));
      return;
    }
    this.doc = compose(cst.tokens, text.length);
    // An unknown tag is refused by toPlainValue, which says which tags are allowed.
    const warnings = this.doc.warnings.filter(
      (w) => w.code !== "TAG_RESOLVE_FAILED" || isCoreTag(w.message.replace(/^Unresolved tag: /, "")),
    );
    const yamlProblems = [...this.doc.errors, ...warnings].map((e) => {
      const message = e.message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "");
      return this.atOffset(e.pos[0], `YAML: ${message}`);
    });
    this.problems.push(...yamlProblems);
    // What yaml could not read, its errors say; the checks below are for what it did read.
    if (this.doc.errors.length > 0) return;
    const { value, problems } = toPlainValue(this.doc, (offset) => this.lines.linePos(offset).line);
    this.problems.push(...problems.map((p) => this.atOffset(p.offset, p.message)));
    this.plain = { value };
  }

  /** Everything refused in the text, in the order it appears; empty when the document is usable. */
  syntaxErrors(): Diagnostic[] {
    return [...this.problems].sort((a, b) => a.line - b.line || a.col - b.col);
  }

  /** The document as plain data (objects, arrays, strings, finite numbers, booleans, null). */
  value(): unknown {
    const problems = this.syntaxErrors();
    if (problems.length > 0 || !this.plain) throw new ValidationError(problems);
    return this.plain.value;
  }

  /**
   * Position of the node at `path`; `key: true` points at the mapping key instead of its
   * value. A path that does not exist (a missing field) points at the deepest node that does.
   */
  at(path: Path, opts: { key?: boolean } = {}): { line: number; col: number } {
    let node: unknown = this.doc.contents;
    let offset = rangeStart(node) ?? 0;
    for (let i = 0; i < path.length; i++) {
      const seg = path[i]!;
      const last = i === path.length - 1;
      if (isMap(node)) {
        const pair = this.pairOf(node, String(seg));
        if (!pair) break;
        if (last && opts.key) {
          offset = rangeStart(pair.key) ?? offset;
          node = undefined;
          break;
        }
        node = pair.value;
        // `key:` with no value has no value node: point at the key.
        offset = rangeStart(node) ?? rangeStart(pair.key) ?? offset;
      } else if (isSeq(node) && typeof seg === "number") {
        node = node.items[seg];
        if (node === undefined) break;
        offset = rangeStart(node) ?? offset;
      } else break;
    }
    const { line, col } = this.lines.linePos(offset);
    return { line, col };
  }

  diagnostic(path: Path, message: string, opts: { key?: boolean } = {}): Diagnostic {
    return { file: this.file, ...this.at(path, opts), message };
  }

  private atOffset(offset: number, message: string): Diagnostic {
    return { file: this.file, ...this.lines.linePos(offset), message };
  }

  private pairOf(map: YAMLMap, key: string): Pair | undefined {
    let index = this.keyIndex.get(map);
    if (!index) {
      index = new Map();
      for (const p of map.items) {
        if (isPair(p) && isScalar(p.key) && !index.has(String(p.key.value))) {
          index.set(String(p.key.value), p as Pair);
        }
      }
      this.keyIndex.set(map, index);
    }
    return index.get(key);
  }
}

/** What yaml's parseDocument does, from tokens already parsed (and measured for depth). */
function compose(tokens: CST.Token[], length: number): Document.Parsed {
  // Duplicate keys are found by toPlainValue: yaml's uniqueKeys compares every key with
  // every other (40,000 keys took 18 s here); the plain value's key set does it in one pass.
  const composer = new Composer({ prettyErrors: false, uniqueKeys: false });
  let doc: Document.Parsed | undefined;
  for (const next of composer.compose(tokens, true, length)) {
    if (!doc) doc = next;
    else {
      const message =
        "a file holds one YAML document: remove this --- and what follows, or move it to a file of its own";
      doc.errors.push(new YAMLParseError([next.range[0], next.range[1]], "MULTIPLE_DOCS", message));
      break;
    }
  }
  return doc ?? emptyDocument();
}

function emptyDocument(): Document.Parsed {
  return new Document(null) as Document.Parsed;
}

function rangeStart(node: unknown): number | undefined {
  return (node as Node | null | undefined)?.range?.[0];
}
