import {
  type Document,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  type Node,
  type Pair,
  type Scalar,
} from "yaml";

/**
 * A parsed YAML document → the plain value the schemas check (objects, arrays, strings,
 * finite numbers, booleans, null), refusing on the way what YAML allows but a runbook must
 * not contain, each at its offset.
 *
 * yaml's own toJS() is not used: its alias resolution scans the document once per alias
 * (20,000 aliases in 400 KiB took 13 s here), its `maxAliasCount` error says neither which
 * alias nor where, a collection used as a key makes it print a process warning, and
 * `!!binary` comes back as a Buffer. One walk here does the checks and the conversion.
 */

/**
 * At most this many values may come from aliases (an alias of a 5-value map counts 5).
 * Aliases share one value, but everything after parsing (schemas, templates, the journal's
 * JSON) walks them out in full: 8 anchors of 9 aliases each would be 43 million values.
 */
export const MAX_ALIASED_VALUES = 10_000;

// Only the core schema's own tags: they can only say again what the value already is (a
// string, a number...), so `!!str 1.10` keeps working. Any other tag asks for a type the
// language has no use for (`!!binary` is a Buffer, `!!python/object` an attack on other
// parsers) or a local meaning nothing here gives it, so those are refused, not ignored.
const CORE_TAGS = new Set(
  ["str", "int", "float", "bool", "null", "seq", "map"].map((t) => `tag:yaml.org,2002:${t}`),
);

export function isCoreTag(tag: string): boolean {
  return CORE_TAGS.has(tag);
}

export interface Problem {
  offset: number;
  message: string;
}

export function toPlainValue(
  doc: Document.Parsed,
  lineAt: (offset: number) => number,
): { value: unknown; problems: Problem[] } {
  const walk = new PlainValueWalk(lineAt);
  const version = doc.directives?.yaml;
  if (version?.explicit && version.version !== "1.2") {
    walk.problems.push({
      offset: 0,
      message: `only YAML 1.2 is read: remove the %YAML ${version.version} line (there yes/no are booleans and 0777 is octal)`,
    });
  }
  const [value] = walk.convert(doc.contents);
  return { value, problems: walk.problems };
}

/** A value and how many values it holds, itself included, with what aliases repeat counted in full. */
type Converted = [value: unknown, size: number];

class PlainValueWalk {
  readonly problems: Problem[] = [];
  /** The latest node defining each anchor so far, in document order (as YAML resolves them). */
  private readonly anchors = new Map<string, Node>();
  /** Anchored nodes being converted: an alias to one of them is a cycle. */
  private readonly open = new Set<Node>();
  private readonly converted = new Map<Node, Converted>();
  private aliased = 0;

  constructor(private readonly lineAt: (offset: number) => number) {}

  convert(node: unknown): Converted {
    if (node === null || node === undefined) return [null, 1];
    if (isAlias(node)) return this.alias(node);
    const n = node as Node;
    if (n.anchor) {
      this.anchors.set(n.anchor, n);
      this.open.add(n);
    }
    if (n.tag && !isCoreTag(n.tag)) {
      this.report(
        n,
        `tag ${shownTag(n.tag)} is not allowed: remove it (only !!str, !!int, !!float, !!bool, !!null, !!seq and !!map are)`,
      );
    }
    let result: Converted;
    // What a refused tag made of the value (a Buffer for !!binary) is not looked at.
    if (n.tag && !isCoreTag(n.tag)) result = [null, 1];
    else if (isScalar(n)) result = [this.scalar(n), 1];
    else if (isMap(n)) result = this.pairs(n.items);
    else if (isSeq(n)) result = this.sequence(n.items);
    else {
      this.report(n, "not a value YAML can give here");
      result = [null, 1];
    }
    if (n.anchor) {
      this.open.delete(n);
      this.converted.set(n, result);
    }
    return result;
  }

  private alias(alias: Node & { source: string }): Converted {
    const target = this.anchors.get(alias.source);
    if (!target) {
      this.report(alias, `alias *${alias.source} has no anchor &${alias.source} before it`);
      return [null, 1];
    }
    const done = this.converted.get(target);
    if (this.open.has(target) || !done) {
      this.report(alias, `alias *${alias.source} is inside the value it repeats (&${alias.source}): a cycle`);
      return [null, 1];
    }
    const [value, size] = done;
    const before = this.aliased;
    this.aliased += size;
    if (before <= MAX_ALIASED_VALUES && this.aliased > MAX_ALIASED_VALUES) {
      this.report(
        alias,
        `alias *${alias.source} makes aliases repeat more than ${MAX_ALIASED_VALUES} values: aliases are for repeating small values, not for multiplying data`,
      );
    }
    return [value, size];
  }

  private scalar(node: Scalar): unknown {
    const value = node.value;
    const written = String(node.source ?? value);
    if (typeof value === "number") {
      if (!Number.isFinite(value))
        this.report(node, `${written} is not a finite number: quote it if it is text`);
      else if (Number.isInteger(value) && !Number.isSafeInteger(value)) {
        this.report(node, `${written} is too large to be an exact number: quote it`);
      }
    } else if (value !== null && typeof value !== "string" && typeof value !== "boolean") {
      this.report(node, `${written} is not a plain value`);
    }
    return value;
  }

  private pairs(items: readonly Pair<unknown, unknown>[]): Converted {
    const out: Record<string, unknown> = {};
    const firstLine = new Map<string, number>();
    let size = 1;
    for (const pair of items) {
      const key = this.key(pair.key);
      const [value, valueSize] = this.convert(pair.value);
      size += key.size + valueSize;
      if (key.name === undefined) continue;
      const offset = rangeStart(pair.key);
      const first = firstLine.get(key.name);
      if (first !== undefined) {
        this.report(
          pair.key,
          `duplicate key "${key.name}" (first at line ${first}): map keys must be unique`,
        );
        continue;
      }
      firstLine.set(key.name, this.lineAt(offset));
      out[key.name] = value;
    }
    return [out, size];
  }

  private key(node: unknown): { name?: string; size: number } {
    const [value, size] = this.convert(node);
    if (value !== null && typeof value === "object") {
      this.report(node, "a key must be a single value, not a list or a map");
      return { size };
    }
    const name = value === null ? "" : String(value);
    if (name === "") this.report(node, "a key is empty");
    else if (name === "<<") this.report(node, "merge keys (<<) are not supported: write the fields out");
    // Assigned to a JS object, this key would replace the object's prototype.
    else if (name === "__proto__") this.report(node, `"__proto__" is not allowed as a key`);
    else return { name, size };
    return { size };
  }

  private sequence(items: readonly unknown[]): Converted {
    const out: unknown[] = [];
    let size = 1;
    for (const item of items) {
      // `[a: 1]` is a flow sequence of one-pair maps.
      const [value, itemSize] = isPair(item) ? this.pairs([item]) : this.convert(item);
      out.push(value);
      size += itemSize;
    }
    return [out, size];
  }

  private report(node: unknown, message: string): void {
    this.problems.push({ offset: rangeStart(node), message });
  }
}

function shownTag(tag: string): string {
  return tag.startsWith("tag:yaml.org,2002:") ? `!!${tag.slice("tag:yaml.org,2002:".length)}` : tag;
}

function rangeStart(node: unknown): number {
  return (node as Node | null | undefined)?.range?.[0] ?? 0;
}
