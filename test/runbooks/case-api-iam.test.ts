import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { useCliSandbox } from "../fixtures/cli-sandbox.js";

/**
 * Issue 12's promise on a real sandbox, through the real CLI: the policy `runbook iam-policy`
 * prints is enough for the failover with IAM enforced (ARC through the role in the second
 * account), every one of its statements is needed (`runbook check` names a step without it),
 * and one denied action stops `check` and `run` before anything runs.
 */

const { home, cli, endpoints } = useCliSandbox("runbook-case-api-iam-");

interface PolicyDocument {
  Version: string;
  Statement: { Sid: string; Action: string[]; Resource: string[] }[];
}
interface RunbookPolicy {
  accounts: Record<string, { readOnly?: PolicyDocument; mutating?: PolicyDocument }>;
  steps: Record<string, string[]>;
}

async function mutations(): Promise<{ operation: string; outcome: string }[]> {
  const calls = (await (await fetch(`${endpoints().emulator}/_sandbox/calls?mutating=1`)).json()) as {
    operation: string;
    outcome: string;
  }[];
  return calls;
}

function journalOf(prefix: string): { type: string; stepId?: string; data: Record<string, unknown> }[] {
  const id = readdirSync(join(home, "executions"))
    .filter((d) => d.startsWith(prefix))
    .sort()
    .at(-1)!;
  return readFileSync(join(home, "executions", id, "journal.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));
}

describe("failover-case-api under enforced IAM", () => {
  it("the generated policy is exactly enough: each statement is needed, and the failover completes under it", async () => {
    const file = join(home, "policy.json");
    const made = await cli(["iam-policy", "failover-case-api", "--env", "sandbox", "-o", file]);
    expect(made.code, made.stderr).toBe(0);
    const policy = JSON.parse(readFileSync(file, "utf8")) as RunbookPolicy;
    const { workload, recovery } = endpoints().accounts!;
    expect(Object.keys(policy.accounts).sort()).toEqual([workload, recovery].sort());

    expect((await cli(["sandbox", "iam", "enforce", "on"])).code).toBe(0);
    // Before the policy is attached the admin policy applies: ready.
    const attach = await cli(["sandbox", "iam", "attach", file]);
    expect(attach.code, attach.stderr).toBe(0);
    const ready = await cli(["check", "failover-case-api", "--env", "sandbox"]);
    expect(ready.code, ready.stdout + ready.stderr).toBe(0);

    // Without any one statement, check fails and names a step that needs it.
    const statements = Object.entries(policy.accounts).flatMap(([account, parts]) =>
      (["readOnly", "mutating"] as const).flatMap((part) =>
        (parts[part]?.Statement ?? []).map((s) => ({ account, part, sid: s.Sid })),
      ),
    );
    expect(statements.length).toBeGreaterThan(10);
    const partial = join(home, "partial.json");
    for (const { account, part, sid } of statements) {
      const copy = structuredClone(policy);
      const doc = copy.accounts[account]![part]!;
      doc.Statement = doc.Statement.filter((s) => s.Sid !== sid);
      if (doc.Statement.length === 0) delete copy.accounts[account]![part];
      writeFileSync(partial, JSON.stringify(copy));
      expect((await cli(["sandbox", "iam", "attach", partial])).code).toBe(0);
      const check = await cli(["check", "failover-case-api", "--env", "sandbox"]);
      const named = policy.steps[sid]!.filter((step) => !step.startsWith("engine:"));
      expect(check.code, `${sid}: ${check.stdout}${check.stderr}`).not.toBe(0);
      if (named.length)
        expect(
          named.some((step) => check.stdout.includes(step)),
          `${sid} (${named.join(", ")}): ${check.stdout}`,
        ).toBe(true);
    }

    // Exactly the generated policy: the failover completes, ARC through the assumed role.
    expect((await cli(["sandbox", "iam", "attach", file])).code).toBe(0);
    const run = await cli(["run", "failover-case-api", "--env", "sandbox", "--approve", "--json"]);
    expect(run.code, run.stdout.slice(-3000) + run.stderr).toBe(0);
    const journal = journalOf("failover-case-api");
    const intents = journal.filter((e) => e.type === "step.intent");
    const fence = intents.find((e) => e.stepId === "fence-writes")!;
    expect(fence.data.account).toBe(recovery);
    expect(String(fence.data.principal)).toMatch(
      new RegExp(`^arn:aws:sts::${recovery}:assumed-role/runbook-arc/`),
    );
    const promote = intents.find((e) => e.stepId === "promote")!;
    expect(String(promote.data.principal)).toBe(`arn:aws:iam::${workload}:user/operator`);
    // Nothing the emulator served was refused: the policy covered every call.
    expect((await mutations()).filter((c) => c.outcome === "AccessDenied")).toEqual([]);
    expect(JSON.stringify(journal)).not.toContain(endpoints().credentials.secretAccessKey);
  }, 600_000);

  it("one denied action: check names the step and the action, and run stops before anything runs", async () => {
    expect((await cli(["sandbox", "reset"])).code).toBe(0);
    expect((await cli(["sandbox", "iam", "enforce", "on"])).code).toBe(0);
    expect((await cli(["sandbox", "fault", "deny", "rds:FailoverGlobalCluster"])).code).toBe(0);
    const check = await cli(["check", "failover-case-api", "--env", "sandbox"]);
    expect(check.code).toBe(1);
    expect(check.stdout).toMatch(/✘ NOT READY {2}promote {2}rds:FailoverGlobalCluster on arn:aws:rds::/);
    expect(check.stdout).toContain("explicitly denied");

    const before = (await mutations()).length;
    const run = await cli(["run", "failover-case-api", "--env", "sandbox", "--approve"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("would be refused by IAM; nothing was run");
    expect(run.stderr).toContain("promote");
    expect((await mutations()).length).toBe(before);
  }, 120_000);
});
