import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  effects,
  freePort,
  journalLines,
  makeWorkdir,
  onlyExecutionId,
  runCli,
  startCli,
  until,
} from "./harness.js";

const write = (cwd: string, name: string, body: string) =>
  writeFileSync(
    join(cwd, "runbooks", `${name}.yaml`),
    `apiVersion: runbook/v1\nkind: Runbook\nmetadata: { name: ${name}, environment: sandbox }\n${body}`,
  );

describe("CLI exit codes and messages", () => {
  it("--version answers without loading the engine", async () => {
    const r = await runCli(["--version"], makeWorkdir());
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it("validate: 0 for good runbooks, 2 with file:line:col for bad ones, and no stack trace", async () => {
    const cwd = makeWorkdir();
    expect((await runCli(["validate"], cwd)).code).toBe(0);
    write(
      cwd,
      "broken",
      "steps:\n  - { id: a, type: exec, with: { comand: [x] } }\n  - { id: a, type: nope }\n",
    );
    const r = await runCli(["validate", "runbooks/broken.yaml"], cwd);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      'runbooks/broken.yaml:5:34: exec: unknown field "comand" (did you mean "command"?)',
    );
    expect(r.stderr).toContain('runbooks/broken.yaml:5:32: exec: missing required field "command"');
    expect(r.stderr).toContain('runbooks/broken.yaml:6:11: duplicate step id "a" (first used at line 5)');
    expect(r.stderr).toContain('runbooks/broken.yaml:6:20: unknown executor type "nope"');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it("run refuses an invalid runbook and a missing required input with 2, executing nothing", async () => {
    const cwd = makeWorkdir();
    write(
      cwd,
      "needs",
      "inputs:\n  region: { required: true }\nsteps:\n  - { id: a, type: exec, with: { command: [touch, ran] } }\n",
    );
    const r = await runCli(["run", "needs"], cwd);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('runbooks/needs.yaml:5:3: missing required input "region"');
    const bad = await runCli(["run", "needs", "-i", "nope=1"], cwd);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('unknown input "nope"');
    expect(() => readFileSync(join(cwd, "ran"))).toThrow();
  });

  it("a gate without --approve or a terminal exits 5 naming it; approve from another shell, then resume", async () => {
    const cwd = makeWorkdir();
    const port = String(await freePort());
    const r = await runCli(["run", "failover-toy", "-i", `port=${port}`, "-i", "promoteSeconds=0"], cwd);
    expect(r.code).toBe(5);
    expect(r.stderr).toContain('gate "confirm-scope" needs 1 more approval');
    expect(r.stderr).toContain("runbook approve");
    const id = onlyExecutionId(cwd);
    expect(effects(cwd)).toEqual([]);

    const approve = await runCli(["approve", id], cwd, { RUNBOOK_OPERATOR: "bob" });
    expect(approve.code).toBe(0);
    expect(approve.stdout).toContain("approved gate confirm-scope");
    const resumed = await runCli(["resume", id, "--approve", "--json"], cwd);
    expect(resumed.code).toBe(0);
    expect(effects(cwd)).toEqual(["fence A", "promote B", "route B"]);
    const approvals = journalLines(cwd, id).filter((e) => e.type === "gate.approved") as unknown as {
      data: { by: string; via: string };
    }[];
    expect(approvals[0]!.data).toEqual({ by: "bob", via: "approve-command" });
  });

  it("runbook approve from a second shell reaches a waiting engine within a second (two-person rule)", async () => {
    const cwd = makeWorkdir();
    write(
      cwd,
      "two-person",
      "steps:\n  - id: go\n    type: approval\n    with: { prompt: Go?, approvers: [alice, bob], minApprovals: 2 }\n  - { id: after, type: exec, with: { command: [touch, after] } }\n",
    );
    const child = startCli(["run", "two-person", "--approve", "--json"], cwd);
    let stderr = "";
    child.stderr?.on("data", (d) => {
      stderr += d;
    });
    await until(() => stderr.includes("waiting at gate go"), 10_000, "the engine to wait for bob");
    const id = onlyExecutionId(cwd);
    expect((await runCli(["approve", id], cwd, { RUNBOOK_OPERATOR: "bob" })).code).toBe(0);
    // From the moment bob's approval is in the inbox (the approve command has returned):
    const asked = Date.now();
    const code = await new Promise((r) => child.on("close", r));
    expect(code).toBe(0);
    const approvedAt = journalLines(cwd, id).find(
      (e) => e.type === "gate.approved" && JSON.stringify(e).includes("bob"),
    ) as unknown as { ts: string };
    expect(Date.parse(approvedAt.ts) - asked).toBeLessThan(1000);
    expect(readFileSync(join(cwd, "after"))).toBeDefined();
  });

  it("a second run of the same runbook exits 4 and names the holder", async () => {
    const cwd = makeWorkdir();
    write(cwd, "long", "steps:\n  - { id: w, type: wait, with: { duration: 3s } }\n");
    const first = startCli(["run", "long", "--json"], cwd);
    await until(() => {
      try {
        return journalLines(cwd, onlyExecutionId(cwd)).some((e) => e.type === "step.intent");
      } catch {
        return false;
      }
    });
    const second = await runCli(["run", "long"], cwd);
    expect(second.code).toBe(4);
    expect(second.stderr).toMatch(
      new RegExp(`runbook long is already running: execution ${onlyExecutionId(cwd)}, pid ${first.pid}`),
    );
    first.kill("SIGKILL");
  });

  it("an abort criterion exits 3; a failing step exits 1 with what to do next", async () => {
    const cwd = makeWorkdir();
    write(
      cwd,
      "aborts",
      "abort:\n  - { id: marker, probe: { type: exec, with: { command: [test, '!', -e, stop] } }, every: 100ms }\nsteps:\n  - { id: trip, type: exec, with: { command: [touch, stop] } }\n  - { id: w, type: wait, with: { duration: 5s } }\nonAbort:\n  - { id: undo, type: exec, with: { command: [touch, undone] } }\n",
    );
    const aborted = await runCli(["run", "aborts"], cwd);
    expect(aborted.code).toBe(3);
    expect(aborted.stderr).toContain("aborted");
    expect(readFileSync(join(cwd, "undone"))).toBeDefined();

    write(
      cwd,
      "fails",
      "steps:\n  - { id: boom, type: exec, with: { command: [sh, -c, 'echo disk full >&2; exit 3'] } }\n",
    );
    const failed = await runCli(["run", "fails"], cwd);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain(
      "step boom: sh -c echo disk full >&2; exit 3 exited 3, expected 0: disk full",
    );
    expect(failed.stderr).toContain("runbook resume");
    const id = /failed (fails-\S+):/.exec(failed.stderr)![1]!;
    const log = join(cwd, ".runbook", "executions", id, "engine.log");
    expect(failed.stderr).toContain(`The error in full (SDK name, request id, stack): ${log}`);
    expect(readFileSync(log, "utf8")).toContain('"msg":"step failed"');
  });

  it("verify exits 6 when one byte of the journal changed", async () => {
    const cwd = makeWorkdir();
    write(cwd, "tiny", "steps:\n  - { id: n, type: note, with: { message: hello } }\n");
    expect((await runCli(["run", "tiny"], cwd)).code).toBe(0);
    const id = onlyExecutionId(cwd);
    expect((await runCli(["verify", id], cwd)).code).toBe(0);
    const path = join(cwd, ".runbook", "executions", id, "journal.jsonl");
    writeFileSync(path, readFileSync(path, "utf8").replace('"message":"hello"', '"message":"hellO"'));
    const r = await runCli(["verify", id], cwd);
    expect(r.code).toBe(6);
    expect(r.stderr).toMatch(/TAMPERED: .*line \d+/);
  });

  it("plan and graph touch nothing and describe every step", async () => {
    const cwd = makeWorkdir();
    const plan = await runCli(["plan", "failover-toy", "--json"], cwd);
    expect(plan.code).toBe(0);
    const parsed = JSON.parse(plan.stdout) as { steps: { id: string }[]; pointOfNoReturn: string };
    expect(parsed.steps.map((s) => s.id)).toContain("promote");
    expect(parsed.pointOfNoReturn).toBe("promote");
    const graph = await runCli(["graph", "failover-toy"], cwd);
    expect(graph.stdout).toMatch(/^flowchart TD/);
    expect(graph.stdout).toContain("point of no return");
    expect(effects(cwd)).toEqual([]);
    expect((await runCli(["list"], cwd)).stdout).toContain("No executions yet");
  });
});
