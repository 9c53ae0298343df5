import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { executors } from "../executors/index.js";
import { startExecution } from "../src/engine/engine.js";
import { validateRunbook } from "../src/language/validate.js";

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Wall time of a 200-step runbook of no-op steps, per step, journal fsync included (median of 5 runs). */
export async function benchEngine(steps = 200, runs = 5): Promise<{ msPerStep: number; runs: number[] }> {
  const body = Array.from(
    { length: steps },
    (_, i) => `  - { id: s${i}, type: note, with: { message: step ${i} } }`,
  ).join("\n");
  const yaml = `apiVersion: runbook/v1\nkind: Runbook\nmetadata: { name: bench, environment: sandbox }\nsteps:\n${body}\n`;
  const runbook = validateRunbook(yaml, "runbooks/bench.yaml", executors);
  const perStep: number[] = [];
  for (let r = 0; r < runs + 1; r++) {
    const home = mkdtempSync(join(tmpdir(), "runbook-bench-"));
    const started = performance.now();
    const out = await startExecution(
      runbook,
      { inputs: {} },
      { home, workdir: home, env: {}, operator: "bench", autoApprove: true },
    );
    const ms = performance.now() - started;
    if (out.status !== "completed") throw new Error(`bench run ${out.status}`);
    rmSync(home, { recursive: true, force: true });
    if (r > 0) perStep.push(ms / steps); // the first run warms up the JIT and module cache
  }
  return { msPerStep: median(perStep), runs: perStep };
}

/** `runbook --version` against `node -e 0`, medians of the same number of runs, in one go. */
export function benchCliStart(runs = 15): { cliMs: number; nodeMs: number; ratio: number } {
  const time = (args: string[]) => {
    const xs: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t = performance.now();
      const r = spawnSync(process.execPath, args, { stdio: "ignore" });
      if (r.status !== 0) throw new Error(`${args.join(" ")} exited ${r.status}`);
      xs.push(performance.now() - t);
    }
    return median(xs);
  };
  const cli = join(new URL("..", import.meta.url).pathname, "dist", "cli.js");
  const nodeMs = time(["-e", "0"]);
  const cliMs = time([cli, "--version"]);
  return { cliMs, nodeMs, ratio: cliMs / nodeMs };
}
