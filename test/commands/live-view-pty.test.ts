import { spawn, spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CLI, freePort, journalLines, makeWorkdir, onlyExecutionId, runCli } from "../cli/harness.js";
import { VtScreen } from "./vt-screen.js";

/**
 * `runbook run` on a real pseudo-terminal (util-linux `script` makes one), its output replayed
 * on `VtScreen`: the screen the operator is left with, scrollback included, as tmux shows it.
 */

const ROWS = 40;

// Never a skip: a machine without util-linux's `script` fails here, saying what is missing.
const scriptCheck = spawnSync("script", ["--version"]);
if (scriptCheck.status !== 0) {
  throw new Error(
    "these tests need util-linux's `script` to make a pseudo-terminal (apt-get install bsdutils)",
  );
}
/** The steps of runbooks/failover-toy.yaml, in order. */
const STEPS = [
  "start-toy",
  "confirm-scope",
  "prechecks",
  "recovery-healthy",
  "replication-lag",
  "fence-writes",
  "promote",
  "shift-traffic",
  "settle",
  "validate",
  "stop-toy",
];

interface PtyRun {
  code: number | null;
  /** How many prompts it answered (or `onPrompt` dealt with). */
  prompts: number;
  screen: VtScreen;
  cwd: string;
}

/**
 * Runs failover-toy at `cols` × 40 and answers the n-th gate's prompt with `answers[n - 1]`
 * (else `y`) + Enter as it appears; `onPrompt` may act instead (return true when it did).
 */
async function runOnPty(
  cols: number,
  answers: string[] = [],
  onPrompt?: (n: number, cwd: string, type: (keys: string) => void) => Promise<boolean>,
): Promise<PtyRun> {
  const cwd = makeWorkdir();
  const port = await freePort();
  const command = `stty cols ${cols} rows ${ROWS}; exec '${process.execPath}' '${CLI}' run failover-toy -i promoteSeconds=1 -i port=${port}`;
  const child = spawn("script", ["-qfec", command, "/dev/null"], {
    cwd,
    env: { ...process.env, RUNBOOK_HOME: join(cwd, ".runbook"), RUNBOOK_OPERATOR: "alice", TERM: "xterm" },
    stdio: ["pipe", "pipe", "pipe"],
  });
  const screen = new VtScreen(cols, ROWS);
  let raw = "";
  let prompts = 0;
  let busy = false;
  // Each prompt as it appears; one at a time (the next is looked for when this one is dealt with).
  const answerPrompts = () => {
    const asked = promptsAsked(raw);
    if (asked <= prompts || busy) return;
    prompts++;
    busy = true;
    const n = prompts;
    void (onPrompt?.(n, cwd, (keys) => child.stdin.write(keys)) ?? Promise.resolve(false)).then((handled) => {
      if (!handled) child.stdin.write(`${answers[n - 1] ?? "y"}\r`);
      busy = false;
      answerPrompts();
    });
  };
  child.stdout.setEncoding("utf8");
  child.stdout.on("data", (d: string) => {
    raw += d;
    screen.write(d);
    answerPrompts();
  });
  // A run that hangs (a prompt nobody answers) is ended here, its screen then shown by the assertions.
  const stuck = setTimeout(() => child.kill("SIGKILL"), 15_000);
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  clearTimeout(stuck);
  return { code, screen, cwd, prompts };
}

/**
 * How many gates have asked `Approve? [y/N]` in `raw`. Not how often it was written: readline
 * writes the prompt again whenever it redraws the line, as when the answer reaches the last
 * column. Counting those answered prompts nobody asked, and the keys then went to the terminal
 * between gates, which echoed them below the frame (`y`, CR LF: one row the live view cannot know
 * of), and the next frame began one row below the old one.
 */
function promptsAsked(raw: string): number {
  return raw
    .split("\nGate ")
    .slice(1)
    .filter((afterGate) => afterGate.includes(ASK)).length;
}

const ASK = "Approve? [y/N] ";

/** The rows of the step list that show `id`: `✔ promote …`, `✔   recovery-healthy …`. */
function stepRows(lines: string[], id: string): string[] {
  return lines.filter((l) => new RegExp(`^\\S {1,3}${id}( |$)`).test(l));
}

function expectOneCleanFrame(run: PtyRun, cols: number): void {
  const lines = run.screen.all();
  const shown = `\n${lines.join("\n")}\n`;
  expect(run.screen.unsupported, "escape codes the test terminal does not know").toEqual([]);
  expect(run.code, shown).toBe(0);
  // failover-toy has two gates: keys for a prompt nobody asked would be echoed by the terminal.
  expect(run.prompts, "prompts answered").toBe(2);
  for (const id of STEPS) {
    const rows = stepRows(lines, id);
    expect(rows, `${id} in ${shown}`).toHaveLength(1);
    expect(rows[0], shown).toMatch(/^✔/);
  }
  expect(
    lines.filter((l) => l.startsWith("failover-toy · sandbox · run")),
    shown,
  ).toHaveLength(1);
  expect(
    lines.filter((l) => l.startsWith("status: ")),
    shown,
  ).toEqual(["status: completed"]);
  expect(
    lines.filter((l) => l.startsWith("RTO ")),
    shown,
  ).toHaveLength(1);
  // The answered prompts are gone: the frame says who approved.
  expect(shown).not.toContain("Approve?");
  expect(shown).not.toContain("Gate ");
  // The frame starts at the top, where the run started, and nothing of it is lost above.
  expect(lines[0], shown).toMatch(/^failover-toy · sandbox · run/);
  expect(run.screen.scrollback, shown).toEqual([]);
  if (cols >= 80) {
    expect(stepRows(lines, "confirm-scope")[0]).toMatch(/approved by alice$/);
    expect(stepRows(lines, "promote")[0]).toMatch(/approved by alice · → db_promoted$/);
  }
}

describe("the prompts runOnPty answers", () => {
  it("counts a gate's prompt once, also when readline writes it again to redraw a wrapping answer", () => {
    const frame = "\r\x1b[15A\x1b[2Kfailover-toy · sandbox · run\r\n\x1b[J";
    const gate = (id: string) => `\r\nGate ${id}: Go on?\r\n\x1b[1G\x1b[0J${ASK}\x1b[16G`;
    // What the pty showed for `y` + 24 spaces at 40 columns: at the last column readline redraws.
    const answer = `y${" ".repeat(24)}\x1b[1G\x1b[0J${ASK}y${" ".repeat(24)} \x1b[1G\r\r\n`;
    expect(promptsAsked(frame)).toBe(0);
    expect(promptsAsked(frame + gate("confirm-scope"))).toBe(1);
    expect(promptsAsked(frame + gate("confirm-scope") + answer + frame)).toBe(1);
    expect(promptsAsked(frame + gate("confirm-scope") + answer + frame + gate("promote") + answer)).toBe(2);
    expect(promptsAsked(`${frame}\r\nGate promote: Go on?\r\n`)).toBe(0);
  });
});

describe("runbook run on a terminal, answering the gates", () => {
  for (const cols of [40, 80, 120]) {
    it.concurrent(`leaves one clean frame at ${cols}×${ROWS}: each step once, no prompt, no earlier frame`, async () => {
      expectOneCleanFrame(await runOnPty(cols), cols);
    }, 20_000);
  }

  it.concurrent("counts the rows of an answer that fills the last column, and of one that wraps", async () => {
    // `Approve? [y/N] ` is 15 columns: `y` and 24 spaces end exactly at the edge of 40.
    const run = await runOnPty(40, [`y${" ".repeat(24)}`, `yes${" ".repeat(50)}`]);
    expectOneCleanFrame(run, 40);
  }, 20_000);

  it.concurrent("leaves one clean frame when a gate is approved from another shell while its prompt waits", async () => {
    const run = await runOnPty(40, [], async (n, cwd, type) => {
      if (n !== 1) return false;
      // Half an answer typed (it wraps), then bob approves with `runbook approve`: the prompt goes away.
      type("yes, once the lag is below 1s");
      const r = await runCli(["approve", onlyExecutionId(cwd), "--step", "confirm-scope"], cwd, {
        RUNBOOK_HOME: join(cwd, ".runbook"),
        RUNBOOK_OPERATOR: "bob",
      });
      expect(r.code, r.stderr).toBe(0);
      return true;
    });
    expectOneCleanFrame(run, 40);
    const approvals = journalLines(run.cwd, onlyExecutionId(run.cwd)).filter(
      (e) => e.type === "gate.approved",
    );
    expect(approvals.map((e) => [e.stepId, (e as { data?: { by?: string } }).data?.by])).toEqual([
      ["confirm-scope", "bob"],
      ["promote", "alice"],
    ]);
  }, 20_000);
});
