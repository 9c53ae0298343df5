import { describe, expect, it } from "vitest";
import { planCommand } from "../../src/commands/plan.js";
import { UsageError } from "../../src/errors.js";
import { accountsProject, RECOVERY, runbookText, WORKLOAD, whoAmI } from "../engine/accounts-project.js";
import { fakeIo } from "../language/fake-io.js";

/** `runbook plan` shows each AWS step's account and the role its calls will be made as. */

const ROLE = `arn:aws:iam::${RECOVERY}:role/runbook-arc`;

function planIn(steps: string) {
  // Plan touches nothing: the sandbox's address is never called.
  const { cwd, env } = accountsProject("http://127.0.0.1:9", { cross: runbookText("cross", steps) });
  const io = { ...fakeIo(cwd), env };
  return { io, run: (json = false) => planCommand("cross", { env: "sandbox", json }, io) };
}

describe("runbook plan with accounts", () => {
  it("tags steps that name an account with it and its role, in text and JSON", async () => {
    const { io, run } = planIn(
      `${whoAmI("base", WORKLOAD)}${whoAmI("arc", RECOVERY, "account: recovery")}${whoAmI("db", WORKLOAD, 'account: "${{ vars.workloadAccount }}"')}`,
    );
    expect(await run()).toBe(0);
    const lines = io.out().split("\n");
    expect(lines.find((l) => l.includes(" base "))).not.toContain("account");
    expect(lines.find((l) => l.includes(" arc "))).toContain(`(account recovery (${RECOVERY}) as ${ROLE})`);
    expect(lines.find((l) => l.includes(" db "))).toContain(
      `(account ${WORKLOAD} with the base credentials)`,
    );
    const before = io.out().length;
    expect(await run(true)).toBe(0);
    const plan = JSON.parse(io.out().slice(before)) as { steps: Record<string, unknown>[] };
    expect(plan.steps.find((s) => s.id === "arc")).toMatchObject({
      account: "recovery",
      accountId: RECOVERY,
      roles: [ROLE],
    });
  });

  it("refuses an alias the environment does not define", async () => {
    const { run } = planIn(whoAmI("arc", RECOVERY, "account: recovry"));
    await expect(run()).rejects.toThrow(UsageError);
    await expect(run()).rejects.toThrow(
      /account "recovry" is neither a 12-digit account id nor an account of environment sandbox/,
    );
  });
});
