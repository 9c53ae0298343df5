import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { executors } from "../../executors/index.js";
import { ExitCode, formatDiagnostic, UsageError, ValidationError } from "../errors.js";
import { validateRunbook } from "../language/validate.js";
import { type CommandIO, writeLine } from "./io.js";

export async function validateCommand(files: string[], io: CommandIO): Promise<number> {
  const targets = files.length > 0 ? files : defaultRunbooks(io.cwd);
  let invalid = 0;
  for (const file of targets) {
    const shown = relative(io.cwd, join(io.cwd, file)) || file;
    let text: string;
    try {
      text = readFileSync(join(io.cwd, file), "utf8");
    } catch {
      writeLine(io.stderr, `${shown}: cannot read file`);
      invalid++;
      continue;
    }
    try {
      const rb = validateRunbook(text, shown, executors);
      const count = rb.steps.reduce((n, s) => n + (s.kind === "parallel" ? s.children.length : 1), 0);
      writeLine(
        io.stdout,
        `ok ${shown} (${rb.name}: ${count} steps, ${rb.abort.length} abort criteria, ${rb.environment})`,
      );
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      invalid++;
      for (const d of err.diagnostics) writeLine(io.stderr, formatDiagnostic(d));
    }
  }
  if (invalid > 0)
    writeLine(io.stderr, `${invalid} of ${targets.length} runbook${targets.length === 1 ? "" : "s"} invalid`);
  return invalid > 0 ? ExitCode.invalid : ExitCode.completed;
}

function defaultRunbooks(cwd: string): string[] {
  try {
    const found = readdirSync(join(cwd, "runbooks"))
      .filter((f) => /\.ya?ml$/.test(f))
      .sort();
    if (found.length > 0) return found.map((f) => join("runbooks", f));
  } catch {
    // fall through
  }
  throw new UsageError("no runbooks to validate: pass files, or run from a folder with runbooks/*.yaml");
}
