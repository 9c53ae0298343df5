import type { ExecutionOutcome } from "../engine/engine.js";
import { AbortedError, ApprovalNeededError, ExecutionFailedError, ExitCode } from "../errors.js";
import { achievedRtoMs } from "../journal/fold.js";
import { engineLogPath, runbookHome } from "../journal/paths.js";
import { formatDuration } from "../language/duration.js";
import type { FollowOutcome } from "../stepfunctions/follow-execution.js";
import { type CommandIO, writeLine } from "./io.js";

/**
 * A followed Step Functions execution: its end as for the local engine, or, when the following
 * stopped first (Ctrl-C), how to pick it up again; the execution itself goes on.
 */
export function settleFollowed(outcome: FollowOutcome, io: CommandIO, quiet: boolean): number {
  if (outcome.status !== "following-stopped") return settle(outcome, io, quiet);
  writeLine(
    io.stderr,
    `stopped following ${outcome.executionId}; it goes on in Step Functions. Pick it up again (from any machine with credentials): runbook follow ${outcome.executionId}`,
  );
  return ExitCode.interrupted;
}

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
    s.engine
      ? `It ran in Step Functions (${s.engine.executionArn}); its history there has the error in full. Fix the cause, deploy again if the runbook changed (runbook deploy ${s.runbook.name}), then start a new run.`
      : `Fix the cause, then: runbook resume ${id}\nThe error in full (SDK name, request id, stack): ${engineLogPath(runbookHome(io.env, io.cwd), id)}`,
  );
}
