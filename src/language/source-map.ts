import { type Document, isMap, isPair, isScalar, isSeq, LineCounter, type Node, parseDocument } from "yaml";
import type { Diagnostic } from "../errors.js";

export type Path = readonly (string | number)[];

/** A parsed YAML document that can say where any path of it was written. */
export class SourceMap {
  readonly doc: Document.Parsed;
  private readonly lines = new LineCounter();

  constructor(
    readonly file: string,
    text: string,
  ) {
    this.doc = parseDocument(text, { lineCounter: this.lines, prettyErrors: false, uniqueKeys: true });
  }

  syntaxErrors(): Diagnostic[] {
    return this.doc.errors.map((e) => {
      const pos = e.linePos?.[0] ?? this.lines.linePos(e.pos[0]);
      const message = e.message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "");
      return { file: this.file, line: pos.line, col: pos.col, message: `YAML: ${message}` };
    });
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
        const pair = node.items.find(
          (p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg),
        );
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
}

function rangeStart(node: unknown): number | undefined {
  return (node as Node | null | undefined)?.range?.[0];
}
