import { resumeExecution } from "../engine/engine.js";
import { UsageError } from "../errors.js";
import { parseInputPairs } from "../language/inputs.js";
import type { Runbook } from "../language/runbook.js";
import { loadExecution } from "./executions.js";
import { type CommandIO, writeLine } from "./io.js";
import { RunOutput } from "./live-view.js";
import { settle } from "./outcome.js";
import { attendedEngineOptions, prepare } from "./prepare.js";

export interface ResumeOptions {
  approve?: boolean;
  rerun?: string[];
  assumeDone?: string[];
  input?: string[];
  json?: boolean;
}

export async function resumeCommand(id: string, opts: ResumeOptions, io: CommandIO): Promise<number> {
  const before = await loadExecution(io, id);
  if (before.state.status === "completed" || before.state.status === "aborted") {
    writeLine(io.stdout, `${id} already ${before.state.status}; nothing to resume.`);
    return settle({ executionId: id, status: before.state.status, state: before.state }, io, true);
  }
  if (before.state.engine)
    throw new UsageError(
      `${id} runs in Step Functions, not on this machine: there is nothing to resume here`,
      `Follow it (from where its journal ends): runbook follow ${id}`,
    );
  // The environment is read again (its values are not journaled: they may hold secrets).
  const runbook = before.state.runbookIr as Runbook;
  // The environment the run started with, never today's default.
  const file = before.state.environmentFile;
  const prepared = await prepare(runbook, file ? { name: file, source: "the journal" } : undefined, io);
  const out = new RunOutput(io, Boolean(opts.json));
  out.seed(before.events);
  try {
    const outcome = await resumeExecution(
      id,
      {
        rerun: opts.rerun ?? [],
        assumeDone: opts.assumeDone ?? [],
        secretInputs: parseInputPairs(opts.input ?? []),
      },
      attendedEngineOptions(prepared, io, out, Boolean(opts.approve)),
    );
    out.stop();
    return settle(outcome, io, Boolean(opts.json));
  } finally {
    out.stop();
    prepared.aws.destroy();
  }
}
