import { toEventBridgeCron, toSystemdOnCalendar } from "./cron-convert.js";
import type { DrillSchedule, ScheduledDrill } from "./schedule-file.js";

/**
 * The same schedule for teams that prefer their platform's scheduler: one EventBridge
 * Scheduler schedule, or one systemd .service + .timer pair, per drill. Each runs
 * `runbook schedule <file> --once <drill>`, so history, publishing and the overlap rule of
 * a single run stay the runbook CLI's. Values in <ANGLE_BRACKETS> are for the team to fill.
 */

export type EventBridgeTarget = "ecs" | "ssm";

export function onceCommand(file: string, drill: ScheduledDrill): string[] {
  return ["runbook", "schedule", file, "--once", drill.name];
}

function describe(schedule: DrillSchedule, drill: ScheduledDrill): string {
  const parts = [`runbook drill ${drill.name} of ${schedule.metadata.name}: ${drill.runbook}`];
  if (drill.env) parts.push(`env ${drill.env}`);
  if (drill.scenario) parts.push(`scenario ${drill.scenario}`);
  if (drill.expect) parts.push(`expect ${drill.expect}`);
  return parts.join(", ").slice(0, 512);
}

/**
 * A document for `aws scheduler create-schedule --cli-input-json file://<drill>.json`.
 * The schedule group is the schedule's name (create it once with
 * `aws scheduler create-schedule-group --name <name>`). The target is a universal target
 * calling ECS RunTask (or SSM SendCommand); its Input is that API's request.
 */
export function eventBridgeSchedule(
  schedule: DrillSchedule,
  drill: ScheduledDrill,
  opts: { file: string; target?: EventBridgeTarget },
): Record<string, unknown> {
  const command = onceCommand(opts.file, drill);
  const target =
    (opts.target ?? "ecs") === "ecs"
      ? {
          Arn: "arn:aws:scheduler:::aws-sdk:ecs:runTask",
          RoleArn: "arn:aws:iam::<ACCOUNT_ID>:role/<SCHEDULER_ROLE_ALLOWED_TO_RUN_TASK_AND_PASS_ROLE>",
          // A universal target's Input is the API request with the API model's member names
          // (PascalCase, as SSM's below); camelCase is refused by CreateSchedule.
          Input: JSON.stringify({
            Cluster: "<ECS_CLUSTER_NAME_OR_ARN>",
            TaskDefinition: "<TASK_DEFINITION_WITH_THE_RUNBOOK_CLI>",
            LaunchType: "FARGATE",
            Count: 1,
            NetworkConfiguration: {
              AwsvpcConfiguration: {
                Subnets: ["<SUBNET_ID>"],
                SecurityGroups: ["<SECURITY_GROUP_ID>"],
                AssignPublicIp: "DISABLED",
              },
            },
            Overrides: { ContainerOverrides: [{ Name: "<CONTAINER_NAME>", Command: command }] },
          }),
          RetryPolicy: { MaximumRetryAttempts: 0 },
        }
      : {
          Arn: "arn:aws:scheduler:::aws-sdk:ssm:sendCommand",
          RoleArn: "arn:aws:iam::<ACCOUNT_ID>:role/<SCHEDULER_ROLE_ALLOWED_TO_SEND_COMMAND>",
          Input: JSON.stringify({
            DocumentName: "AWS-RunShellScript",
            InstanceIds: ["<INSTANCE_ID>"],
            Parameters: {
              workingDirectory: ["<DIRECTORY_WITH_RUNBOOKS_AND_THE_SCHEDULE>"],
              commands: [command.map(shellQuote).join(" ")],
              executionTimeout: ["7200"],
            },
          }),
          RetryPolicy: { MaximumRetryAttempts: 0 },
        };
  return {
    Name: drill.name,
    GroupName: schedule.metadata.name,
    Description: describe(schedule, drill),
    ScheduleExpression: toEventBridgeCron(drill.cron),
    ScheduleExpressionTimezone: schedule.timezone,
    FlexibleTimeWindow: { Mode: "OFF" },
    State: "ENABLED",
    Target: target,
  };
}

export interface UnitFile {
  name: string;
  content: string;
}

/** `runbook-drill-<schedule>-<drill>.service` (oneshot) and its `.timer`. */
export function systemdUnits(
  schedule: DrillSchedule,
  drill: ScheduledDrill,
  opts: { file: string; workingDirectory: string },
): UnitFile[] {
  const base = `runbook-drill-${schedule.metadata.name}-${drill.name}`;
  const calendars = toSystemdOnCalendar(drill.cron, schedule.timezone);
  const exec = ["/usr/bin/env", ...onceCommand(opts.file, drill)].map(systemdQuote).join(" ");
  const service = [
    "[Unit]",
    `Description=${describe(schedule, drill)}`,
    "Wants=network-online.target",
    "After=network-online.target",
    "",
    "[Service]",
    "Type=oneshot",
    `WorkingDirectory=${opts.workingDirectory}`,
    `ExecStart=${exec}`,
    "# SIGTERM asks the drill to stop at its next safe point; give it time to get there.",
    "TimeoutStopSec=15min",
    "",
  ].join("\n");
  const timer = [
    "[Unit]",
    `Description=When to run ${base}.service (cron "${drill.cron}", ${schedule.timezone})`,
    "",
    "[Timer]",
    ...calendars.map((c) => `OnCalendar=${c}`),
    "Persistent=true",
    "AccuracySec=1s",
    `Unit=${base}.service`,
    "",
    "[Install]",
    "WantedBy=timers.target",
    "",
  ].join("\n");
  return [
    { name: `${base}.service`, content: service },
    { name: `${base}.timer`, content: timer },
  ];
}

function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

function systemdQuote(word: string): string {
  const escaped = word.replace(/%/g, "%%");
  return /^[\w@+=:,./-]+$/.test(escaped) ? escaped : `"${escaped.replace(/(["\\])/g, "\\$1")}"`;
}
