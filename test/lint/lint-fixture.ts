import { readdirSync } from "node:fs";
import { basename, dirname, join, relative } from "node:path";
import { executors } from "../../executors/index.js";
import { readSourceText } from "../../src/language/source-text.js";
import { validateRunbook } from "../../src/language/validate.js";
import { lintRunbook } from "../../src/lint/lint-runbook.js";

export const ROOT = new URL("../..", import.meta.url).pathname;
export const FIXTURES = join(ROOT, "test", "fixtures", "lint");

/** Validate (it must pass) and lint a file as `runbook lint` does, shown relative to the repository. */
export function lintFile(path: string, siblings?: string[]) {
  const shown = relative(ROOT, path);
  const text = readSourceText(path, shown);
  const runbook = validateRunbook(text, shown, executors, { runbookDir: dirname(path) });
  const beside = siblings ?? readdirSync(dirname(path)).filter((f) => f !== basename(path));
  return lintRunbook({ runbook, text, file: shown, registry: executors, siblings: beside });
}

export function lintFixture(name: string, siblings?: string[]) {
  return lintFile(join(FIXTURES, name), siblings);
}

export const ruleIds = (r: { findings: { ruleId: string }[] }) => [
  ...new Set(r.findings.map((f) => f.ruleId)),
];

/** Lint a runbook given as text (file name `<name>.yaml`, nothing beside it). */
export function lintText(name: string, text: string) {
  const file = `${name}.yaml`;
  const runbook = validateRunbook(text, file, executors);
  return lintRunbook({ runbook, text, file, registry: executors, siblings: [] });
}
