import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { journalLines, onlyExecutionId, startCli, until } from "./harness.js";

/**
 * A project for the real CLI against an emulator started in the test process: runbooks in
 * `runbooks/`, and an environment `emulator` whose endpoints are all the emulator (the
 * sandbox account, credentials from the process env as `EMULATOR_CREDENTIALS` gives them).
 */

export const EMULATOR_CREDENTIALS = {
  AWS_ACCESS_KEY_ID: "AKIDSANDBOX",
  AWS_SECRET_ACCESS_KEY: "sandbox-secret",
};

export function emulatorProject(
  prefix: string,
  emulatorUrl: string,
  region: string,
  runbooks: Record<string, string>,
): string {
  const dir = mkdtempSync(join(tmpdir(), `runbook-${prefix}-`));
  mkdirSync(join(dir, "runbooks"));
  mkdirSync(join(dir, "environments"));
  for (const [name, yaml] of Object.entries(runbooks))
    writeFileSync(join(dir, "runbooks", `${name}.yaml`), yaml);
  writeFileSync(
    join(dir, "environments", "emulator.yaml"),
    `apiVersion: runbook/v1
kind: Environment
metadata: { name: emulator, environment: sandbox, accounts: ["111111111111"] }
aws:
  region: ${region}
  endpoints: { "*": "${emulatorUrl}" }
`,
  );
  return dir;
}

/** `runbook run <runbook> --env emulator`, SIGKILLed once `ready(journal)` holds; returns the execution id. */
export async function runUntilKilled(
  cwd: string,
  runbook: string,
  ready: (journal: { type: string; stepId?: string }[]) => boolean,
  what: string,
): Promise<string> {
  const child = startCli(["run", runbook, "--env", "emulator", "--json"], cwd, EMULATOR_CREDENTIALS);
  let id = "";
  await until(
    () => {
      try {
        id ||= onlyExecutionId(cwd);
      } catch {
        return false;
      }
      return ready(journalLines(cwd, id));
    },
    30_000,
    what,
  );
  child.kill("SIGKILL");
  await new Promise((r) => child.on("close", r));
  return id;
}
