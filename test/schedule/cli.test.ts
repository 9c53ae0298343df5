import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { finish } from "../cli/harness.js";

/**
 * `runbook schedule` through the real built CLI (`npm run build` first). Other work in the
 * same checkout may rebuild dist/ at any moment, so the tests run a private copy of it
 * (with node_modules linked beside it), taken once and checked to have the command.
 */

const ROOT = new URL("../..", import.meta.url).pathname;
let CLI = "";

beforeAll(async () => {
  if (!existsSync(join(ROOT, "dist", "cli.js")))
    throw new Error("dist/cli.js is missing: run `npm run build` (npm test does it)");
  for (let attempt = 0; ; attempt++) {
    const dir = mkdtempSync(join(tmpdir(), "runbook-schedule-dist-"));
    try {
      cpSync(join(ROOT, "dist"), join(dir, "dist"), { recursive: true });
      symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"), "dir");
      const help = spawnSync(process.execPath, [join(dir, "dist", "cli.js"), "schedule", "--help"], {
        encoding: "utf8",
      });
      if (help.status === 0 && help.stdout.includes("--print")) {
        CLI = join(dir, "dist", "cli.js");
        return;
      }
    } catch {
      // dist/ changed under the copy: take it again.
    }
    rmSync(dir, { recursive: true, force: true });
    if (attempt >= 5) throw new Error("dist/cli.js has no working `schedule` command: run `npm run build`");
    await new Promise((r) => setTimeout(r, 2000));
  }
}, 60_000);

afterAll(() => {
  if (CLI) rmSync(join(CLI, "..", ".."), { recursive: true, force: true });
});

function workdir(schedule: string): string {
  const cwd = mkdtempSync(join(tmpdir(), "runbook-schedule-cli-"));
  cpSync(join(ROOT, "runbooks"), join(cwd, "runbooks"), { recursive: true });
  cpSync(join(ROOT, "environments"), join(cwd, "environments"), { recursive: true });
  cpSync(join(ROOT, "drills", "scenarios"), join(cwd, "drills", "scenarios"), { recursive: true });
  writeFileSync(join(cwd, "drills", "schedule.yaml"), schedule);
  return cwd;
}

const start = (args: string[], cwd: string): ChildProcess =>
  spawn(process.execPath, [CLI, ...args], {
    cwd,
    env: { ...process.env, NO_COLOR: "1", RUNBOOK_HOME: join(cwd, ".runbook") },
    stdio: ["ignore", "pipe", "pipe"],
  });

const run = (args: string[], cwd: string) => finish(start(args, cwd));

const EXAMPLE = readFileSync(join(ROOT, "drills", "schedule.example.yaml"), "utf8");

describe("runbook schedule (built CLI)", () => {
  it("--next --json gives each drill's next fire time", async () => {
    const cwd = workdir(EXAMPLE);
    const r = await run(
      ["schedule", "drills/schedule.yaml", "--next", "--from", "2026-11-27T08:00:00Z", "--json"],
      cwd,
    );
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const rows = r.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(rows.map((x) => [x.drill, x.next])).toEqual([
      ["weekly-primary-region-down", "2026-11-30T03:00:00.000Z"],
      ["weekly-replication-lag", "2026-12-02T03:00:00.000Z"],
      ["monthly-missing-secret", "2026-12-01T04:30:00.000Z"],
    ]);
  });

  it("--print eventbridge --json: one create-schedule document per drill", async () => {
    const cwd = workdir(EXAMPLE);
    const r = await run(["schedule", "drills/schedule.yaml", "--print", "eventbridge", "--json"], cwd);
    expect(r.code).toBe(0);
    const docs = r.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(docs.map((d) => [d.Name, d.ScheduleExpression])).toEqual([
      ["weekly-primary-region-down", "cron(0 3 ? * MON *)"],
      ["weekly-replication-lag", "cron(0 3 ? * WED *)"],
      ["monthly-missing-secret", "cron(30 4 1 * ? *)"],
    ]);
    const first = docs[0];
    expect(first).toMatchObject({
      GroupName: "case-api-game-days",
      ScheduleExpressionTimezone: "UTC",
      FlexibleTimeWindow: { Mode: "OFF" },
      State: "ENABLED",
      Target: { Arn: "arn:aws:scheduler:::aws-sdk:ecs:runTask" },
    });
    expect(first.Target.RoleArn).toMatch(/^arn:aws:iam::<ACCOUNT_ID>:role\//);
    const input = JSON.parse(first.Target.Input);
    expect(input).toMatchObject({ Cluster: "<ECS_CLUSTER_NAME_OR_ARN>", LaunchType: "FARGATE", Count: 1 });
    expect(input.Overrides.ContainerOverrides[0].Command).toEqual([
      "runbook",
      "schedule",
      "drills/schedule.yaml",
      "--once",
      "weekly-primary-region-down",
    ]);
    const ssm = await run(
      ["schedule", "drills/schedule.yaml", "--print", "eventbridge", "--target", "ssm", "--json"],
      cwd,
    );
    const ssmInput = JSON.parse(JSON.parse(ssm.stdout.split("\n")[0]!).Target.Input);
    expect(ssmInput.Parameters.commands).toEqual([
      "runbook schedule drills/schedule.yaml --once weekly-primary-region-down",
    ]);
  });

  it("--print systemd --out writes a .service and a .timer per drill", async () => {
    const cwd = workdir(EXAMPLE);
    const r = await run(["schedule", "drills/schedule.yaml", "--print", "systemd", "--out", "units"], cwd);
    expect(r.code).toBe(0);
    const base = join(cwd, "units", "runbook-drill-case-api-game-days-weekly-primary-region-down");
    const timer = readFileSync(`${base}.timer`, "utf8");
    expect(timer).toContain("\nOnCalendar=Mon *-*-* 03:00:00 UTC\n");
    expect(timer).toContain("\nPersistent=true\n");
    expect(timer).toContain("\nWantedBy=timers.target\n");
    const service = readFileSync(`${base}.service`, "utf8");
    expect(service).toContain("\nType=oneshot\n");
    expect(service).toContain(
      `\nExecStart=/usr/bin/env runbook schedule ${join(cwd, "drills", "schedule.yaml")} --once weekly-primary-region-down\n`,
    );
    expect(
      readFileSync(
        join(cwd, "units", "runbook-drill-case-api-game-days-monthly-missing-secret.timer"),
        "utf8",
      ),
    ).toContain("OnCalendar=*-*-01 04:30:00 UTC");
    expect(r.stdout).toContain("systemctl enable --now");
  });

  it("--print refuses, exit 2, what cannot be converted, naming the drill", async () => {
    const cwd = workdir(EXAMPLE.replace('cron: "30 4 1 * *"', 'cron: "30 4 L * *"'));
    const r = await run(["schedule", "drills/schedule.yaml", "--print", "systemd"], cwd);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      'drill monthly-missing-secret: cannot convert day-of-month "L" of "30 4 L * *"',
    );
    expect(r.stdout).toBe("");
  });

  it("an invalid schedule exits 2 with file:line:col, and no stack trace", async () => {
    const cwd = workdir(
      EXAMPLE.replace('cron: "0 3 * * 3"', 'cron: "0 25 * * 3"').replace(
        "name: monthly-missing-secret",
        "name: weekly-replication-lag",
      ),
    );
    const r = await run(["schedule", "drills/schedule.yaml", "--next"], cwd);
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split("\n");
    expect(lines).toContain('drills/schedule.yaml:27:11: cron: "0 25 * * 3": Invalid value for hour: 25');
    expect(lines).toContain(
      'drills/schedule.yaml:28:11: duplicate drill name "weekly-replication-lag" (first used at line 22)',
    );
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it("a running scheduler with nothing due exits 0 promptly on SIGTERM", async () => {
    const cwd = workdir(EXAMPLE);
    const child = start(["schedule", "drills/schedule.yaml", "--json"], cwd);
    const done = finish(child);
    let out = "";
    child.stdout?.on("data", (d) => {
      out += d;
    });
    // Up and waiting: each drill has announced its next fire time.
    const deadline = Date.now() + 20_000;
    while ((out.match(/"type":"scheduled"/g) ?? []).length < 3) {
      if (Date.now() > deadline) throw new Error(`the scheduler did not start: ${out}`);
      await new Promise((r) => setTimeout(r, 25));
    }
    const signalled = Date.now();
    child.kill("SIGTERM");
    const r = await done;
    expect(r.signal).toBeNull();
    expect(r.code).toBe(0);
    // Generous bound: "promptly" means no drill to wait for, not a timing benchmark.
    expect(Date.now() - signalled).toBeLessThan(5_000);
    const types = r.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l).type);
    expect(types.slice(-2)).toEqual(["stopping", "stopped"]);
  });
});
