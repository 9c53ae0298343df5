import { executors } from "../../executors/index.js";
import { describePlan } from "../engine/plan.js";
import { loadEnvironment } from "../environment/environment.js";
import { formatDuration } from "../language/duration.js";
import { parseInputPairs, resolveInputs } from "../language/inputs.js";
import { loadRunbook } from "../language/load.js";
import { chooseEnvironment } from "../project/project-config.js";
import { homeOf } from "./executions.js";
import { type CommandIO, writeLine } from "./io.js";

export async function planCommand(
  arg: string,
  opts: { input?: string[]; json?: boolean; env?: string },
  io: CommandIO,
): Promise<number> {
  const rb = loadRunbook(arg, io.cwd);
  const inputs = resolveInputs(rb, parseInputPairs(opts.input ?? []));
  // Plan touches nothing: the environment only supplies values; no AWS call is made.
  const choice = chooseEnvironment(opts.env, io);
  const environment = choice ? loadEnvironment(choice.name, io.cwd, homeOf(io), io.env) : undefined;
  const steps = describePlan(rb, executors, {
    inputs,
    steps: {},
    env: io.env,
    vars: environment?.vars ?? {},
  });
  const pnr = steps.find((s) => s.pointOfNoReturn)?.id;
  if (opts.json) {
    const plan = {
      runbook: rb.name,
      environment: rb.environment,
      ...(environment && choice
        ? { env: { name: environment.name, file: environment.file, source: choice.source } }
        : {}),
      objectives: rb.objectives,
      inputs: Object.fromEntries(
        Object.entries(inputs).map(([k, v]) => [k, rb.inputs[k]?.secret ? "***" : v]),
      ),
      steps,
      abort: rb.abort,
      pointOfNoReturn: pnr ?? null,
    };
    writeLine(io.stdout, JSON.stringify(plan, null, 2));
    return 0;
  }
  const o = rb.objectives;
  writeLine(
    io.stdout,
    `Plan: ${rb.name} (${environment ? `${environment.name}, ` : ""}${rb.environment})${rb.description ? ` — ${rb.description}` : ""}`,
  );
  if (environment && choice)
    writeLine(io.stdout, `Environment: ${environment.name} (${environment.kind}), from ${choice.source}`);
  if (o.rtoMs !== undefined)
    writeLine(io.stdout, `Objectives: RTO ${formatDuration(o.rtoMs)}, RPO ${formatDuration(o.rpoMs ?? 0)}`);
  if (Object.keys(inputs).length) {
    const shown = Object.entries(inputs).map(([k, v]) => `${k}=${rb.inputs[k]?.secret ? "***" : v}`);
    writeLine(io.stdout, `Inputs: ${shown.join(", ")}`);
  }
  writeLine(io.stdout);
  let n = 0;
  for (const s of steps.filter((x) => x.phase === "main")) {
    const tags = [
      s.gate ? "GATE: approval before this step" : "",
      s.milestone ? `milestone ${s.milestone}` : "",
      s.pointOfNoReturn ? "POINT OF NO RETURN" : "",
    ].filter(Boolean);
    const label = s.parent ? `     ‖ ${s.id}` : `${String(++n).padStart(3)}. ${s.id}`;
    writeLine(
      io.stdout,
      `${label}  [${s.type}] ${s.description}${tags.length ? `  (${tags.join("; ")})` : ""}`,
    );
  }
  if (rb.abort.length) {
    writeLine(io.stdout, "\nAbort criteria (probed on their interval and at every step boundary):");
    for (const a of rb.abort) {
      const window = a.during ? `during ${a.during.join(", ")}` : "for the whole run";
      writeLine(
        io.stdout,
        `  - ${a.id}: ${a.probe.type} every ${formatDuration(a.everyMs)} ${window}${a.failures > 1 ? `, fires after ${a.failures} failures` : ""}`,
      );
    }
  }
  const onAbort = steps.filter((x) => x.phase === "onAbort");
  if (onAbort.length) {
    writeLine(
      io.stdout,
      `\nOn abort${pnr ? ` (before "${pnr}" starts; after it, only steps marked always)` : ""}:`,
    );
    for (const s of onAbort) writeLine(io.stdout, `  - ${s.id}  [${s.type}] ${s.description}`);
  }
  if (pnr)
    writeLine(
      io.stdout,
      `\nPoint of no return: ${pnr}. After it starts, abort means stop and page, not revert.`,
    );
  writeLine(io.stdout, "\nNothing was executed.");
  return 0;
}
