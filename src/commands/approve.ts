import { dropInInbox } from "../engine/approvals.js";
import { resolveIdentity } from "../engine/identity.js";
import { readLock } from "../engine/lock.js";
import { UsageError } from "../errors.js";
import { approvalsInbox } from "../journal/paths.js";
import { homeOf, loadExecution } from "./executions.js";
import { type CommandIO, writeLine } from "./io.js";

/**
 * Approve from another shell (two-person rule). The approval goes to the execution's inbox;
 * the engine that runs it journals it within a second, or `resume` does later.
 */
export async function approveCommand(
  id: string,
  opts: { step?: string; decline?: boolean; reason?: string },
  io: CommandIO,
): Promise<number> {
  const ex = await loadExecution(io, id);
  const s = ex.state;
  if (s.status === "completed" || s.status === "aborted" || s.status === "failed") {
    throw new UsageError(`execution ${id} is ${s.status}; there is no gate to approve`);
  }
  const waiting = [...s.steps.values()].filter((st) => st.status === "awaiting-approval").map((st) => st.id);
  const stepId = opts.step ?? s.pausedAt?.stepId ?? waiting[0];
  if (!stepId)
    throw new UsageError(
      `execution ${id} is not waiting at a gate`,
      "Pass --step <id> to approve a gate ahead of time.",
    );
  if (!s.steps.has(stepId)) throw new UsageError(`execution ${id} has no step "${stepId}"`);
  const me = await resolveIdentity(io.env);
  const gate = s.steps.get(stepId)?.gateRequested;
  if (gate?.approvers && !gate.approvers.includes(me)) {
    throw new UsageError(
      `${me} is not an approver of gate ${stepId}`,
      `Approvers: ${gate.approvers.join(", ")}`,
    );
  }
  if (s.steps.get(stepId)?.approvals.some((a) => a.by === me)) {
    throw new UsageError(`${me} already approved gate ${stepId}; another person must give the next approval`);
  }
  dropInInbox(approvalsInbox(homeOf(io), id), {
    stepId,
    by: me,
    decision: opts.decline ? "decline" : "approve",
    at: new Date().toISOString(),
    ...(opts.reason ? { reason: opts.reason } : {}),
  });
  const lock = readLock(homeOf(io), s.runbook.name);
  const running = lock?.executionId === id && lock.alive;
  writeLine(io.stdout, `${opts.decline ? "declined" : "approved"} gate ${stepId} of ${id} as ${me}`);
  writeLine(
    io.stdout,
    running
      ? "The running engine records it within a second."
      : `No engine is running it now; continue with: runbook resume ${id}`,
  );
  return 0;
}
