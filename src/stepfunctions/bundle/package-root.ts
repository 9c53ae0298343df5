import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * This package's own folder (where package.json says `runbook`), found from the running
 * module, whether it runs from `src/` (tests, tsx) or from `dist/` (the built CLI, whose
 * chunks live one folder deeper): the runner's sources and its worker are found from it.
 */
let root: string | undefined;

export function packageRoot(): string {
  if (root) return root;
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const pkg = join(dir, "package.json");
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, "utf8")) as { name?: string }).name === "runbook") {
      root = dir;
      return dir;
    }
    if (dirname(dir) === dir) throw new Error("cannot find the runbook package's folder above its own code");
  }
}

/** Running from TypeScript sources (tests, tsx) rather than the built `dist/`. */
export function runningFromSources(): boolean {
  return import.meta.url.endsWith(".ts");
}
