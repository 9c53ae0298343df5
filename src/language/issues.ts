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
  for (const issue of issues) {
    const path = [...base, ...(issue.path as (string | number)[])];
    const field = fieldName(path);
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) {
        const suggestion = closest(key, knownKeys?.(path) ?? []);
        out.push(
          map.diagnostic(
            [...path, key],
            `unknown field "${key}"${suggestion ? ` (did you mean "${suggestion}"?)` : ""}`,
            {
              key: true,
            },
          ),
        );
      }
    } else if (
      (issue.code === "invalid_type" || issue.code === "invalid_union") &&
      (issue as { input?: unknown }).input === undefined
    ) {
      out.push(map.diagnostic(path.slice(0, -1), `missing required field "${path.at(-1)}"`));
    } else if (issue.code === "invalid_value") {
      const values = (issue as { values: unknown[] }).values.map((v) => JSON.stringify(v)).join(", ");
      out.push(map.diagnostic(path, `${field}: expected ${values}`));
    } else if (issue.code === "invalid_union") {
      out.push(map.diagnostic(path, `${field}: ${issue.message}`));
    } else {
      out.push(map.diagnostic(path, `${field}: ${issue.message.replace(/^Invalid input: /, "")}`));
    }
  }
  return out;
}

function fieldName(path: Path): string {
  let s = "";
  for (const seg of path) s += typeof seg === "number" ? `[${seg}]` : s ? `.${seg}` : seg;
  return s || "document";
}

/** The known key nearest to a typo, if it is near enough to be what was meant. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const c of candidates) {
    const d = levenshtein(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}

function levenshtein(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}
