import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { finish, journalLines, makeWorkdir, onlyExecutionId, runCli, startCli, until } from "./harness.js";

describe("Ctrl-C during a run", () => {
  it("stops before the next step, leaves a resumable execution, and resume finishes it", async () => {
    const cwd = makeWorkdir();
    writeFileSync(
      join(cwd, "runbooks", "interruptible.yaml"),
      `apiVersion: runbook/v1
kind: Runbook
metadata: { name: interruptible, environment: sandbox }
steps:
  - { id: first, type: exec, with: { command: "sleep 1; echo first >> effects.log" } }
  - { id: second, type: exec, with: { command: "echo second >> effects.log" } }
`,
    );
    const child = startCli(["run", "interruptible", "--json"], cwd);
    const done = finish(child);
    await until(() => {
      try {
        return journalLines(cwd, onlyExecutionId(cwd)).some(
          (e) => e.type === "step.intent" && e.stepId === "first",
        );
      } catch {
        return false;
      }
    });
    child.kill("SIGINT");
    const r = await done;
    expect(r.stderr).toContain("Ctrl-C: stopping before the next step");
    expect(r.code).toBe(1);
    const id = onlyExecutionId(cwd);
    const events = journalLines(cwd, id) as { type: string; stepId?: string; data?: { reason?: string } }[];
    expect(events.find((e) => e.type === "execution.paused")?.data?.reason).toBe("stopped");
    expect(events.some((e) => e.type === "step.succeeded" && e.stepId === "first")).toBe(true);
    expect(events.some((e) => e.type === "step.intent" && e.stepId === "second")).toBe(false);

    const resumed = await runCli(["resume", id, "--json"], cwd);
    expect(resumed.code).toBe(0);
    expect(readFileSync(join(cwd, "effects.log"), "utf8").trim().split("\n")).toEqual(["first", "second"]);
  });
});
