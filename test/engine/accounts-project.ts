import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";
import { createEmulator, defaultTopology, type Emulator } from "../../src/sandbox/emulator/index.js";

/**
 * A project whose `sandbox` environment reads a running emulator the way `runbook sandbox up`
 * leaves it (endpoints.json: the emulator, the operator's keys, both accounts and the ARC
 * role), and maps the recovery account to that role: for tests of steps in two accounts.
 */

export const WORKLOAD = "111111111111";
export const RECOVERY = "222222222222";
export const OPERATOR = `arn:aws:iam::${WORKLOAD}:user/operator`;
export const EXTERNAL_ID = "runbook-ext-1";
const ARC_ROLE = `arn:aws:iam::${RECOVERY}:role/runbook-arc`;

export function accountsEmulator(): { emulator: Emulator } {
  const held = {} as { emulator: Emulator };
  beforeAll(async () => {
    const topology = defaultTopology();
    topology.iam = { arcRoleExternalId: EXTERNAL_ID };
    held.emulator = await createEmulator({ topology, evaluationIntervalMs: 100_000 });
  });
  afterAll(() => held.emulator?.close());
  return held;
}

/** `metadata` of the environment: e.g. `accounts: ["111111111111"]` to allow one account only. */
export function accountsProject(
  emulatorUrl: string,
  runbooks: Record<string, string>,
  metadata = "",
): { cwd: string; env: { RUNBOOK_HOME: string } } {
  const cwd = mkdtempSync(join(tmpdir(), "runbook-accounts-"));
  const home = join(cwd, ".runbook");
  mkdirSync(join(cwd, "runbooks"));
  mkdirSync(join(cwd, "environments"));
  mkdirSync(join(home, "sandbox"), { recursive: true });
  for (const [name, yaml] of Object.entries(runbooks))
    writeFileSync(join(cwd, "runbooks", `${name}.yaml`), yaml);
  writeFileSync(
    join(home, "sandbox", "endpoints.json"),
    JSON.stringify({
      emulator: emulatorUrl,
      accountId: WORKLOAD,
      accounts: { workload: WORKLOAD, recovery: RECOVERY },
      roles: { arc: ARC_ROLE },
      credentials: { accessKeyId: "sandbox", secretAccessKey: "sandbox-secret" },
    }),
  );
  writeFileSync(
    join(cwd, "environments", "sandbox.yaml"),
    `apiVersion: runbook/v1
kind: Environment
metadata: { name: sandbox, environment: sandbox${metadata ? `, ${metadata}` : ""} }
from: sandbox
aws:
  region: us-west-2
  accounts:
    workload: "\${{ sandbox.accounts.workload }}"
    recovery: "\${{ sandbox.accounts.recovery }}"
  roles:
    - { account: recovery, roleArn: "\${{ sandbox.roles.arc }}", externalId: ${EXTERNAL_ID} }
vars:
  workloadAccount: "\${{ sandbox.accounts.workload }}"
`,
  );
  return { cwd, env: { RUNBOOK_HOME: home } };
}

/** An aws.assert that passes only when the call is made in `account`. */
export function whoAmI(id: string, account: string, extra = ""): string {
  return `  - id: ${id}
    type: aws.assert${extra ? `\n    ${extra}` : ""}
    with:
      service: sts
      command: GetCallerIdentity
      region: us-west-2
      expect: "Account == '${account}'"
`;
}

export function runbookText(name: string, steps: string, rest = ""): string {
  return `apiVersion: runbook/v1
kind: Runbook
metadata: { name: ${name}, environment: sandbox }
${rest}steps:
${steps}`;
}
