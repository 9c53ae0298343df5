import type { DrillResult, DrillRunner } from "../drill/drill-types.js";
import { acquireLockFile } from "../engine/lock.js";
import { ScheduleRunningError, UsageError } from "../errors.js";
import { runbookHome, scheduleLockPath } from "../journal/paths.js";
import type { Clock } from "../schedule/clock.js";
import { historyPath, ScheduleHistory } from "../schedule/history.js";
import { type DrillSchedule, loadSchedule } from "../schedule/schedule-file.js";
import type { Publish, SchedulerEvent } from "../schedule/scheduler.js";
import { type CommandIO, writeLine } from "./io.js";

/**
 * `runbook schedule <drills.yaml>`: runs a schedule of drills until SIGTERM (then waits for
 * running drills to reach a safe point and exits 0; a second signal exits at once).
 * `--once <drill>` runs one drill now, `--next` shows when each fires, `--print` writes the
 * EventBridge Scheduler or systemd equivalent.
 */

export interface ScheduleOptions {
  once?: string;
  next?: boolean;
  print?: string;
  target?: string;
  out?: string;
  from?: string;
  json?: boolean;
}

/** How the command hears SIGTERM/SIGINT; tests pass their own. */
export interface SignalSource {
  onStop(handler: (signal: NodeJS.Signals) => void): () => void;
  exitNow(code: number): void;
}

export interface ScheduleDeps {
  runner?: DrillRunner;
  clock?: Clock;
  signals?: SignalSource;
  /** null: do not publish even when the schedule says so. */
  publish?: Publish | null;
  /** Called once the scheduler runs (tests: to know when to signal). */
  onStarted?: () => void;
}

const processSignals: SignalSource = {
  onStop(handler) {
    process.on("SIGTERM", handler);
    process.on("SIGINT", handler);
    return () => {
      process.off("SIGTERM", handler);
      process.off("SIGINT", handler);
    };
  },
  exitNow(code) {
    process.exit(code);
  },
};

export async function scheduleCommand(
  file: string,
  opts: ScheduleOptions,
  io: CommandIO,
  deps: ScheduleDeps = {},
): Promise<number> {
  const modes = [opts.once !== undefined, Boolean(opts.next), opts.print !== undefined].filter(Boolean);
  if (modes.length > 1) throw new UsageError("--once, --next and --print are alternatives: pick one");
  if (opts.from !== undefined && !opts.next) throw new UsageError("--from goes with --next");
  if ((opts.target !== undefined || opts.out !== undefined) && opts.print === undefined)
    throw new UsageError("--target and --out go with --print");
  const from = opts.from === undefined ? undefined : parseInstant(opts.from);
  const schedule = loadSchedule(file, io.cwd, from ? { now: from } : {});
  if (opts.next) return printNext(schedule, from ?? deps.clock?.now() ?? new Date(), opts, io);
  if (opts.print !== undefined)
    return (await import("./schedule-print.js")).printPlatform(schedule, file, opts, io);
  return runScheduler(schedule, opts, io, deps);
}

function parseInstant(text: string): Date {
  const at = new Date(text);
  if (Number.isNaN(at.getTime()))
    throw new UsageError(`--from must be an ISO time such as 2026-11-30T00:00:00Z (got ${text})`);
  return at;
}

// ---------------------------------------------------------------- --next

function printNext(
  schedule: DrillSchedule,
  from: Date,
  opts: ScheduleOptions,
  io: CommandIO,
): Promise<number> {
  return withScheduler(schedule, (s) => {
    const rows = s.nextFires(from);
    if (opts.json) {
      for (const { drill, at } of rows) {
        writeLine(
          io.stdout,
          JSON.stringify({
            drill: drill.name,
            runbook: drill.runbook,
            cron: drill.cron,
            timezone: schedule.timezone,
            next: at?.toISOString() ?? null,
          }),
        );
      }
      return 0;
    }
    const width = Math.max(...rows.map((r) => r.drill.name.length));
    const cronWidth = Math.max(...rows.map((r) => r.drill.cron.length));
    for (const { drill, at } of rows) {
      const when = at ? `${at.toISOString()}  ${localTime(at, schedule.timezone)}` : "never";
      writeLine(io.stdout, `${drill.name.padEnd(width)}  ${drill.cron.padEnd(cronWidth)}  ${when}`);
    }
    return 0;
  });
}

// The Scheduler module is small but imported lazily like every command dependency.
let SchedulerClass: typeof import("../schedule/scheduler.js").Scheduler | undefined;
async function schedulerModule() {
  SchedulerClass ??= (await import("../schedule/scheduler.js")).Scheduler;
  return SchedulerClass;
}

function withScheduler<T>(
  schedule: DrillSchedule,
  fn: (s: import("../schedule/scheduler.js").Scheduler) => T,
): Promise<T> {
  return schedulerModule().then((Scheduler) => fn(new Scheduler({ schedule, runner: notRunnable })));
}

const notRunnable: DrillRunner = () => Promise.reject(new Error("this scheduler only computes times"));

/** "Mon 2026-11-30 03:00 Europe/Paris": the fire time as the schedule's author wrote it. */
export function localTime(at: Date, timezone: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-US", {
      timeZone: timezone,
      weekday: "short",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
    })
      .formatToParts(at)
      .map((p) => [p.type, p.value]),
  );
  return `${parts.weekday} ${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute} ${timezone}`;
}

// ---------------------------------------------------------------- the scheduler

async function runScheduler(
  schedule: DrillSchedule,
  opts: ScheduleOptions,
  io: CommandIO,
  deps: ScheduleDeps,
): Promise<number> {
  if (opts.once !== undefined && !schedule.drills.some((d) => d.name === opts.once)) {
    throw new UsageError(
      `no drill named "${opts.once}" in ${schedule.file}`,
      `Its drills: ${schedule.drills.map((d) => d.name).join(", ")}`,
    );
  }
  // One scheduler per schedule on this host (a second would run every drill twice); taken
  // before anything is set up, so a refused second one touches nothing.
  const name = schedule.metadata.name;
  const lock =
    opts.once === undefined
      ? acquireLockFile(
          scheduleLockPath(runbookHome(io.env, io.cwd), name),
          `runbook schedule ${schedule.file}`,
          deps.clock?.now() ?? new Date(),
          (holder) => new ScheduleRunningError(name, holder),
        )
      : undefined;
  const Scheduler = await schedulerModule();
  const runner =
    deps.runner ??
    (await import("../schedule/default-runner.js")).defaultRunner({
      cwd: io.cwd,
      env: io.env,
      // The drill runner starts the sandbox and crash scenarios as processes of this CLI.
      cliPath: io.cliPath ?? process.argv[1],
      // Its progress goes to stderr: stdout is one line per scheduler event.
      log: (line) => writeLine(io.stderr, line),
    });
  let destroy = () => {};
  let publish: Publish | undefined;
  if (deps.publish !== undefined) publish = deps.publish ?? undefined;
  else if (schedule.publish) {
    const { createClientFactory } = await import("../aws/client-factory.js");
    const { cloudWatchPublisher } = await import("../schedule/publish.js");
    const factory = createClientFactory({ maxAttempts: 3 });
    destroy = () => factory.destroy();
    publish = cloudWatchPublisher(schedule.publish, factory);
  }
  const history = new ScheduleHistory(historyPath(runbookHome(io.env, io.cwd), name));
  const log = (event: SchedulerEvent) =>
    writeLine(io.stdout, opts.json ? JSON.stringify(event) : formatEvent(event, schedule.timezone));
  const scheduler = new Scheduler({
    schedule,
    runner,
    history,
    onEvent: log,
    ...(deps.clock ? { clock: deps.clock } : {}),
    ...(publish ? { publish } : {}),
  });

  const signals = deps.signals ?? processSignals;
  let signalled = false;
  let onSignalled = () => {};
  const signalledOnce = new Promise<void>((r) => {
    onSignalled = r;
  });
  const off = signals.onStop((signal) => {
    if (signalled) {
      // A second signal: the operator does not want to wait for a safe point.
      writeLine(io.stderr, `${signal} again: exiting now; resume interrupted executions with runbook resume`);
      signals.exitNow(signal === "SIGINT" ? 130 : 143);
      return;
    }
    signalled = true;
    void scheduler.stop();
    onSignalled();
  });
  try {
    if (opts.once !== undefined) {
      const result = await scheduler.runNow(opts.once);
      await scheduler.stop();
      if (!result) return 1;
      if (!opts.json) printResult(result, io);
      return result.verdict === "pass" ? 0 : 1;
    }
    if (!opts.json)
      writeLine(
        io.stdout,
        `schedule ${schedule.metadata.name}: ${schedule.drills.length} drill(s), history in ${history.path}`,
      );
    scheduler.start();
    deps.onStarted?.();
    // The scheduler's sleeps keep the process alive until a signal stops it.
    await signalledOnce;
    await scheduler.stop();
    return 0;
  } finally {
    lock?.release();
    off();
    destroy();
  }
}

function printResult(result: DrillResult, io: CommandIO) {
  const measured = [
    result.rtoMs !== undefined ? `RTO ${formatMs(result.rtoMs)}` : undefined,
    result.rpoMs !== undefined ? `RPO ${formatMs(result.rpoMs)}` : undefined,
  ].filter(Boolean);
  writeLine(
    io.stdout,
    `verdict ${result.verdict}: ${result.runbook} ${result.outcome}${measured.length ? ` (${measured.join(", ")})` : ""}${result.executionId ? `, execution ${result.executionId}` : ""}`,
  );
  for (const e of result.expectations)
    writeLine(io.stdout, `  ${e.ok ? "ok  " : "FAIL"} ${e.name}: ${e.detail}`);
  if (result.error) writeLine(io.stdout, `  error: ${result.error}`);
}

function formatMs(ms: number): string {
  return ms < 1000 ? `${ms}ms` : ms < 120_000 ? `${(ms / 1000).toFixed(1)}s` : `${(ms / 60_000).toFixed(1)}m`;
}

export function formatEvent(e: SchedulerEvent, timezone: string): string {
  switch (e.type) {
    case "scheduled":
      return `${e.at} next     ${e.drill} at ${e.next} (${localTime(new Date(e.next), timezone)})`;
    case "fired":
      return `${e.at} fired    ${e.drill}: runbook ${e.runbook}`;
    case "skipped":
      return `${e.at} skipped  ${e.drill}: runbook ${e.runbook} is still running (${e.running})`;
    case "finished": {
      const r = e.result;
      const measured = [
        r.rtoMs !== undefined ? `RTO ${formatMs(r.rtoMs)}` : "",
        r.rpoMs !== undefined ? `RPO ${formatMs(r.rpoMs)}` : "",
      ].filter(Boolean);
      const failed = r.expectations.filter((x) => !x.ok).map((x) => x.name);
      return `${e.at} ${e.verdict.padEnd(8)} ${e.drill}: ${r.outcome}${measured.length ? `, ${measured.join(", ")}` : ""}${failed.length ? `, failed: ${failed.join(", ")}` : ""}${r.error ? `, ${r.error}` : ""}`;
    }
    case "error":
      return `${e.at} error    ${e.drill ?? "scheduler"}: ${e.message}`;
    case "stopping":
      return `${e.at} stopping${e.running.length ? `: waiting for ${e.running.join(", ")} to reach a safe point` : ""}`;
    case "stopped":
      return `${e.at} stopped`;
  }
}
