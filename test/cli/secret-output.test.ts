import { existsSync, lstatSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type CliResult, finish, journalLines, makeWorkdir, runCli, startCli, until } from "./harness.js";

/**
 * Issue 10: a secret input must reach no file the engine writes, step output files included,
 * whether the step that prints it succeeds, fails, or is cut off by a SIGKILL and resumed.
 */

// Characters that JSON and HTML escape, so an escaped copy would not hide from the grep.
const SECRET = `tok-"Zq9/x+Ab7<mW3>&k2"-end`;

/** The secret as it could appear in a file: raw, JSON- or HTML-escaped, base64 at any alignment. */
function forms(secret: string): string[] {
  const raw = Buffer.from(secret);
  const base64 = [0, 1, 2].map((k) =>
    Buffer.concat([Buffer.alloc(k, 0x20), raw])
      .toString("base64")
      .slice(k ? 4 : 0, -4),
  );
  const html = secret
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;");
  return [secret, JSON.stringify(secret).slice(1, -1), html, ...base64];
}

/** The execution of runbook `name` in `cwd` (each runs once here), once its folder exists. */
function idOf(cwd: string, name: string): string {
  const dir = join(cwd, ".runbook", "executions");
  return (existsSync(dir) ? readdirSync(dir) : []).find((d) => d.startsWith(`${name}-`)) ?? "";
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    const st = lstatSync(path);
    if (st.isDirectory()) return filesUnder(path);
    return st.isFile() ? [path] : [];
  });
}

const runbook = (name: string, command: string, check?: string) => `apiVersion: runbook/v1
kind: Runbook
metadata: { name: ${name}, environment: sandbox }
inputs:
  token: { secret: true, required: true }
steps:
  - id: use-token
    type: exec
    with:
      command: [bash, -c, ${JSON.stringify(command)}]
      env: { TOK: "\${{ inputs.token }}" }
${check ? `    check: { command: [sh, -c, ${JSON.stringify(check)}] }\n` : ""}`;

describe("a secret input in an exec step", () => {
  it("is in no file the engine writes, and on no console, after runs that echo it, fail on it and are resumed", async () => {
    const cwd = makeWorkdir();
    const consoles: CliResult[] = [];
    writeFileSync(
      join(cwd, "runbooks", "secret-echo.yaml"),
      runbook("secret-echo", 'printf "out %s\\n" "$TOK"; printf "err %s\\n" "$TOK" >&2'),
    );
    writeFileSync(
      join(cwd, "runbooks", "secret-fail.yaml"),
      runbook("secret-fail", 'echo "login with $TOK"; echo "refused: $TOK" >&2; exit 1'),
    );
    // The secret is cut across two writes, and the engine is killed between them.
    writeFileSync(
      join(cwd, "runbooks", "secret-slow.yaml"),
      runbook(
        "secret-slow",
        'printf "first %s\\n" "$TOK"; printf "%s" "${TOK:0:3}"; sleep 2; printf "%s\\n" "${TOK:3}"; touch slow.done',
        "test -f slow.done",
      ),
    );

    // (a) echoes it on stdout and stderr and succeeds, shown in the plain view.
    const echo = await runCli(["run", "secret-echo", "-i", `token=${SECRET}`], cwd);
    consoles.push(echo);
    expect(echo.code, echo.stderr).toBe(0);
    const echoId = idOf(cwd, "secret-echo");
    const echoDir = join(cwd, ".runbook", "executions", echoId, "steps", "use-token");
    expect(readFileSync(join(echoDir, "stdout.log"), "utf8")).toBe("out ***\n");
    expect(readFileSync(join(echoDir, "stderr.log"), "utf8")).toBe("err ***\n");

    // (b) prints it and fails: the error carries the output's tail.
    const fail = await runCli(["run", "secret-fail", "--json", "-i", `token=${SECRET}`], cwd);
    consoles.push(fail);
    expect(fail.code).not.toBe(0);
    const failId = idOf(cwd, "secret-fail");
    const failed = journalLines(cwd, failId).find((e) => e.type === "step.failed");
    expect(JSON.stringify(failed)).toContain("refused: ***");

    // (c) SIGKILLed while its command runs; the command finishes alone, its output still masked.
    const slow = startCli(["run", "secret-slow", "--json", "-i", `token=${SECRET}`], cwd);
    const slowDone = finish(slow);
    const slowOut = () =>
      join(cwd, ".runbook", "executions", idOf(cwd, "secret-slow"), "steps", "use-token", "stdout.log");
    await until(
      () => existsSync(slowOut()) && readFileSync(slowOut(), "utf8").includes("first ***"),
      20_000,
      "the slow command's first line",
    );
    slow.kill("SIGKILL");
    consoles.push(await slowDone);
    const slowId = idOf(cwd, "secret-slow");
    expect(existsSync(join(cwd, "slow.done"))).toBe(false);
    const resumed = await runCli(["resume", slowId, "--json", "-i", `token=${SECRET}`], cwd);
    consoles.push(resumed);
    expect(resumed.code, resumed.stdout + resumed.stderr).toBe(0);
    // Resume waited for the command and for what writes its output, then settled the step by its check.
    expect(existsSync(join(cwd, "slow.done"))).toBe(true);
    expect(readFileSync(slowOut(), "utf8")).toBe("first ***\n***\n");
    expect(journalLines(cwd, slowId).map((e) => e.type)).toContain("step.checked");

    // Every report, of every execution, in every format.
    const reports = [
      ["history"],
      ["history", "-f", "json"],
      ["history", "-f", "html"],
      ["list"],
      ["list", "--json"],
    ];
    const ids = [echoId, failId, slowId];
    for (const id of ids) {
      reports.push(["timeline", id], ["timeline", id, "-f", "json"], ["timeline", id, "-f", "html"]);
      reports.push(["status", id], ["status", id, "--json"], ["verify", id]);
    }
    for (const args of reports) {
      const r = await runCli(args, cwd);
      expect(r.stdout, args.join(" ")).not.toBe("");
      consoles.push(r);
    }

    const leaks: string[] = [];
    for (const form of forms(SECRET)) {
      const needle = Buffer.from(form);
      for (const file of filesUnder(cwd))
        if (readFileSync(file).includes(needle)) leaks.push(`${file}: ${form}`);
      consoles.forEach((c, i) => {
        if ((c.stdout + c.stderr).includes(form)) leaks.push(`console ${i}: ${form}`);
      });
    }
    expect(leaks).toEqual([]);
    // The grep did read the journal, the engine log and the output files of every execution.
    const seen = filesUnder(join(cwd, ".runbook")).map((f) => f.slice(cwd.length));
    for (const id of ids) {
      expect(seen).toContain(`/.runbook/executions/${id}/journal.jsonl`);
      expect(seen).toContain(`/.runbook/executions/${id}/engine.log`);
      expect(seen).toContain(`/.runbook/executions/${id}/steps/use-token/stderr.log`);
    }
  });
});
