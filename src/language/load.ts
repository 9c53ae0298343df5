import { existsSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import { executors } from "../../executors/index.js";
import { UsageError } from "../errors.js";
import type { Runbook } from "./runbook.js";
import { readSourceText } from "./source-text.js";
import { validateRunbook } from "./validate.js";

/** A runbook argument is a file path, or a name looked up as runbooks/<name>.yaml. */
export function resolveRunbookPath(arg: string, cwd: string): string {
  const direct = isAbsolute(arg) ? arg : resolve(cwd, arg);
  if (/\.ya?ml$/.test(arg) || arg.includes("/")) {
    if (!existsSync(direct)) throw new UsageError(`no such runbook file: ${arg}`);
    return direct;
  }
  for (const ext of [".yaml", ".yml"]) {
    const candidate = join(cwd, "runbooks", `${arg}${ext}`);
    if (existsSync(candidate)) return candidate;
  }
  throw new UsageError(
    `no runbook named "${arg}": looked for runbooks/${arg}.yaml`,
    "List them with: ls runbooks/",
  );
}

export function loadRunbook(arg: string, cwd: string): Runbook {
  const path = resolveRunbookPath(arg, cwd);
  return validateRunbook(readSourceText(path), path, executors);
}
