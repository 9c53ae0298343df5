import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { describe, expect, it, vi } from "vitest";
import type { CommandIO } from "../../src/commands/io.js";
import {
  type ScheduleDeps,
  type ScheduleOptions,
  type SignalSource,
  scheduleCommand,
} from "../../src/commands/schedule.js";
import type { DrillResult, DrillRunner } from "../../src/drill/drill-types.js";
import { ExitCode, ScheduleRunningError } from "../../src/errors.js";
import { ManualClock } from "./manual-clock.js";

/** `runbook schedule` in-process, with a fake runner, clock and signals (no engine, no AWS). */

function workdir(schedule: string): string {
  const cwd = mkdtempSync(join(tmpdir(), "runbook-schedule-cmd-"));
  mkdirSync(join(cwd, "runbooks"));
  mkdirSync(join(cwd, "environments"));
  for (const rb of ["rb-a", "rb-b"]) writeFileSync(join(cwd, "runbooks", `${rb}.yaml`), "kind: Runbook\n");
  writeFileSync(join(cwd, "environments", "sandbox.yaml"), "name: sandbox\n");
  mkdirSync(join(cwd, "drills", "scenarios"), { recursive: true });
  writeFileSync(join(cwd, "drills", "scenarios", "s1.yaml"), "kind: Scenario\n");
  writeFileSync(join(cwd, "drills.yaml"), schedule);
  return cwd;
}

function fakeIO(cwd: string) {
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = "";
  let stderr = "";
  out.on("data", (d) => {
    stdout += d;
  });
  err.on("data", (d) => {
    stderr += d;
  });
  const io: CommandIO = {
    stdout: out,
    stderr: err,
    stdin: new PassThrough(),
    cwd,
    env: { RUNBOOK_HOME: join(cwd, ".runbook") },
    isTTY: false,
    color: false,
  };
  return { io, stdout: () => stdout, stderr: () => stderr };
}

function fakeSignals() {
  let handler: ((s: NodeJS.Signals) => void) | undefined;
  const exits: number[] = [];
  const source: SignalSource = {
    onStop(h) {
      handler = h;
      return () => {
        handler = undefined;
      };
    },
    exitNow(code) {
      exits.push(code);
    },
  };
  return { source, exits, send: (s: NodeJS.Signals) => handler?.(s), installed: () => handler !== undefined };
}

const SCHEDULE = `apiVersion: runbook/v1
kind: DrillSchedule
metadata: { name: game-days }
drills:
  - { name: good, runbook: rb-a, env: sandbox, scenario: s1, expect: completed, cron: "0 3 * * 1" }
  - { name: bad, runbook: rb-b, cron: "*/5 * * * *" }
`;

const verdictRunner =
  (verdict: DrillResult["verdict"]): DrillRunner =>
  async (request) => ({
    runbook: request.runbook,
    verdict,
    outcome: verdict === "pass" ? "completed" : "failed",
    expectations: [{ name: "outcome is completed", ok: verdict === "pass", detail: "it was" }],
    rtoMs: 42_000,
    startedAt: "2026-11-27T08:00:00.000Z",
    endedAt: "2026-11-27T08:01:00.000Z",
  });

/** `runbook schedule drills.yaml` started in-process on a manual clock; `started()` once it runs. */
function startScheduling(
  cwd: string,
  opts: ScheduleOptions,
  deps: { runner: DrillRunner; clock: ManualClock; signals: SignalSource },
) {
  const { io, stdout } = fakeIO(cwd);
  let started = false;
  const running = scheduleCommand("drills.yaml", opts, io, {
    ...deps,
    publish: null,
    onStarted: () => {
      started = true;
    },
  });
  return { running, stdout, started: () => started };
}

describe("runbook schedule (in-process)", () => {
  it("--once exits 0 on pass and 1 on fail, prints the verdict and records history", async () => {
    const cwd = workdir(SCHEDULE);
    const pass = fakeIO(cwd);
    const deps: ScheduleDeps = {
      runner: verdictRunner("pass"),
      signals: fakeSignals().source,
      publish: null,
    };
    expect(await scheduleCommand("drills.yaml", { once: "good" }, pass.io, deps)).toBe(0);
    expect(pass.stdout()).toContain("verdict pass: rb-a completed (RTO 42.0s)");
    const fail = fakeIO(cwd);
    expect(
      await scheduleCommand("drills.yaml", { once: "bad" }, fail.io, {
        ...deps,
        runner: verdictRunner("fail"),
      }),
    ).toBe(1);
    expect(fail.stdout()).toContain("FAIL outcome is completed");
    const err = fakeIO(cwd);
    const throwing: DrillRunner = async () => {
      throw new Error("no sandbox");
    };
    expect(await scheduleCommand("drills.yaml", { once: "bad" }, err.io, { ...deps, runner: throwing })).toBe(
      1,
    );
    const history = readFileSync(join(cwd, ".runbook", "schedule", "game-days.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(history.map((h) => `${h.type}:${h.drill}`)).toEqual([
      "fired:good",
      "result:good",
      "fired:bad",
      "result:bad",
      "fired:bad",
      "result:bad",
    ]);
    expect(history.filter((h) => h.type === "result").map((h) => h.result.verdict)).toEqual([
      "pass",
      "fail",
      "error",
    ]);
  });

  it("--once with an unknown drill is a usage error naming the drills", async () => {
    const cwd = workdir(SCHEDULE);
    await expect(
      scheduleCommand("drills.yaml", { once: "nope" }, fakeIO(cwd).io, { runner: verdictRunner("pass") }),
    ).rejects.toThrow(/no drill named "nope"/);
  });

  it("runs until a signal, logs one line per event (--json), then stops cleanly and returns 0", async () => {
    const cwd = workdir(SCHEDULE);
    const clock = new ManualClock("2026-11-27T08:00:00.000Z");
    const signals = fakeSignals();
    const { running, stdout, started } = startScheduling(
      cwd,
      { json: true },
      {
        runner: verdictRunner("fail"),
        clock,
        signals: signals.source,
      },
    );
    await vi.waitFor(() => expect(started()).toBe(true));
    await clock.advanceTo("2026-11-27T08:10:00.000Z");
    await vi.waitFor(() => expect(stdout()).toContain('"type":"finished"'));
    signals.send("SIGTERM");
    expect(await running).toBe(0);
    const events = stdout()
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    const types = events.map((e) => `${e.type}${e.drill ? `:${e.drill}` : ""}`);
    expect(types).toContain("fired:bad");
    expect(types).toContain("finished:bad");
    expect(types).not.toContain("fired:good");
    expect(types.slice(-2)).toEqual(["stopping", "stopped"]);
    expect(events.find((e) => e.type === "finished").verdict).toBe("fail");
    expect(signals.installed()).toBe(false);
    expect(signals.exits).toEqual([]);
  });

  it("a second scheduler of the same schedule is refused while the first runs (exit 4), not after", async () => {
    const cwd = workdir(SCHEDULE);
    const clock = new ManualClock("2026-11-27T08:00:00.000Z");
    const start = (signals: ReturnType<typeof fakeSignals>) =>
      startScheduling(cwd, {}, { runner: verdictRunner("pass"), clock, signals: signals.source });
    const first = fakeSignals();
    const one = start(first);
    await vi.waitFor(() => expect(one.started()).toBe(true));

    const second = start(fakeSignals());
    const err = await second.running.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ScheduleRunningError);
    expect((err as ScheduleRunningError).exitCode).toBe(ExitCode.lockHeld);
    expect((err as ScheduleRunningError).message).toContain(
      `schedule game-days already has a scheduler: pid ${process.pid}`,
    );
    expect((err as ScheduleRunningError).hint).toContain(`kill -TERM ${process.pid}`);
    expect(second.started()).toBe(false);

    first.send("SIGTERM");
    expect(await one.running).toBe(0);
    const third = fakeSignals();
    const again = start(third);
    await vi.waitFor(() => expect(again.started()).toBe(true));
    third.send("SIGTERM");
    expect(await again.running).toBe(0);
  });

  it("a second signal while a drill is still running exits at once", async () => {
    const cwd = workdir(SCHEDULE);
    const clock = new ManualClock("2026-11-27T08:00:00.000Z");
    const signals = fakeSignals();
    let stopSignal: AbortSignal | undefined;
    const never: DrillRunner = (_request, stop) => {
      stopSignal = stop;
      return new Promise(() => {});
    };
    const { stdout, started } = startScheduling(cwd, {}, { runner: never, clock, signals: signals.source });
    await vi.waitFor(() => expect(started()).toBe(true));
    await clock.advanceTo("2026-11-27T08:05:00.000Z");
    await vi.waitFor(() => expect(stopSignal).toBeDefined());
    signals.send("SIGTERM");
    expect(stopSignal!.aborted).toBe(true);
    await vi.waitFor(() => expect(stdout()).toContain("stopping: waiting for bad@2026-11-27T08:05:00.000Z"));
    expect(signals.exits).toEqual([]);
    signals.send("SIGINT");
    expect(signals.exits).toEqual([130]);
  });

  it("--next --from prints each drill's next fire time in UTC and in the schedule's zone", async () => {
    const cwd = workdir(SCHEDULE.replace("drills:", "timezone: Europe/Paris\ndrills:"));
    const { io, stdout } = fakeIO(cwd);
    expect(await scheduleCommand("drills.yaml", { next: true, from: "2026-11-27T08:02:00Z" }, io)).toBe(0);
    const lines = stdout().trim().split("\n");
    expect(lines[0]).toMatch(
      /^good\s+0 3 \* \* 1\s+2026-11-30T02:00:00\.000Z {2}Mon 2026-11-30 03:00 Europe\/Paris$/,
    );
    expect(lines[1]).toMatch(
      /^bad\s+\*\/5 \* \* \* \*\s+2026-11-27T08:05:00\.000Z {2}Fri 2026-11-27 09:05 Europe\/Paris$/,
    );
  });

  it("refuses to mix modes", async () => {
    const cwd = workdir(SCHEDULE);
    await expect(
      scheduleCommand("drills.yaml", { next: true, print: "systemd" }, fakeIO(cwd).io),
    ).rejects.toThrow(/alternatives/);
  });
});
