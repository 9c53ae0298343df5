import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { exec } from "../../executors/exec.js";
import { until } from "../cli/harness.js";
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

describe("exec output files", () => {
  const token = "s3cr3t-Tok-9f8e7d";

  it("hold no secret, not even one cut across two writes, and keep every other byte as it was", async () => {
    const { ctx } = contextFor("http://127.0.0.1:9", { secrets: () => [token, "other-secret"] });
    const params = exec.params.parse({
      command: [
        "bash",
        "-c",
        `printf '\\377\\376 %s' "\${TOK:0:3}"; sleep 0.3; printf '%s \\200\\n' "\${TOK:3}"; echo "err $TOK" >/dev/stderr`,
      ],
      env: { TOK: token },
    });
    const out = (await exec.run(params, ctx)) as { stdout: string };
    const stdout = readFileSync(join(ctx.scratchDir, "stdout.log"));
    expect(stdout).toEqual(
      Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(" *** "), Buffer.from([0x80, 0x0a])]),
    );
    // `>/dev/stderr` opens the pipe the command was given: a socket could not be opened.
    expect(readFileSync(join(ctx.scratchDir, "stderr.log"), "utf8")).toBe("err ***\n");
    expect(out.stdout).toContain("***");
    expect(existsSync(join(ctx.scratchDir, "running.token"))).toBe(false);
    expect(readdirSync(ctx.scratchDir).sort()).toEqual(["stderr.log", "stdout.log"]);
  });

  it("masked when the command fails: the error's output tail comes from them", async () => {
    const { ctx } = contextFor("http://127.0.0.1:9", { secrets: () => [token] });
    const params = exec.params.parse({ command: `echo "login with ${token} refused" >&2; exit 1` });
    const err = await exec.run(params, ctx).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).toMatch(/exited 1, expected 0: login with \*\*\* refused$/);
    expect(readFileSync(join(ctx.scratchDir, "stderr.log"), "utf8")).toBe("login with *** refused\n");
  });

  it("do not wait for a process the command left running in the background", async () => {
    const { ctx } = contextFor("http://127.0.0.1:9", { secrets: () => [token] });
    const params = exec.params.parse({ command: `(sleep 3; echo late ${token}) & echo now ${token}` });
    const started = Date.now();
    const out = (await exec.run(params, ctx)) as { stdout: string };
    expect(Date.now() - started).toBeLessThan(2500);
    expect(out.stdout).toBe("now ***");
    // What it writes later still reaches the file, masked.
    await until(() => readFileSync(join(ctx.scratchDir, "stdout.log"), "utf8").includes("late"), 10_000);
    expect(readFileSync(join(ctx.scratchDir, "stdout.log"), "utf8")).toBe("now ***\nlate ***\n");
  });
});
