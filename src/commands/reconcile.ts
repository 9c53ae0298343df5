import { hostname } from "node:os";
import { environmentClientFactory } from "../aws/client-factory.js";
import { resolveIdentity } from "../engine/identity.js";
import { type Environment, loadEnvironment } from "../environment/environment.js";
import { ExitCode, UsageError } from "../errors.js";
import { journalPath } from "../journal/paths.js";
import { formatDuration, formatDurationExact } from "../language/duration.js";
import { reconcileExecution } from "../reconcile/reconcile-execution.js";
import { type ReconcileJson, reconcileJson } from "../reconcile/reconcile-json.js";
import { homeOf, loadExecution } from "./executions.js";
import { type CommandIO, writeLine } from "./io.js";

export interface ReconcileOptions {
  env?: string;
  format?: string;
  /** How many lost writes the text output lists (the journal keeps up to 10,000). */
  show?: string;
}

export async function reconcileCommand(id: string, opts: ReconcileOptions, io: CommandIO): Promise<number> {
  const format = opts.format ?? "text";
  if (format !== "text" && format !== "json")
    throw new UsageError(`unknown format "${format}"`, "Use --format text or --format json.");
  const show = opts.show === undefined ? 20 : Number(opts.show);
  if (!Number.isInteger(show) || show < 0)
    throw new UsageError(`--show must be a whole number, not "${opts.show}"`);
  const ex = await loadExecution(io, id);
  const envName = opts.env ?? ex.state.environmentFile ?? ex.state.environment;
  const environment = loadEnvironment(envName, io.cwd, homeOf(io), io.env);
  if (!environment.reconcile)
    throw new UsageError(
      `${environment.file} has no reconcile: section: nothing says which databases to compare`,
      [
        "Add, for example:",
        "reconcile:",
        '  oldPrimary: "${{ vars.primaryDbUrl }}"   # the old primary, back and fenced (or its snapshot restored)',
        '  promoted: "${{ vars.secondaryDbUrl }}"',
        "  tables: [{ name: cases, key: id, updatedAt: updated_at }]",
      ].join("\n"),
    );
  const home = homeOf(io);
  const { report, event } = await reconcileExecution({
    home,
    executionId: ex.id,
    state: ex.state,
    settings: environment.reconcile,
    operator: await operatorOf(environment, io),
    host: hostname(),
    signal: AbortSignal.timeout(120_000),
  });
  if (format === "json") {
    writeLine(
      io.stdout,
      JSON.stringify(reconcileJson(ex.id, report, event.boundMs) satisfies ReconcileJson, null, 2),
    );
    return ExitCode.completed;
  }
  const lines: string[] = [];
  const s = ex.state;
  lines.push(`Reconciled ${ex.id} (${s.runbook.name}, ${s.environment})`);
  lines.push(`  compared  ${report.oldPrimary} (old primary)`);
  lines.push(`      with  ${report.promoted} (promoted)`);
  const bound = event.boundMs !== undefined ? formatDuration(event.boundMs) : "not measured";
  lines.push(
    `  RPO       ${formatDurationExact(report.rpoMs)} reconciled  (measured during the failover: ${bound})`,
  );
  lines.push(`            last commit on the old primary ${report.lastCommittedAt}`);
  lines.push(`            last of them replicated        ${report.lastReplicatedAt}`);
  lines.push(
    `            heartbeats: ${formatDurationExact(report.heartbeat.rpoMs)} (${report.heartbeat.lost} never replicated)`,
  );
  for (const t of report.tables)
    lines.push(
      `  ${t.name.padEnd(9)} ${t.lost} lost of ${t.compared} compared, ${t.conflicts} conflict${t.conflicts === 1 ? "" : "s"}`,
    );
  const lost = report.lostWrites;
  if (lost.length === 0) lines.push("  No write was lost.");
  else {
    lines.push(`  Lost writes (${lost.length}, oldest first):`);
    for (const w of lost.slice(0, show)) {
      const conflict = w.conflict
        ? `  CONFLICT: written again ${w.conflict.rewrittenAt ?? `as version ${w.conflict.version}`}`
        : "";
      lines.push(`    ${w.table} ${w.key}  committed ${w.committedAt ?? `version ${w.version}`}${conflict}`);
    }
    if (lost.length > show)
      lines.push(`    … and ${lost.length - show} more (--show ${lost.length}, or --format json)`);
    lines.push(
      `  Replay plan: ${report.replayPlan.length} idempotent upsert${report.replayPlan.length === 1 ? "" : "s"}` +
        (report.conflicts > 0 ? `; ${report.conflicts} conflict(s) left for a person to decide` : "") +
        ". The failback runbook applies it behind a gate (postgres.replay-lost-writes).",
    );
  }
  lines.push(`Appended rpo.reconciled to ${journalPath(home, ex.id)}`);
  for (const line of lines) writeLine(io.stdout, line);
  return ExitCode.completed;
}

/** Who reconciled: the environment's AWS identity when it has one, as the run recorded its operator. */
async function operatorOf(environment: Environment, io: CommandIO): Promise<string> {
  const aws = environmentClientFactory(environment);
  try {
    return await resolveIdentity(io.env, { aws, region: environment.aws.region });
  } finally {
    aws.destroy();
  }
}
