import { readLock } from "../engine/lock.js";
import { achievedRtoMs, observedRpoMs } from "../journal/fold.js";
import { homeOf, loadExecution } from "./executions.js";
import { type CommandIO, writeLine } from "./io.js";
import { renderStatus } from "./status-view.js";

export async function statusCommand(id: string, opts: { json?: boolean }, io: CommandIO): Promise<number> {
  const ex = await loadExecution(io, id);
  const s = ex.state;
  // The journal says "running" until a terminal event; only the lock can tell a live run from a dead one.
  let live: string = s.status;
  if (s.status === "running") {
    const lock = readLock(homeOf(io), s.runbook.name);
    live = lock && lock.executionId === id && lock.alive ? "running" : "interrupted";
  }
  if (opts.json) {
    const steps = [...s.steps.values()];
    writeLine(
      io.stdout,
      JSON.stringify(
        {
          executionId: id,
          runbook: s.runbook.name,
          environment: s.environment,
          mode: s.mode,
          status: live,
          startedAt: s.startedAt,
          endedAt: s.endedAt ?? null,
          rto: { achievedMs: achievedRtoMs(s) ?? null, objectiveMs: s.objectives.rtoMs ?? null },
          rpo: {
            observedMs: observedRpoMs(s) ?? null,
            objectiveMs: s.objectives.rpoMs ?? null,
            // The exact RPO `runbook reconcile` read from the old primary, once it ran.
            reconciledMs: s.reconciled?.rpoMs ?? null,
            reconciledAt: s.reconciled?.at ?? null,
          },
          milestones: s.milestones,
          steps,
          journal: { events: ex.events.length, verified: ex.integrity.ok, finalHash: ex.integrity.finalHash },
        },
        null,
        2,
      ),
    );
    return 0;
  }
  for (const line of renderStatus(s, new Date(), { color: io.color, live })) writeLine(io.stdout, line);
  writeLine(io.stdout);
  writeLine(
    io.stdout,
    `journal: ${ex.events.length} events, ${ex.integrity.ok ? "chain verified" : `TAMPERED at line ${ex.integrity.problem?.line}`}`,
  );
  if (live === "interrupted" || live === "paused" || live === "failed")
    writeLine(io.stdout, `continue with: runbook resume ${id}`);
  return 0;
}
