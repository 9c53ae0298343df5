import { existsSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import { Cron } from "croner";
import { z } from "zod";
import { listScenarios, scenarioDir } from "../drill/scenario.js";
import { type Diagnostic, UsageError, ValidationError } from "../errors.js";
import { issuesToDiagnostics } from "../language/issues.js";
import { keysAt } from "../language/schema-keys.js";
import { SourceMap } from "../language/source-map.js";
import { readSourceText, UnreadableFileError } from "../language/source-text.js";
import { locateProjectFile } from "../project/project-config.js";

/**
 * A schedule of drills, `kind: DrillSchedule`: which drill runs when, and where its results
 * are published. Validated like a runbook: every problem at once, each at file:line:col.
 */

const NAME_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;
// At most 64 characters: a drill name is also an EventBridge Scheduler schedule name and part
// of a systemd unit name.
const Name = z.string().regex(NAME_PATTERN, {
  message: "names are lower-case letters, digits and dashes (at most 64), not starting or ending with a dash",
});

const InputValue = z.union([z.string(), z.number(), z.boolean()]).transform(String);

export const ScheduledDrillDocument = z.strictObject({
  name: Name.describe("Unique in the schedule; used by --once and in metrics, history and unit names"),
  runbook: z.string().min(1).describe("A name in runbooks/ or a file path"),
  env: z.string().min(1).optional().describe("Environment: environments/<name>.yaml (never a prod one)"),
  scenario: z.string().min(1).optional().describe("A scenario from the drill library"),
  expect: z.enum(["completed", "aborted", "blocked"]).optional(),
  inputs: z.record(z.string(), InputValue).optional(),
  cron: z.string().min(1).describe('Standard 5-field cron, e.g. "0 3 * * 1" (Mondays 03:00)'),
  description: z.string().optional(),
});

export const DrillScheduleDocument = z.strictObject({
  apiVersion: z.literal("runbook/v1"),
  kind: z.literal("DrillSchedule"),
  metadata: z.strictObject({ name: Name, description: z.string().optional() }),
  timezone: z.string().min(1).default("UTC").describe("IANA time zone the cron expressions are read in"),
  publish: z
    .strictObject({
      region: z.string().min(1),
      namespace: z.string().min(1).default("Runbook/Drills"),
    })
    .optional()
    .describe("Publish each drill's result as CloudWatch metrics"),
  drills: z.array(ScheduledDrillDocument).min(1),
});

export type ScheduledDrill = z.infer<typeof ScheduledDrillDocument>;
export type DrillSchedule = z.infer<typeof DrillScheduleDocument> & {
  /** The file it was read from, as shown in messages. */
  file: string;
};

/** A croner job that only computes times (it never schedules anything itself). */
export function cronOf(expression: string, timezone: string): Cron {
  return new Cron(expression, { mode: "5-part", timezone });
}

export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

export interface ParseOptions {
  /** Where runbooks/, environments/ and drills/scenarios/ are looked up; unset: references are not checked. */
  cwd?: string;
  /** The instant "never fires again" is judged from (default: now). */
  now?: Date;
}

/** Parse and validate schedule text; throws ValidationError listing every problem. */
export function parseSchedule(text: string, file: string, opts: ParseOptions = {}): DrillSchedule {
  const map = new SourceMap(file, text);
  const js = map.value();
  const parsed = DrillScheduleDocument.safeParse(js, { reportInput: true });
  const diagnostics: Diagnostic[] = [];
  if (!parsed.success) {
    diagnostics.push(
      ...issuesToDiagnostics(parsed.error.issues, map, [], (p) => keysAt(DrillScheduleDocument, p)),
    );
  }
  // What did parse is still checked, so one run lists everything there is to fix.
  const raw = (js && typeof js === "object" ? js : {}) as Record<string, unknown>;
  const timezone = typeof raw.timezone === "string" ? raw.timezone : "UTC";
  const zoneOk = isTimeZone(timezone);
  if (!zoneOk) {
    diagnostics.push(
      map.diagnostic(
        ["timezone"],
        `timezone: unknown time zone "${timezone}" (use an IANA name such as UTC or Europe/Paris)`,
      ),
    );
  }
  const drills = Array.isArray(raw.drills) ? raw.drills : [];
  const firstByName = new Map<string, number>();
  drills.forEach((drill, i) => {
    if (!drill || typeof drill !== "object") return;
    const d = drill as Record<string, unknown>;
    if (typeof d.name === "string") {
      const first = firstByName.get(d.name);
      if (first === undefined) firstByName.set(d.name, i);
      else {
        const line = map.at(["drills", first, "name"]).line;
        diagnostics.push(
          map.diagnostic(
            ["drills", i, "name"],
            `duplicate drill name "${d.name}" (first used at line ${line})`,
          ),
        );
      }
    }
    if (typeof d.cron === "string") {
      const problem = cronProblem(d.cron, zoneOk ? timezone : "UTC", opts.now ?? new Date());
      if (problem) diagnostics.push(map.diagnostic(["drills", i, "cron"], `cron: ${problem}`));
    }
    if (opts.cwd) {
      if (typeof d.runbook === "string" && !runbookExists(d.runbook, opts.cwd)) {
        diagnostics.push(
          map.diagnostic(
            ["drills", i, "runbook"],
            `no runbook "${d.runbook}" (looked for runbooks/${d.runbook}.yaml)`,
          ),
        );
      }
      if (typeof d.scenario === "string" && !existsSync(join(scenarioDir(opts.cwd), `${d.scenario}.yaml`))) {
        const known = listScenarios(opts.cwd);
        diagnostics.push(
          map.diagnostic(
            ["drills", i, "scenario"],
            `no scenario "${d.scenario}" (looked for drills/scenarios/${d.scenario}.yaml${known.length ? `; known: ${known.join(", ")}` : ""})`,
          ),
        );
      }
      if (typeof d.env === "string" && !environmentExists(d.env, opts.cwd)) {
        diagnostics.push(
          map.diagnostic(
            ["drills", i, "env"],
            `no environment "${d.env}" (looked for environments/${d.env}.yaml)`,
          ),
        );
      }
    }
  });
  if (diagnostics.length > 0 || !parsed.success) {
    diagnostics.sort((a, b) => a.line - b.line || a.col - b.col);
    throw new ValidationError(diagnostics);
  }
  return { ...parsed.data, file };
}

export function loadSchedule(arg: string, cwd: string, opts: { now?: Date } = {}): DrillSchedule {
  const path = isAbsolute(arg) ? arg : resolve(cwd, arg);
  let text: string;
  try {
    text = readSourceText(path, arg);
  } catch (err) {
    if (!(err instanceof UnreadableFileError)) throw err;
    throw new UsageError(
      `cannot read schedule file ${arg} (${err.reason})`,
      "A schedule is a YAML file with kind: DrillSchedule",
    );
  }
  return parseSchedule(text, arg, { cwd, ...opts });
}

/** Why croner refuses an expression, or why it would never fire; undefined when it is fine. */
function cronProblem(expression: string, timezone: string, now: Date): string | undefined {
  const fields = expression.trim().split(/\s+/);
  if (!expression.trim().startsWith("@") && fields.length !== 5) {
    return `expected 5 fields (minute hour day-of-month month day-of-week), got ${fields.length} in "${expression}"`;
  }
  try {
    const job = cronOf(expression, timezone);
    if (!job.nextRun(now)) return `"${expression}" never fires`;
  } catch (error) {
    return `"${expression}": ${(error as Error).message.replace(/^CronPattern: /, "")}`;
  }
  return undefined;
}

function runbookExists(arg: string, cwd: string): boolean {
  return locateProjectFile(arg, cwd, "runbooks").path !== undefined;
}

function environmentExists(arg: string, cwd: string): boolean {
  return locateProjectFile(arg, cwd, "environments").path !== undefined;
}
