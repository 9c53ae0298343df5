import type { DrillRequest, DrillResult, DrillRunner } from "../drill/drill-types.js";
import { type Clock, systemClock } from "./clock.js";
import type { HistoryRecord, HistorySink } from "./history.js";
import { cronOf, type DrillSchedule, type ScheduledDrill } from "./schedule-file.js";

/**
 * Runs a schedule of drills unattended.
 *
 * - Each drill waits for its next cron time (croner computes it; the clock sleeps).
 * - Never two drills of the same runbook at once: a fire while that runbook is busy is
 *   skipped and reported, not queued (a queue of game days would run back to back).
 * - A drill that fails, errors or throws is a result, never the end of the scheduler.
 * - `stop()` fires nothing new, aborts the signal the running drills were given (they stop
 *   at their next safe point) and resolves once they have returned.
 */

export type SchedulerEvent =
  | { type: "scheduled"; at: string; drill: string; runbook: string; next: string }
  | { type: "fired"; at: string; drill: string; runbook: string; scheduledFor: string; run: string }
  | {
      type: "skipped";
      at: string;
      drill: string;
      runbook: string;
      scheduledFor: string;
      reason: "overlap";
      running: string;
    }
  | {
      type: "finished";
      at: string;
      drill: string;
      runbook: string;
      run: string;
      verdict: DrillResult["verdict"];
      result: DrillResult;
    }
  | { type: "error"; at: string; drill?: string; message: string }
  | { type: "stopping"; at: string; running: string[] }
  | { type: "stopped"; at: string };

export type Publish = (result: DrillResult, drill: ScheduledDrill) => Promise<void>;

export interface SchedulerOptions {
  schedule: DrillSchedule;
  runner: DrillRunner;
  clock?: Clock;
  /** Called with each result (e.g. CloudWatch metrics); a failure is reported, not fatal. */
  publish?: Publish;
  onEvent?: (event: SchedulerEvent) => void;
  /** Where fired/skipped/result records go; unset: nowhere. */
  history?: HistorySink;
}

export class Scheduler {
  private readonly clock: Clock;
  private readonly controller = new AbortController();
  /** runbook → the run (drill@time) holding it. */
  private readonly busy = new Map<string, string>();
  private readonly runs = new Set<Promise<unknown>>();
  private loops: Promise<void>[] = [];
  private started = false;
  private stopping = false;
  private done: Promise<void> | undefined;

  constructor(private readonly opts: SchedulerOptions) {
    this.clock = opts.clock ?? systemClock;
  }

  get schedule(): DrillSchedule {
    return this.opts.schedule;
  }

  /** The signal handed to every drill: aborted by stop(). */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Runs that hold a runbook right now (`drill@scheduledFor`). */
  running(): string[] {
    return [...this.busy.values()];
  }

  /** Each drill's next fire time after `from`. */
  nextFires(from: Date = this.clock.now()): { drill: ScheduledDrill; at: Date | null }[] {
    return this.opts.schedule.drills.map((drill) => ({
      drill,
      at: cronOf(drill.cron, this.opts.schedule.timezone).nextRun(from),
    }));
  }

  start(): void {
    if (this.started) throw new Error("the scheduler is already started");
    this.started = true;
    this.loops = this.opts.schedule.drills.map((drill) => this.loop(drill));
  }

  /** Stop firing, ask running drills to stop at a safe point, resolve when they have returned. */
  stop(): Promise<void> {
    if (!this.stopping) {
      this.stopping = true;
      this.emit({ type: "stopping", at: this.iso(), running: this.running() });
      this.controller.abort(new Error("the scheduler is stopping"));
    }
    this.done ??= (async () => {
      await Promise.all(this.loops);
      while (this.runs.size > 0) await Promise.allSettled([...this.runs]);
      await this.opts.history?.flush();
      this.emit({ type: "stopped", at: this.iso() });
    })();
    return this.done;
  }

  /**
   * Runs one drill now (`--once`), with the same overlap rule, history and publishing.
   * Resolves with its result; undefined when skipped because its runbook is busy.
   */
  async runNow(name: string): Promise<DrillResult | undefined> {
    const drill = this.opts.schedule.drills.find((d) => d.name === name);
    if (!drill) throw new Error(`no drill named "${name}" in ${this.opts.schedule.file}`);
    return this.fire(drill, this.clock.now(), "once");
  }

  private async loop(drill: ScheduledDrill): Promise<void> {
    const cron = cronOf(drill.cron, this.opts.schedule.timezone);
    let from = this.clock.now();
    while (!this.stopping) {
      const next = cron.nextRun(from);
      if (!next) {
        this.emit({
          type: "error",
          at: this.iso(),
          drill: drill.name,
          message: "the cron expression never fires again",
        });
        return;
      }
      this.emit({
        type: "scheduled",
        at: this.iso(),
        drill: drill.name,
        runbook: drill.runbook,
        next: next.toISOString(),
      });
      await this.clock.sleepUntil(next, this.controller.signal);
      if (this.stopping) return;
      // Fires missed while asleep (a suspended machine) collapse into this one.
      const now = this.clock.now();
      from = new Date(Math.max(now.getTime(), next.getTime()));
      void this.fire(drill, next, "schedule");
    }
  }

  private fire(
    drill: ScheduledDrill,
    scheduledFor: Date,
    via: "schedule" | "once",
  ): Promise<DrillResult | undefined> {
    const at = this.iso();
    const when = scheduledFor.toISOString();
    // Decided synchronously: two fires at the same instant cannot both take the runbook.
    const holder = this.busy.get(drill.runbook);
    if (holder !== undefined) {
      this.emit({
        type: "skipped",
        at,
        drill: drill.name,
        runbook: drill.runbook,
        scheduledFor: when,
        reason: "overlap",
        running: holder,
      });
      void this.record({
        ts: at,
        type: "skipped",
        drill: drill.name,
        runbook: drill.runbook,
        scheduledFor: when,
        reason: "overlap",
        running: holder,
      });
      return Promise.resolve(undefined);
    }
    const run = `${drill.name}@${when}`;
    this.busy.set(drill.runbook, run);
    const execution = this.execute(drill, run, when, via);
    this.runs.add(execution);
    void execution.finally(() => this.runs.delete(execution));
    return execution;
  }

  private async execute(
    drill: ScheduledDrill,
    run: string,
    scheduledFor: string,
    via: "schedule" | "once",
  ): Promise<DrillResult> {
    const startedAt = this.clock.now();
    let result: DrillResult;
    try {
      this.emit({
        type: "fired",
        at: startedAt.toISOString(),
        drill: drill.name,
        runbook: drill.runbook,
        scheduledFor,
        run,
      });
      await this.record({
        ts: startedAt.toISOString(),
        type: "fired",
        run,
        drill: drill.name,
        runbook: drill.runbook,
        scheduledFor,
        via,
      });
      result = await this.invoke(drill, startedAt);
    } finally {
      this.busy.delete(drill.runbook);
    }
    const at = this.iso();
    await this.record({ ts: at, type: "result", run, drill: drill.name, runbook: drill.runbook, result });
    this.emit({
      type: "finished",
      at,
      drill: drill.name,
      runbook: drill.runbook,
      run,
      verdict: result.verdict,
      result,
    });
    if (this.opts.publish) {
      try {
        await this.opts.publish(result, drill);
      } catch (error) {
        this.emit({
          type: "error",
          at: this.iso(),
          drill: drill.name,
          message: `publishing the result failed: ${messageOf(error)}`,
        });
      }
    }
    return result;
  }

  /** The runner's result; a throw or a malformed answer becomes a result with verdict error. */
  private async invoke(drill: ScheduledDrill, startedAt: Date): Promise<DrillResult> {
    const request: DrillRequest = {
      runbook: drill.runbook,
      ...(drill.env ? { env: drill.env } : {}),
      ...(drill.scenario ? { scenario: drill.scenario } : {}),
      ...(drill.expect ? { expect: drill.expect } : {}),
      ...(drill.inputs ? { inputs: drill.inputs } : {}),
    };
    let problem: string;
    try {
      const result = await this.opts.runner(request, this.controller.signal);
      if (result && typeof result === "object" && ["pass", "fail", "error"].includes(result.verdict))
        return result;
      problem = `the drill runner returned no verdict (${JSON.stringify(result)?.slice(0, 200)})`;
    } catch (error) {
      problem = `the drill runner threw: ${messageOf(error)}`;
    }
    this.emit({ type: "error", at: this.iso(), drill: drill.name, message: problem });
    return {
      runbook: drill.runbook,
      ...(drill.scenario ? { scenario: drill.scenario } : {}),
      verdict: "error",
      outcome: "not-run",
      expectations: [],
      startedAt: startedAt.toISOString(),
      endedAt: this.iso(),
      error: problem,
    };
  }

  private async record(record: HistoryRecord): Promise<void> {
    if (!this.opts.history) return;
    try {
      await this.opts.history.append(record);
    } catch (error) {
      this.emit({
        type: "error",
        at: this.iso(),
        drill: record.drill,
        message: `cannot write history ${this.opts.history.path}: ${messageOf(error)}`,
      });
    }
  }

  private emit(event: SchedulerEvent): void {
    try {
      this.opts.onEvent?.(event);
    } catch {
      // A broken listener (a closed stdout) must not stop drills.
    }
  }

  private iso(): string {
    return this.clock.now().toISOString();
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
