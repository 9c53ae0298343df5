import { mkdirSync, writeFileSync } from "node:fs";
import { isAbsolute, join, relative, resolve } from "node:path";
import { UsageError } from "../errors.js";
import { CronConversionError } from "../schedule/cron-convert.js";
import type { DrillSchedule } from "../schedule/schedule-file.js";
import { type CommandIO, writeLine } from "./io.js";
import type { ScheduleOptions } from "./schedule.js";

/**
 * `runbook schedule <file> --print eventbridge|systemd`: the same schedule as EventBridge
 * Scheduler definitions or systemd timer units, for teams that run drills from their
 * platform's scheduler. Every drill converts, or nothing is printed.
 */
export async function printPlatform(
  schedule: DrillSchedule,
  file: string,
  opts: ScheduleOptions,
  io: CommandIO,
) {
  const platform = opts.print;
  if (platform !== "eventbridge" && platform !== "systemd")
    throw new UsageError(`--print takes eventbridge or systemd (got ${platform})`);
  const target = opts.target ?? "ecs";
  if (target !== "ecs" && target !== "ssm") throw new UsageError(`--target takes ecs or ssm (got ${target})`);
  if (platform === "systemd" && opts.target !== undefined)
    throw new UsageError("--target is for --print eventbridge");
  const { eventBridgeSchedule, systemdUnits } = await import("../schedule/platform.js");
  const shownFile = relative(io.cwd, resolve(io.cwd, file)) || file;
  const files: { name: string; content: string; json?: unknown }[] = [];
  const refused: string[] = [];
  for (const drill of schedule.drills) {
    try {
      if (platform === "eventbridge") {
        const doc = eventBridgeSchedule(schedule, drill, { file: shownFile, target });
        files.push({ name: `${drill.name}.json`, content: `${JSON.stringify(doc, null, 2)}\n`, json: doc });
      } else {
        const absolute = isAbsolute(file) ? file : resolve(io.cwd, file);
        files.push(...systemdUnits(schedule, drill, { file: absolute, workingDirectory: io.cwd }));
      }
    } catch (error) {
      if (!(error instanceof CronConversionError)) throw error;
      refused.push(`drill ${drill.name}: ${error.message}${error.hint ? `\n  ${error.hint}` : ""}`);
    }
  }
  if (refused.length > 0) {
    throw new UsageError(
      `cannot print ${platform} definitions for ${schedule.file}:\n${refused.join("\n")}`,
      `The scheduler itself (runbook schedule ${shownFile}) runs these expressions as they are.`,
    );
  }
  if (opts.out) {
    const dir = resolve(io.cwd, opts.out);
    mkdirSync(dir, { recursive: true });
    for (const f of files) {
      writeFileSync(join(dir, f.name), f.content);
      writeLine(io.stdout, `wrote ${join(opts.out, f.name)}`);
    }
    if (platform === "eventbridge") printEventBridgeHint(schedule, opts.out, io);
    else printSystemdHint(schedule, opts.out, files, io);
    return 0;
  }
  if (opts.json) {
    for (const f of files)
      writeLine(io.stdout, JSON.stringify(f.json ?? { name: f.name, content: f.content }));
    return 0;
  }
  if (platform === "eventbridge") printEventBridgeHint(schedule, "<dir>", io);
  else printSystemdHint(schedule, "<dir>", files, io);
  for (const f of files) {
    writeLine(io.stdout);
    writeLine(io.stdout, `# ${f.name}`);
    io.stdout.write(f.content);
  }
  return 0;
}

function printEventBridgeHint(schedule: DrillSchedule, dir: string, io: CommandIO) {
  writeLine(io.stdout, `# once: aws scheduler create-schedule-group --name ${schedule.metadata.name}`);
  writeLine(
    io.stdout,
    `# then, per drill: aws scheduler create-schedule --cli-input-json file://${dir}/<drill>.json`,
  );
  writeLine(io.stdout, "# fill in every <PLACEHOLDER> first (account, role, cluster, task, network)");
}

function printSystemdHint(schedule: DrillSchedule, dir: string, files: { name: string }[], io: CommandIO) {
  const timers = files.filter((f) => f.name.endsWith(".timer")).map((f) => f.name);
  writeLine(
    io.stdout,
    `# copy to /etc/systemd/system/: cp ${dir}/runbook-drill-${schedule.metadata.name}-* /etc/systemd/system/`,
  );
  writeLine(io.stdout, `# then: systemctl daemon-reload && systemctl enable --now ${timers.join(" ")}`);
}
