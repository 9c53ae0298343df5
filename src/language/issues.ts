import type { z } from "zod";
import type { Diagnostic } from "../errors.js";
import type { Path, SourceMap } from "./source-map.js";

/** Turn zod issues into positioned diagnostics an operator can act on. */
export function issuesToDiagnostics(
  issues: readonly z.core.$ZodIssue[],
  map: SourceMap,
  base: Path,
  knownKeys?: (path: Path) => string[] | undefined,
): Diagnostic[] {
  const out: Diagnostic[] = [];
  const unknownField = (path: Path, key: string) => {
    const suggestion = closest(key, knownKeys?.(path) ?? []);
    const hint = suggestion ? ` (did you mean "${suggestion}"?)` : "";
    out.push(map.diagnostic([...path, key], `unknown field "${key}"${hint}`, { key: true }));
  };
  for (const issue of issues) {
    const path = [...base, ...(issue.path as (string | number)[])];
    const field = fieldName(path);
    const unionErrors = issue.code === "invalid_union" ? issue.errors : [];
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) unknownField(path, key);
    } else if (
      (issue.code === "invalid_type" || issue.code === "invalid_union") &&
      (issue as { input?: unknown }).input === undefined
    ) {
      out.push(map.diagnostic(path.slice(0, -1), `missing required field "${path.at(-1)}"`));
    } else if (issue.code === "invalid_value") {
      const values = (issue as { values: unknown[] }).values.map((v) => JSON.stringify(v)).join(", ");
      out.push(map.diagnostic(path, `${field}: expected ${values}`));
    } else if (unknownInEveryOption(unionErrors).length > 0) {
      // `{ wiat: 1s }` fails every shape of a union for the same typo: that typo is the news.
      for (const key of unknownInEveryOption(unionErrors)) unknownField(path, key);
    } else if (wrongTypeForEveryOption(unionErrors).length > 0) {
      out.push(
        map.diagnostic(path, `${field}: expected ${wrongTypeForEveryOption(unionErrors).join(" or ")}`),
      );
    } else if (issue.code === "invalid_union") {
      out.push(map.diagnostic(path, `${field}: ${issue.message}`));
    } else {
      out.push(map.diagnostic(path, `${field}: ${issue.message.replace(/^Invalid input: /, "")}`));
    }
  }
  return out;
}

/** The keys every option of a failed union refused as unrecognized at the union's own level. */
function unknownInEveryOption(options: readonly (readonly z.core.$ZodIssue[])[]): string[] {
  const perOption = options.map((issues) =>
    issues.flatMap((i) => (i.code === "unrecognized_keys" && i.path.length === 0 ? i.keys : [])),
  );
  return perOption.length === 0
    ? []
    : perOption[0]!.filter((k) => perOption.every((keys) => keys.includes(k)));
}

/** `expected boolean or object` when the value is of a type no option of the union takes. */
function wrongTypeForEveryOption(options: readonly (readonly z.core.$ZodIssue[])[]): string[] {
  const expected = options.map((issues) =>
    issues.length === 1 && issues[0]!.code === "invalid_type" && issues[0]!.path.length === 0
      ? issues[0]!.expected
      : undefined,
  );
  return expected.length > 0 && expected.every((e) => e !== undefined) ? [...new Set(expected)] : [];
}

function fieldName(path: Path): string {
  let s = "";
  for (const seg of path) s += typeof seg === "number" ? `[${seg}]` : s ? `.${seg}` : seg;
  return s || "document";
}

/**
 * The known key an unknown one was most likely meant as, or undefined when none is near.
 * Case, `-` and `_` are ignored (`timeOut`, `time_out`); a prefix or an abbreviation of a
 * known key (`desc`, `cmd`) is taken before a spelling mistake; a spelling mistake
 * (`retires`, `aproval`, `whne`) may cost up to 40% of the longer word's letters in edits,
 * swapped neighbours counting as one, so that a short word is never "near" an unrelated one.
 */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  const typed = normalized(word);
  let best: { key: string; rank: number; distance: number } | undefined;
  for (const key of candidates) {
    const known = normalized(key);
    if (known === typed) return key;
    const rank = isPrefixOrAbbreviation(typed, known) ? 0 : 1;
    const allowed = Math.max(1, Math.round(0.4 * Math.max(typed.length, known.length)));
    // The length difference alone is a lower bound of the distance: no need to compute it.
    if (rank === 1 && Math.abs(typed.length - known.length) > allowed) continue;
    const distance = editDistance(typed, known);
    if (rank === 1 && distance > allowed) continue;
    if (!best || rank < best.rank || (rank === best.rank && distance < best.distance)) {
      best = { key, rank, distance };
    }
  }
  return best?.key;
}

function normalized(word: string): string {
  return word.toLowerCase().replace(/[-_]/g, "");
}

/** `time` for `timeout`, `timeoutMs` for `timeout`, `cmd` for `command`, `def` for `default`. */
function isPrefixOrAbbreviation(typed: string, known: string): boolean {
  const shorter = Math.min(typed.length, known.length);
  if (shorter >= 4 && (known.startsWith(typed) || typed.startsWith(known))) return true;
  if (typed.length < 3 || typed.length < 0.4 * known.length || typed[0] !== known[0]) return false;
  let at = 0;
  for (const letter of typed) {
    at = known.indexOf(letter, at) + 1;
    if (at === 0) return false;
  }
  return true;
}

/** Optimal string alignment distance: insertions, deletions, substitutions, adjacent swaps. */
function editDistance(a: string, b: string): number {
  let beforePrevious: number[] = [];
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d = Math.min(d, beforePrevious[j - 2]! + 1);
      }
      current.push(d);
    }
    beforePrevious = previous;
    previous = current;
  }
  return previous[b.length]!;
}
