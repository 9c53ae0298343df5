import { UsageError } from "../errors.js";
import { parseDuration } from "../language/duration.js";
import { readSandboxEndpoints, type SandboxEndpoints, supervisorLogPath } from "../sandbox/endpoints.js";
import { isProcessAlive, readSupervisorPid } from "../sandbox/supervisor/supervisor-process.js";
import { homeOf } from "./executions.js";
import type { CommandIO } from "./io.js";

/** What the `runbook sandbox …` commands share: finding the running sandbox and talking to it. */

/** "30s", "1m", "500ms", or a bare number of seconds → ms. */
export function parseDurationOption(text: string, what: string): number {
  const t = text.trim();
  const ms = /^\d+(\.\d+)?$/.test(t) ? Math.round(Number(t) * 1000) : parseDuration(t);
  if (ms === undefined)
    throw new UsageError(`${what} must be a duration like 30s, 2m or 500ms (got ${text})`);
  return ms;
}

export const notRunning = () =>
  new UsageError("the sandbox is not running", "Start it with: runbook sandbox up");

/** The running sandbox's endpoints (endpoints.json present and its supervisor alive), else a usage error. */
export async function requireSandbox(io: CommandIO): Promise<SandboxEndpoints> {
  const home = homeOf(io);
  const endpoints = await readSandboxEndpoints(home);
  if (!endpoints) {
    const pid = await readSupervisorPid(home);
    if (pid !== undefined && isProcessAlive(pid))
      throw new UsageError(
        `the sandbox is still starting (supervisor pid ${pid})`,
        `Wait for it: runbook sandbox up (its log: ${supervisorLogPath(home)})`,
      );
    throw notRunning();
  }
  if (!isProcessAlive(endpoints.pid)) {
    throw new UsageError(
      `the sandbox is not running (its supervisor, pid ${endpoints.pid}, is gone)`,
      "Clean up with: runbook sandbox down\nthen start it with: runbook sandbox up",
    );
  }
  return endpoints;
}

export async function control<T>(
  endpoints: SandboxEndpoints,
  method: "GET" | "POST",
  path: string,
  body?: unknown,
) {
  let response: Response;
  try {
    response = await fetch(`${endpoints.control}${path}`, {
      method,
      ...(body === undefined
        ? {}
        : { body: JSON.stringify(body), headers: { "content-type": "application/json" } }),
      signal: AbortSignal.timeout(120_000),
    });
  } catch (error) {
    throw new UsageError(
      `the sandbox's control API (${endpoints.control}) does not answer: ${(error as Error).message}`,
      "Is it still starting? Check: runbook sandbox status",
    );
  }
  const json = (await response.json().catch(() => ({}))) as T & { error?: string };
  return { status: response.status, json };
}
