import { dirname } from "node:path";
import { executors } from "../../executors/index.js";
import { UsageError } from "../errors.js";
import { isEnvironmentPath, locateProjectFile } from "../project/project-config.js";
import type { Runbook } from "./runbook.js";
import { readSourceText } from "./source-text.js";
import { validateRunbook } from "./validate.js";

/** A runbook argument is a file path, or a name looked up as runbooks/<name>.yaml. */
export function resolveRunbookPath(arg: string, cwd: string): string {
  const { path, lookedFor } = locateProjectFile(arg, cwd, "runbooks");
  if (path) return path;
  if (isEnvironmentPath(arg)) throw new UsageError(`no such runbook file: ${arg} (${lookedFor})`);
  throw new UsageError(
    `no runbook named "${arg}": looked for ${lookedFor}`,
    `List them with: ls ${dirname(lookedFor)}/`,
  );
}

export function loadRunbook(arg: string, cwd: string): Runbook {
  const path = resolveRunbookPath(arg, cwd);
  return validateRunbook(readSourceText(path), path, executors);
}
