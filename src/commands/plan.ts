import { executors } from "../../executors/index.js";
import { accountIdOf } from "../aws/account-sessions.js";
import { describePlan } from "../engine/plan.js";
import { accountsTouched } from "../engine/step-accounts.js";
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
  const scope = { inputs, steps: {}, env: io.env, vars: environment?.vars ?? {} };
  const steps = describePlan(rb, executors, scope);
  // Which account each AWS step calls into, and as which role: an unknown alias is refused now.
  const where = new Map<string, { account: string; accountId: string; roles: string[] }>();
  for (const use of accountsTouched(rb, executors, scope, (ref) =>
    accountIdOf(ref, environment?.aws.accounts, environment?.name),
  )) {
    if (use.account === undefined) continue;
    const account = use.written ? `${use.written} (${use.account})` : use.account;
    const roles = (environment?.aws.roles ?? [])
      .filter((r) => r.account === use.account)
      .map((r) => `${r.roleArn}${r.regions ? ` in ${r.regions.join(", ")}` : ""}`);
    for (const id of use.steps) where.set(id, { account, accountId: use.account, roles });
  }
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
      steps: steps.map((s) => {
        const w = where.get(s.id);
        return w ? { ...s, accountId: w.accountId, roles: w.roles } : s;
      }),
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
      accountTag(where.get(s.id)),
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
        `  - ${a.id}: ${a.probe.type} every ${formatDuration(a.everyMs)} ${window}${a.failures > 1 ? `, fires after ${a.failures} failures` : ""}${where.has(`abort:${a.id}`) ? `  (${accountTag(where.get(`abort:${a.id}`))})` : ""}`,
      );
    }
  }
  const onAbort = steps.filter((x) => x.phase === "onAbort");
  if (onAbort.length) {
    writeLine(
      io.stdout,
      `\nOn abort${pnr ? ` (before "${pnr}" starts; after it, only steps marked always)` : ""}:`,
    );
    for (const s of onAbort) {
      const tag = accountTag(where.get(s.id));
      writeLine(io.stdout, `  - ${s.id}  [${s.type}] ${s.description}${tag ? `  (${tag})` : ""}`);
    }
  }
  if (pnr)
    writeLine(
      io.stdout,
      `\nPoint of no return: ${pnr}. After it starts, abort means stop and page, not revert.`,
    );
  writeLine(io.stdout, "\nNothing was executed.");
  return 0;
}

/** `account recovery (222222222222) as arn:aws:iam::222222222222:role/arc`. */
function accountTag(w: { account: string; roles: string[] } | undefined): string {
  if (!w) return "";
  return `account ${w.account} ${w.roles.length ? `as ${w.roles.join("; ")}` : "with the base credentials"}`;
}
