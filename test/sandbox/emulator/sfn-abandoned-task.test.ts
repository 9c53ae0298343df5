import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";

/**
 * A Task aborted with its branch (a sibling failed) must leave nothing behind: the interpreter
 * races it against its own TimeoutSeconds timer, which outlived it and kept `runbook sandbox
 * down` waiting 30 s for the supervisor after every aborted Step Functions execution.
 */

describe("Step Functions: an aborted Task", () => {
  it("leaves no timer: the process exits once the execution failed and the emulator closed", async () => {
    const script = new URL("./fixtures/abandoned-task.ts", import.meta.url).pathname;
    const child = spawn(process.execPath, ["--import", "tsx", script], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
    });
    child.stderr.on("data", (d) => {
      out += d;
    });
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    const timeout = new Promise<"still running">((resolve) =>
      setTimeout(() => resolve("still running"), 15_000),
    );
    const result = await Promise.race([exited, timeout]);
    if (result === "still running") child.kill("SIGKILL");
    expect(result, out).toBe(0);
    expect(out).toContain("FAILED");
  }, 30_000);
});
