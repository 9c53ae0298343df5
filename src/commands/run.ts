import { startExecution } from "../engine/engine.js";
import { UsageError } from "../errors.js";
import { parseInputPairs, resolveInputs } from "../language/inputs.js";
import { loadRunbook } from "../language/load.js";
import { chooseEnvironment } from "../project/project-config.js";
import { type CommandIO, writeLine } from "./io.js";
import { RunOutput } from "./live-view.js";
import { settle, settleFollowed } from "./outcome.js";
import { PermissionsMissingError, permissionLines, provePreflight } from "./permission-preflight.js";
import { attendedEngineOptions, prepare } from "./prepare.js";

export interface RunOptions {
  input?: string[];
  approve?: boolean;
  declaredAt?: string;
  json?: boolean;
  env?: string;
  /** Recorded as a drill (used by `runbook drill` when it runs the engine in a process it may kill). */
  asDrill?: boolean;
  /** `--no-permission-check`: skip the IAM simulation before the first side effect. */
  permissionCheck?: boolean;
  /** `local` (default): this process runs the steps; `stepfunctions`: the deployed state machine does. */
  engine?: string;
  /** With `--engine stepfunctions`: where it is deployed (default: the environment's recovery region). */
  region?: string;
}

export async function runCommand(arg: string, opts: RunOptions, io: CommandIO): Promise<number> {
  const runbook = loadRunbook(arg, io.cwd);
  const inputs = resolveInputs(runbook, parseInputPairs(opts.input ?? []));
  let declaredAt: Date | undefined;
  if (opts.declaredAt) {
    declaredAt = new Date(opts.declaredAt);
    if (Number.isNaN(declaredAt.getTime()))
      throw new UsageError(`--declared-at: not an ISO-8601 time: ${opts.declaredAt}`);
  }
  const engine = opts.engine ?? "local";
  if (engine !== "local" && engine !== "stepfunctions")
    throw new UsageError(`--engine: "${engine}" is not an engine`, "Engines: local (default), stepfunctions");
  const prepared = await prepare(runbook, chooseEnvironment(opts.env, io), io);
  if (engine === "stepfunctions") {
    // The steps run as the functions' role, whose policy deploy computed; this process only starts and reads.
    const out = new RunOutput(io, Boolean(opts.json));
    try {
      const { runWithStepFunctions } = await import("./run-stepfunctions.js");
      const outcome = await runWithStepFunctions(
        runbook,
        {
          inputs,
          ...(declaredAt ? { declaredAt } : {}),
          ...(opts.asDrill ? { mode: "drill" as const } : {}),
        },
        prepared,
        out,
        { approve: Boolean(opts.approve), ...(opts.region ? { region: opts.region } : {}) },
        io,
      );
      out.stop();
      return settleFollowed(outcome, io, Boolean(opts.json));
    } finally {
      out.stop();
      prepared.aws.destroy();
    }
  }
  if (opts.permissionCheck !== false) {
    try {
      const proof = await provePreflight(runbook, prepared.environment, prepared.sessions, inputs);
      if (proof?.proven && proof.unproven.length)
        for (const line of permissionLines(proof)) writeLine(io.stderr, line);
      if (proof && !proof.proven) {
        throw new PermissionsMissingError(
          `runbook ${runbook.name} would be refused by IAM; nothing was run:\n${permissionLines(proof).join("\n")}`,
          proof.missing.length
            ? "Grant them (runbook iam-policy prints the whole policy), check with: runbook check, then run again."
            : "Allow iam:SimulatePrincipalPolicy on yourself (it is in runbook iam-policy's read-only part), or, knowing the risk, run with --no-permission-check.",
        );
      }
    } catch (err) {
      prepared.aws.destroy();
      throw err;
    }
  }
  const out = new RunOutput(io, Boolean(opts.json));
  try {
    const outcome = await startExecution(
      runbook,
      { inputs, ...(declaredAt ? { declaredAt } : {}), ...(opts.asDrill ? { mode: "drill" as const } : {}) },
      attendedEngineOptions(prepared, io, out, Boolean(opts.approve)),
    );
    out.stop();
    return settle(outcome, io, Boolean(opts.json));
  } finally {
    out.stop();
    prepared.aws.destroy();
  }
}
