import { readdirSync } from "node:fs";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { executors } from "../../executors/index.js";
import { ExitCode, formatDiagnostic, UsageError, ValidationError } from "../errors.js";
import { readSourceText, UnreadableFileError } from "../language/source-text.js";
import { validateRunbook } from "../language/validate.js";
import { findProject } from "../project/project-config.js";
import { type CommandIO, writeLine } from "./io.js";

export async function validateCommand(
  files: string[],
  io: CommandIO,
  opts: { lint?: boolean } = {},
): Promise<number> {
  const targets = files.length > 0 ? files : defaultRunbooks(io.cwd);
  let invalid = 0;
  for (const file of targets) {
    const path = resolve(io.cwd, file);
    const shown = shownPath(path, io.cwd);
    try {
      const rb = validateRunbook(readSourceText(path, shown), shown, executors, {
        runbookDir: dirname(path),
      });
      const count = rb.steps.reduce((n, s) => n + (s.kind === "parallel" ? s.children.length : 1), 0);
      writeLine(
        io.stdout,
        `ok ${shown} (${rb.name}: ${count} steps, ${rb.abort.length} abort criteria, ${rb.environment})`,
      );
    } catch (err) {
      invalid++;
      if (err instanceof UnreadableFileError)
        writeLine(io.stderr, `${shown}: cannot read file (${err.reason})`);
      else if (err instanceof ValidationError) {
        for (const d of err.diagnostics) writeLine(io.stderr, formatDiagnostic(d));
      } else throw err;
    }
  }
  if (invalid > 0)
    writeLine(io.stderr, `${invalid} of ${targets.length} runbook${targets.length === 1 ? "" : "s"} invalid`);
  if (opts.lint) {
    // Lint reads the valid ones again; the invalid ones were reported above, once.
    const linted = await (await import("./lint.js")).lintFiles(targets, io, { quietInvalid: true });
    return invalid > 0 ? ExitCode.invalid : linted;
  }
  return invalid > 0 ? ExitCode.invalid : ExitCode.completed;
}

/** Relative to the working directory when the file is under it, else absolute. */
export function shownPath(path: string, cwd: string): string {
  const rel = relative(cwd, path);
  return rel && rel.split(sep)[0] !== ".." && !isAbsolute(rel) ? rel : path;
}

export function defaultRunbooks(cwd: string, verb = "validate"): string[] {
  const dir = findProject(cwd).runbooksDir;
  try {
    const found = readdirSync(dir)
      .filter((f) => /\.ya?ml$/.test(f))
      .sort();
    if (found.length > 0) return found.map((f) => join(dir, f));
  } catch {
    // fall through
  }
  throw new UsageError(`no runbooks to ${verb}: pass files, or run from a folder with runbooks/*.yaml`);
}
