import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";
import { readSandboxEndpoints, type SandboxEndpoints } from "../../../src/sandbox/endpoints.js";
import { type RunningSandbox, runSupervisor } from "../../../src/sandbox/supervisor/run.js";

/**
 * One real sandbox (PostgreSQL pair, emulator, apps, edge) for the tests of a `describe`:
 * started before them in a fresh home, shut down and removed after. Read its parts from the
 * returned object inside the tests, once `beforeAll` has run.
 */
export function runningSandbox(prefix: string): {
  running: RunningSandbox;
  endpoints: SandboxEndpoints;
  home: string;
} {
  const sandbox = {} as { running: RunningSandbox; endpoints: SandboxEndpoints; home: string };
  beforeAll(async () => {
    sandbox.home = await mkdtemp(join(tmpdir(), `runbook-${prefix}-`));
    // The servers run as the `postgres` OS user when the tests run as root: it must enter the home.
    await chmod(sandbox.home, 0o755);
    sandbox.running = await runSupervisor({ home: sandbox.home, edgeTtlMs: 200, rdsTransitionMs: 300 });
    const read = await readSandboxEndpoints(sandbox.home);
    if (!read) throw new Error("no endpoints.json after start");
    sandbox.endpoints = read;
  }, 60_000);
  afterAll(async () => {
    await sandbox.running?.shutdown();
    if (sandbox.home) await rm(sandbox.home, { recursive: true, force: true });
  });
  return sandbox;
}
