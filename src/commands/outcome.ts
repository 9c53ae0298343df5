import type { ExecutionOutcome } from "../engine/engine.js";
import { AbortedError, ApprovalNeededError, ExecutionFailedError } from "../errors.js";
import { achievedRtoMs } from "../journal/fold.js";
import { engineLogPath, runbookHome } from "../journal/paths.js";
import { formatDuration } from "../language/duration.js";
import { type CommandIO, writeLine } from "./io.js";

/** An execution's end as an exit code: completed returns 0, everything else is a typed error. */
export function settle(outcome: ExecutionOutcome, io: CommandIO, quiet: boolean): number {
  const s = outcome.state;
  const id = outcome.executionId;
  if (outcome.status === "completed") {
    if (!quiet) {
      const rto = achievedRtoMs(s);
      writeLine(io.stdout, `\ncompleted ${id}${rto !== undefined ? ` · RTO ${formatDuration(rto)}` : ""}`);
      writeLine(io.stdout, `timeline: runbook timeline ${id}`);
    }
    return 0;
  }
  if (outcome.status === "paused") {
    const p = s.pausedAt!;
    if (p.reason === "approval") throw new ApprovalNeededError(id, p.stepId, p.message);
    if (p.reason === "stopped")
      throw new ExecutionFailedError(id, p.stepId, p.message, `Continue with: runbook resume ${id}`);
    throw new ExecutionFailedError(
      id,
      p.stepId,
      p.message,
      `Find out whether it happened, then either:\n  runbook resume ${id} --assume-done ${p.stepId}   (it did)\n  runbook resume ${id} --rerun ${p.stepId}         (it did not)`,
    );
  }
  if (outcome.status === "aborted") {
    const skipped = [...s.steps.values()].filter((st) =>
      st.skipReason?.startsWith("skipped: the point of no return"),
    );
    throw new AbortedError(
      id,
      `aborted ${id}: ${s.abort?.reason ?? "aborted"}`,
      skipped.length
        ? `Past the point of no return: ${skipped.map((x) => x.id).join(", ")} not run. Stop and page; do not revert.`
        : `Timeline: runbook timeline ${id}`,
    );
  }
  throw new ExecutionFailedError(
    id,
    s.failure?.stepId,
    `failed ${id}: ${s.failure?.stepId ? `step ${s.failure.stepId}: ` : ""}${s.failure?.message ?? "failed"}`,
    `Fix the cause, then: runbook resume ${id}\nThe error in full (SDK name, request id, stack): ${engineLogPath(runbookHome(io.env, io.cwd), id)}`,
  );
}
