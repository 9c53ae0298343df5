import { achievedRtoMs } from "../journal/fold.js";
import { formatDuration } from "../language/duration.js";
import { homeOf, listExecutionIds, loadExecution } from "./executions.js";
import { type CommandIO, writeLine } from "./io.js";

export async function listCommand(
  opts: { runbook?: string; json?: boolean; stepfunctions?: boolean; env?: string; region?: string },
  io: CommandIO,
): Promise<number> {
  if (opts.stepfunctions) {
    const { listStepFunctionsExecutions } = await import("./list-stepfunctions.js");
    return listStepFunctionsExecutions(opts, io);
  }
  const executions = [];
  for (const id of listExecutionIds(homeOf(io))) executions.push(await loadExecution(io, id));
  const rows = executions
    .filter((ex) => !opts.runbook || ex.state.runbook.name === opts.runbook)
    .map(({ id, state: s, integrity }) => ({
      id,
      runbook: s.runbook.name,
      mode: s.mode,
      environment: s.environment,
      status: s.status,
      startedAt: s.startedAt,
      endedAt: s.endedAt ?? null,
      rtoMs: achievedRtoMs(s) ?? null,
      verified: integrity.ok,
      engine: s.engine ? "stepfunctions" : "local",
    }));
  if (opts.json) {
    writeLine(io.stdout, JSON.stringify(rows, null, 2));
    return 0;
  }
  if (rows.length === 0) {
    writeLine(io.stdout, "No executions yet. Start one with: runbook run <runbook>");
    return 0;
  }
  for (const r of rows) {
    const rto = r.rtoMs !== null ? `RTO ${formatDuration(r.rtoMs)}` : "";
    writeLine(
      io.stdout,
      [
        r.id.padEnd(48),
        r.status.padEnd(10),
        r.mode.padEnd(5),
        r.startedAt,
        rto,
        r.engine === "stepfunctions" ? "(Step Functions)" : "",
        r.verified ? "" : "TAMPERED",
      ]
        .filter(Boolean)
        .join("  "),
    );
  }
  return 0;
}
