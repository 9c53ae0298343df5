import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runSupervisor } from "./run.js";

/**
 * Bench hook: how long `runbook sandbox up` takes to make a sandbox ready (target
 * ≤ 20 s on 2 cores): a supervisor started in-process on free ports in a temporary
 * RUNBOOK_HOME, timed until endpoints.json is written, then shut down and removed.
 */
export async function benchSandboxUp(): Promise<{ upMs: number }> {
  const home = await mkdtemp(join(tmpdir(), "runbook-bench-sandbox-"));
  // The databases run as the `postgres` OS user, which must be able to enter the home.
  await chmod(home, 0o755);
  try {
    const started = performance.now();
    const running = await runSupervisor({ home });
    const upMs = Math.round(performance.now() - started);
    await running.shutdown();
    return { upMs };
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}
