/**
 * The handful of errors a user can meet, each with the exit code the CLI maps it to.
 * Everything else is a bug and is reported as one (exit 70), never silently.
 */

export const ExitCode = {
  completed: 0,
  failed: 1,
  invalid: 2,
  aborted: 3,
  lockHeld: 4,
  approvalNeeded: 5,
  tampered: 6,
  internal: 70,
  /** Ctrl-C stopped a follower; the Step Functions execution it followed goes on. */
  interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export abstract class RunbookError extends Error {
  abstract readonly exitCode: ExitCode;
  /** Extra lines printed under the message: what to do next. */
  hint?: string;
  constructor(message: string, hint?: string) {
    super(message);
    this.name = new.target.name;
    if (hint) this.hint = hint;
  }
}

export interface Diagnostic {
  file: string;
  line: number;
  col: number;
  message: string;
}

export function formatDiagnostic(d: Diagnostic): string {
  return `${d.file}:${d.line}:${d.col}: ${d.message}`;
}

/** A runbook (or its inputs) is wrong. Every problem found is listed, nothing has run. */
export class ValidationError extends RunbookError {
  readonly exitCode = ExitCode.invalid;
  constructor(readonly diagnostics: Diagnostic[]) {
    super(diagnostics.map(formatDiagnostic).join("\n"));
  }
}

/** The command line itself is wrong (unknown execution id, bad flag value). */
export class UsageError extends RunbookError {
  readonly exitCode = ExitCode.invalid;
}

/**
 * A valid runbook that cannot be exported to the target asked for (`runbook export`): a step
 * Step Functions cannot run, a `when` its Choice states cannot evaluate. Every problem is
 * listed at file:line:col; nothing is written.
 */
export class ExportError extends RunbookError {
  readonly exitCode = ExitCode.invalid;
  constructor(
    readonly diagnostics: Diagnostic[],
    hint?: string,
  ) {
    super(diagnostics.map(formatDiagnostic).join("\n"), hint);
  }
}

/** `runbook reconcile` could not read what it compares (a database down, a table missing). */
export class ReconcileError extends RunbookError {
  readonly exitCode = ExitCode.failed;
}

export class ExecutionFailedError extends RunbookError {
  readonly exitCode = ExitCode.failed;
  constructor(
    readonly executionId: string,
    readonly stepId: string | undefined,
    message: string,
    hint?: string,
  ) {
    super(message, hint);
  }
}

export class AbortedError extends RunbookError {
  readonly exitCode = ExitCode.aborted;
  constructor(
    readonly executionId: string,
    message: string,
    hint?: string,
  ) {
    super(message, hint);
  }
}

export interface LockHolder {
  pid: number;
  host: string;
  executionId: string;
  since: string;
}

export class LockHeldError extends RunbookError {
  readonly exitCode = ExitCode.lockHeld;
  constructor(
    readonly runbook: string,
    readonly holder: LockHolder,
  ) {
    super(
      `runbook ${runbook} is already running: execution ${holder.executionId}, pid ${holder.pid} on ${holder.host}, since ${holder.since}`,
      `Watch it with: runbook status ${holder.executionId}`,
    );
  }
}

/** A drill schedule already has a scheduler on this host: two would run every drill twice. */
export class ScheduleRunningError extends RunbookError {
  readonly exitCode = ExitCode.lockHeld;
  constructor(
    readonly schedule: string,
    readonly holder: LockHolder,
  ) {
    super(
      `schedule ${schedule} already has a scheduler: pid ${holder.pid} on ${holder.host}, since ${holder.since} (${holder.executionId})`,
      `Stop that one first (kill -TERM ${holder.pid}: it stops at a safe point), or run one drill now with --once <drill>.`,
    );
  }
}

export class ApprovalNeededError extends RunbookError {
  readonly exitCode = ExitCode.approvalNeeded;
  constructor(
    readonly executionId: string,
    readonly stepId: string,
    message: string,
  ) {
    super(
      message,
      `Approve with: runbook approve ${executionId} --step ${stepId}\nthen continue with: runbook resume ${executionId}`,
    );
  }
}

/**
 * This installation cannot work (a native module built for another Node.js): not the
 * runbook's fault and not a bug in runbook's logic; the message says how to repair it.
 */
export class InstallationError extends RunbookError {
  readonly exitCode = ExitCode.internal;
}

export class JournalTamperedError extends RunbookError {
  readonly exitCode = ExitCode.tampered;
}
