import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { prepare } from "../../src/commands/prepare.js";
import { AccountGuardError } from "../../src/engine/account-guard.js";
import { UsageError } from "../../src/errors.js";
import { loadRunbook } from "../../src/language/load.js";
import {
  accountsEmulator,
  accountsProject,
  OPERATOR,
  RECOVERY,
  runbookText,
  WORKLOAD,
  whoAmI,
} from "./accounts-project.js";

/**
 * The account guard, before anything runs: every account a step, onAbort step or abort probe
 * calls into must be allowed, and STS must say its session is in that very account.
 */

const held = accountsEmulator();
afterEach(() => held.emulator.calls.splice(0));

async function prepareIn(steps: string, metadata = "", rest = "") {
  const { cwd, env } = accountsProject(
    held.emulator.url,
    { cross: runbookText("cross", steps, rest) },
    metadata,
  );
  const runbook = loadRunbook("cross", cwd);
  const io = { cwd, env };
  const run = () => prepare(runbook, { name: "sandbox", source: "--env" }, io);
  return { run, cwd, env };
}

describe("account guard", () => {
  it("checks every account touched through its own session, and lets the run go on", async () => {
    const { run } = await prepareIn(
      whoAmI("base", WORKLOAD) + whoAmI("arc", RECOVERY, "account: recovery"),
      "",
      `abort:\n  - id: arc-up\n    probe: { type: aws.assert, account: recovery, with: { service: sts, command: GetCallerIdentity, region: us-west-2, expect: "Account == '${RECOVERY}'" } }\n`,
    );
    const prepared = await run();
    try {
      expect(prepared.operator).toBe(OPERATOR);
      const sts = held.emulator.calls.filter((c) => c.service === "sts");
      expect(sts.map((c) => [c.operation, c.principal])).toEqual([
        // Who the operator is, then the guard: the base account, the recovery account as its role.
        ["GetCallerIdentity", OPERATOR],
        ["GetCallerIdentity", OPERATOR],
        ["AssumeRole", OPERATOR],
        ["GetCallerIdentity", `arn:aws:sts::${RECOVERY}:assumed-role/runbook-arc/operator+preflight`],
      ]);
    } finally {
      prepared.aws.destroy();
    }
  });

  it("refuses a role in an account the environment does not allow, before any call as it", async () => {
    const { run, env } = await prepareIn(
      whoAmI("arc", RECOVERY, "account: recovery"),
      `accounts: ["${WORKLOAD}"]`,
    );
    const err = await run().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AccountGuardError);
    expect((err as Error).message).toBe(
      `account recovery (${RECOVERY}) (role arn:aws:iam::${RECOVERY}:role/runbook-arc), named by steps arc, is not allowed for runbook cross (allowed: ${WORKLOAD}); nothing was touched`,
    );
    expect(held.emulator.calls.filter((c) => c.operation === "AssumeRole")).toEqual([]);
    expect(existsSync(join(env.RUNBOOK_HOME, "executions"))).toBe(false);
  });

  it("refuses an account the credentials are not in when no role maps it, touching nothing", async () => {
    const other = "333333333333";
    const { run, env } = await prepareIn(
      whoAmI("base", WORKLOAD) + whoAmI("elsewhere", other, `account: "${other}"`),
      `accounts: ["${WORKLOAD}", "${other}"]`,
    );
    const err = await run().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AccountGuardError);
    expect((err as Error).message).toBe(
      `steps elsewhere call account ${other}, but the base credentials are in account ${WORKLOAD} (${OPERATOR}); nothing was touched`,
    );
    expect((err as AccountGuardError).hint).toContain(`Map a role for account ${other} under aws.roles`);
    expect(held.emulator.calls.filter((c) => c.service !== "sts")).toEqual([]);
    expect(existsSync(join(env.RUNBOOK_HOME, "executions"))).toBe(false);
  });

  it("refuses an alias the environment does not define, naming the step", async () => {
    const { run } = await prepareIn(whoAmI("arc", RECOVERY, "account: recovry"));
    const err = await run().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toMatch(
      /^step "arc" \(.*cross\.yaml\): account "recovry" is neither a 12-digit account id nor an account of environment sandbox \(its accounts: workload, recovery\)$/,
    );
    expect(held.emulator.calls.filter((c) => c.operation === "AssumeRole")).toEqual([]);
  });
});
