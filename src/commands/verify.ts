import { ExitCode } from "../errors.js";
import { loadExecution } from "./executions.js";
import { type CommandIO, writeLine } from "./io.js";

export async function verifyCommand(id: string, io: CommandIO): Promise<number> {
  const ex = await loadExecution(io, id);
  const v = ex.integrity;
  if (!v.ok) {
    const p = v.problem!;
    writeLine(
      io.stderr,
      `TAMPERED: ${id}: line ${p.line} (seq ${Number.isNaN(p.seq) ? "?" : p.seq}): ${p.message}`,
    );
    return ExitCode.tampered;
  }
  const torn =
    ex.tornTailBytes > 0
      ? ` (plus ${ex.tornTailBytes} bytes of an unfinished last line, cut off on resume)`
      : "";
  writeLine(io.stdout, `ok ${id}: ${v.events} events, chain verified, final hash ${v.finalHash}${torn}`);
  return ExitCode.completed;
}
