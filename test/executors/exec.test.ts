import { spawn } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { exec } from "../../executors/exec.js";
import { contextFor } from "./context.js";

const made: { destroy(): void }[] = [];
afterEach(() => {
  for (const m of made.splice(0)) m.destroy();
});

function context() {
  const c = contextFor("http://127.0.0.1:9");
  made.push(c);
  return c;
}

describe("exec after a crash", () => {
  it("waits for a command an earlier engine started, even one killed before it learnt the pid", async () => {
    const { ctx, progress } = context();
    const done = join(ctx.cwd, "promoted");
    // What a killed engine leaves: the token file, and a command carrying that token still running.
    mkdirSync(ctx.scratchDir, { recursive: true });
    writeFileSync(join(ctx.scratchDir, "running.token"), "token-1");
    const orphan = spawn(
      process.execPath,
      ["-e", `setTimeout(() => require("node:fs").writeFileSync(${JSON.stringify(done)}, "B"), 800)`],
      { env: { ...process.env, RUNBOOK_EXEC_TOKEN: "token-1" }, detached: true, stdio: "ignore" },
    );
    const params = exec.params.parse({
      command: ["true"],
      check: { command: ["test", "-f", done] },
    });
    // The check passes only if it waited: the orphan makes B the writer 0.8 s from now.
    const checked = await exec.check!(params, ctx);
    expect(checked).toMatchObject({ inPlace: true });
    // The check says what the resume sat waiting for, and for how long.
    expect(checked?.detail).toMatch(
      new RegExp(
        `exited 0, after waiting \\d+\\.\\ds for pid ${orphan.pid}, started by the engine that was stopped`,
      ),
    );
    expect(orphan.exitCode ?? orphan.signalCode).not.toBeNull();
    expect(progress).toEqual([
      `waiting for pid ${orphan.pid}, started by the engine that was stopped, to finish`,
    ]);
    expect(existsSync(join(ctx.scratchDir, "running.token"))).toBe(false);
  });

  it("does not wait when nothing carries the token any more, and leaves no token after a run", async () => {
    const { ctx, progress } = context();
    mkdirSync(ctx.scratchDir, { recursive: true });
    writeFileSync(join(ctx.scratchDir, "running.token"), "token-of-a-finished-command");
    const params = exec.params.parse({ command: ["sh", "-c", 'echo "$RUNBOOK_EXEC_TOKEN" | wc -c'] });
    const out = (await exec.run(params, ctx)) as { stdout: string };
    expect(Number(out.stdout)).toBe(37); // a UUID and a newline: the command carried its own token
    expect(progress).toEqual([]);
    expect(existsSync(join(ctx.scratchDir, "running.token"))).toBe(false);
  });
});
