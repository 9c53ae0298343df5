import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { executors } from "../../executors/index.js";
import { checkReadiness, type ReadinessReport } from "../engine/readiness.js";
import { ExitCode, UsageError } from "../errors.js";
import { parseDuration } from "../language/duration.js";
import { parseInputPairs, resolveInputs } from "../language/inputs.js";
import { loadRunbook } from "../language/load.js";
import { chooseEnvironment } from "../project/project-config.js";
import { type CommandIO, writeLine } from "./io.js";
import { type PermissionReport, permissionLines, provePreflight } from "./permission-preflight.js";
import { prepare } from "./prepare.js";

export interface CheckOptions {
  env?: string;
  input?: string[];
  watch?: string;
  publish?: boolean;
  json?: boolean;
}

const MARK = {
  ready: "✔ ready    ",
  "not-ready": "✘ NOT READY",
  warning: "! warning  ",
  skipped: "· skipped  ",
} as const;

/** `runbook check`: readiness, never a side effect. Exit 0 only when ready. */
export async function checkCommand(arg: string, opts: CheckOptions, io: CommandIO): Promise<number> {
  const runbook = loadRunbook(arg, io.cwd);
  const inputs = resolveInputs(runbook, parseInputPairs(opts.input ?? []));
  const watchMs = opts.watch ? parseDuration(opts.watch) : undefined;
  if (opts.watch && !watchMs) throw new UsageError(`--watch: not a duration: ${opts.watch} (e.g. 30s, 5m)`);
  const { environment, aws, sessions } = await prepare(runbook, chooseEnvironment(opts.env, io), io);
  const logger = pino({ level: "silent" });
  const scratchDir = mkdtempSync(join(tmpdir(), "runbook-check-"));
  try {
    for (;;) {
      // Permissions first: a probe refused below is then explained by the line naming its action.
      const permissions = await provePreflight(runbook, environment, sessions, inputs);
      const readiness = await checkReadiness(runbook, {
        registry: executors,
        scope: { inputs, steps: {}, env: io.env, vars: environment?.vars ?? {} },
        aws,
        sessions,
        logger,
        workdir: io.cwd,
        scratchDir,
      });
      const report = { ...readiness, ready: readiness.ready && (permissions?.proven ?? true) };
      print(report, permissions, io, Boolean(opts.json));
      if (opts.publish)
        await publish(
          report,
          aws,
          environment?.aws.region ?? io.env.AWS_REGION ?? "us-east-1",
          environment?.name,
        );
      if (!watchMs) return report.ready ? ExitCode.completed : ExitCode.failed;
      await new Promise((r) => setTimeout(r, watchMs));
    }
  } finally {
    aws.destroy();
  }
}

function print(
  report: ReadinessReport,
  permissions: PermissionReport | undefined,
  io: CommandIO,
  json: boolean,
): void {
  if (json) {
    writeLine(io.stdout, JSON.stringify({ ...report, ...(permissions ? { permissions } : {}) }));
    return;
  }
  writeLine(io.stdout, `${report.runbook} at ${report.checkedAt}: ${report.ready ? "READY" : "NOT READY"}`);
  if (permissions) for (const line of permissionLines(permissions)) writeLine(io.stdout, line);
  const width = Math.max(...report.rows.map((r) => r.id.length));
  const typeWidth = Math.max(...report.rows.map((r) => r.type.length));
  for (const r of report.rows)
    writeLine(
      io.stdout,
      `  ${MARK[r.status]}  ${r.id.padEnd(width)}  ${r.type.padEnd(typeWidth)}  ${r.detail}`,
    );
}

async function publish(
  report: ReadinessReport,
  aws: Awaited<ReturnType<typeof prepare>>["aws"],
  region: string,
  env?: string,
): Promise<void> {
  const { PutMetricDataCommand } = await import("@aws-sdk/client-cloudwatch");
  const cw = await aws.client("cloudwatch", region);
  await cw.send(
    new PutMetricDataCommand({
      Namespace: "Runbook",
      MetricData: [
        {
          MetricName: "FailoverReadiness",
          Value: report.ready ? 1 : 0,
          Unit: "None",
          Dimensions: [
            { Name: "Runbook", Value: report.runbook },
            ...(env ? [{ Name: "Environment", Value: env }] : []),
          ],
        },
      ],
    }),
  );
}
