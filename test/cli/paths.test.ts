import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, makeWorkdir, ROOT, runCli } from "./harness.js";

/**
 * Every command that takes a file or a folder takes it as an absolute path and as a path
 * relative to where it runs, from a folder other than the runbooks' own; and a project's
 * runbook.config.yaml makes names and the default environment work from any subfolder.
 */

let dir: string;
let elsewhere: string;
let executionId: string;

const ENV_FILE = `apiVersion: runbook/v1
kind: Environment
metadata: { name: lab, environment: nonprod }
vars: { greeting: hello }
`;

beforeAll(async () => {
  dir = makeWorkdir();
  elsewhere = join(dir, "some", "other", "folder");
  mkdirSync(elsewhere, { recursive: true });
  mkdirSync(join(dir, "envs"));
  writeFileSync(join(dir, "envs", "lab.yaml"), ENV_FILE);
  cpSync(join(ROOT, "drills"), join(dir, "drills"), { recursive: true });
  cpSync(join(ROOT, "environments"), join(dir, "environments"), { recursive: true });
  // One finished execution for the report commands.
  const port = await freePort();
  const run = await runCli(
    [
      "run",
      join(dir, "runbooks", "failover-toy.yaml"),
      "--approve",
      "-i",
      `port=${port}`,
      "-i",
      "promoteSeconds=0",
    ],
    dir,
  );
  expect(run.code, run.stderr).toBe(0);
  executionId = readdirSync(join(dir, ".runbook", "executions"))[0]!;
}, 60_000);

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const home = () => ({ RUNBOOK_HOME: join(dir, ".runbook") });

describe("a runbook file", () => {
  it.each([
    ["absolute", () => join(dir, "runbooks", "failover-toy.yaml")],
    ["relative", () => "../../../runbooks/failover-toy.yaml"],
  ])("plan, graph and validate take it %s", async (_, path) => {
    const plan = await runCli(["plan", path()], elsewhere);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toContain("Plan: failover-toy");
    const graph = await runCli(["graph", path()], elsewhere);
    expect(graph.code, graph.stderr).toBe(0);
    expect(graph.stdout).toContain("flowchart");
    const validate = await runCli(["validate", path()], elsewhere);
    expect(validate.code, validate.stderr).toBe(0);
  });

  it("a missing file names where it was looked for", async () => {
    const r = await runCli(["plan", "../nope.yaml"], elsewhere);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `no such runbook file: ../nope.yaml (${join(dir, "some", "other", "nope.yaml")})`,
    );
  });
});

describe("an environment file", () => {
  it.each([
    ["absolute", () => join(dir, "envs", "lab.yaml")],
    ["relative", () => "../../../envs/lab.yaml"],
  ])("--env takes it %s", async (_, path) => {
    const r = await runCli(["plan", join(dir, "runbooks", "failover-toy.yaml"), "--env", path()], elsewhere);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("Environment: lab (nonprod), from --env");
  });
});

describe("report files", () => {
  it.each([
    ["absolute", () => join(dir, "out-abs")],
    ["relative", () => "out-rel"],
  ])("timeline -o and history -o write %s paths", async (kind, base) => {
    const timeline = await runCli(
      ["timeline", executionId, "-o", `${base()}-timeline.md`],
      elsewhere,
      home(),
    );
    expect(timeline.code, timeline.stderr).toBe(0);
    const history = await runCli(
      ["history", "-f", "html", "-o", `${base()}-history.html`],
      elsewhere,
      home(),
    );
    expect(history.code, history.stderr).toBe(0);
    const where = kind === "absolute" ? dir : elsewhere;
    const prefix = kind === "absolute" ? "out-abs" : "out-rel";
    expect(readFileSync(join(where, `${prefix}-timeline.md`), "utf8")).toContain("timeline: failover-toy");
    expect(readFileSync(join(where, `${prefix}-history.html`), "utf8")).toContain("failover-toy");
  });

  it.each([
    ["absolute", () => join(dir, ".runbook")],
    ["relative", () => "../../../.runbook"],
  ])("RUNBOOK_HOME may be %s", async (_, h) => {
    const r = await runCli(["status", executionId], elsewhere, { RUNBOOK_HOME: h() });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("status: completed");
  });
});

describe("a drill schedule file", () => {
  // Run from the project's folder: the schedule's runbooks and environments are looked up there.
  it.each([
    ["absolute", () => join(dir, "drills", "schedule.example.yaml"), () => join(dir, "timers-abs")],
    ["relative", () => "drills/schedule.example.yaml", () => "timers-rel"],
  ])("schedule --next and --print --out take %s paths", async (_, file, out) => {
    const next = await runCli(["schedule", file(), "--next", "--from", "2026-12-01T00:00:00Z"], dir);
    expect(next.code, next.stderr).toBe(0);
    expect(next.stdout).toContain("weekly-primary-region-down");
    const print = await runCli(["schedule", file(), "--print", "systemd", "--out", out()], dir);
    expect(print.code, print.stderr).toBe(0);
    expect(readdirSync(join(dir, out().replace(`${dir}/`, ""))).length).toBeGreaterThan(0);
  });
});

describe("runbook.config.yaml", () => {
  it("names, the default environment and the home work from any subfolder; --env and RUNBOOK_ENV win", async () => {
    const project = join(dir, "project");
    mkdirSync(join(project, "ops", "deep"), { recursive: true });
    cpSync(join(dir, "runbooks"), join(project, "ops", "runbooks"), { recursive: true });
    cpSync(join(dir, "scripts"), join(project, "scripts"), { recursive: true });
    mkdirSync(join(project, "environments"));
    writeFileSync(join(project, "environments", "lab.yaml"), ENV_FILE);
    writeFileSync(join(project, "environments", "other.yaml"), ENV_FILE.replace("name: lab", "name: other"));
    writeFileSync(
      join(project, "runbook.config.yaml"),
      "apiVersion: runbook/v1\nkind: Project\nrunbooks: ops/runbooks\ndefaultEnvironment: lab\n",
    );
    const deep = join(project, "ops", "deep");
    const byDefault = await runCli(["plan", "failover-toy"], deep);
    expect(byDefault.code, byDefault.stderr).toBe(0);
    expect(byDefault.stdout).toContain(
      "Environment: lab (nonprod), from ../../runbook.config.yaml:4 (defaultEnvironment)",
    );
    const fromEnv = await runCli(["plan", "failover-toy"], deep, { RUNBOOK_ENV: "other" });
    expect(fromEnv.stdout).toContain("Environment: other (nonprod), from $RUNBOOK_ENV");
    const fromFlag = await runCli(["plan", "failover-toy", "--env", "lab"], deep, { RUNBOOK_ENV: "other" });
    expect(fromFlag.stdout).toContain("Environment: lab (nonprod), from --env");
    const validate = await runCli(["validate"], deep);
    expect(validate.code, validate.stderr).toBe(0);
    expect(validate.stdout).toContain(`ok ${join(project, "ops", "runbooks", "failover-toy.yaml")}`);
    // A run from the subfolder: its commands' relative paths (scripts/demo/…) resolve against the
    // project's root, its journal is in the project's home, and it says what chose the environment.
    const port = await freePort();
    const run = await runCli(
      ["run", "failover-toy", "--approve", "--json", "-i", `port=${port}`, "-i", "promoteSeconds=0"],
      deep,
      { RUNBOOK_HOME: "" },
    );
    expect(run.code, run.stderr).toBe(0);
    const started = JSON.parse(run.stdout.split("\n")[0]!) as { data: Record<string, unknown> };
    expect(started.data).toMatchObject({
      environment: "lab",
      environmentSource: expect.stringContaining("runbook.config.yaml:4"),
    });
    expect(existsSync(join(project, ".runbook", "executions"))).toBe(true);
    expect(existsSync(join(deep, ".runbook"))).toBe(false);
  }, 60_000);
});
