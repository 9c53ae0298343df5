import { spawn } from "node:child_process";
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

/**
 * `runbook schedule --once` through the built CLI with the real drill runner on the sandbox:
 * the wiring (lazy import of src/drill/run-drill.ts into dist/, history, exit code by verdict)
 * that the fake-runner tests cannot prove. The drill's own behaviour is tested by test/drill.
 */

const ROOT = new URL("../..", import.meta.url).pathname;
const dirs: string[] = [];

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe("runbook schedule --once with the real drill runner", () => {
  it("runs replication-lag-exceeds-rpo on the sandbox: verdict pass, exit 0, fired+result in history", async () => {
    if (!existsSync(join(ROOT, "dist", "cli.js")))
      throw new Error("dist/cli.js is missing: run `npm run build`");
    // A private copy of dist/: the shared checkout may rebuild it meanwhile.
    const dist = mkdtempSync(join(tmpdir(), "runbook-schedule-dist-"));
    dirs.push(dist);
    cpSync(join(ROOT, "dist"), join(dist, "dist"), { recursive: true });
    symlinkSync(join(ROOT, "node_modules"), join(dist, "node_modules"), "dir");
    const cwd = mkdtempSync(join(tmpdir(), "runbook-schedule-once-"));
    dirs.push(cwd);
    // The sandbox's PostgreSQL runs as the postgres OS user, which must be able to enter it.
    chmodSync(cwd, 0o755);
    for (const d of ["runbooks", "environments", join("drills", "scenarios")])
      cpSync(join(ROOT, d), join(cwd, d), { recursive: true });
    mkdirSync(join(cwd, "drills"), { recursive: true });
    writeFileSync(
      join(cwd, "drills", "schedule.yaml"),
      `apiVersion: runbook/v1
kind: DrillSchedule
metadata: { name: lag }
drills:
  - name: lag
    runbook: failover-case-api
    env: sandbox
    scenario: replication-lag-exceeds-rpo
    expect: aborted
    cron: "0 3 * * 1"
`,
    );
    const child = spawn(
      process.execPath,
      [join(dist, "dist", "cli.js"), "schedule", "drills/schedule.yaml", "--once", "lag"],
      {
        cwd,
        env: { ...process.env, NO_COLOR: "1", RUNBOOK_HOME: join(cwd, ".runbook") },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    const code = await new Promise<number | null>((r) => child.on("close", r));
    expect(code, `stdout:\n${stdout}\nstderr:\n${stderr}`).toBe(0);
    expect(stdout).toMatch(/verdict pass: failover-case-api aborted/);
    const history = readFileSync(join(cwd, ".runbook", "schedule", "lag.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(history.map((h) => h.type)).toEqual(["fired", "result"]);
    expect(history[1].result).toMatchObject({
      verdict: "pass",
      outcome: "aborted",
      scenario: "replication-lag-exceeds-rpo",
    });
    expect(history[1].result.executionId).toMatch(/^failover-case-api-/);
    expect(
      existsSync(join(cwd, ".runbook", "executions", history[1].result.executionId, "journal.jsonl")),
    ).toBe(true);
  }, 300_000);
});
