import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminClient, type Emulator } from "../../../src/sandbox/emulator/index.js";
import { startEmulator } from "./helpers.js";

/** The IAM admin API from another process's point of view: over HTTP, through adminClient. */

const allow = (action: string) => ({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Action: action, Resource: "*" }],
});

describe("the emulator's IAM admin API", () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startEmulator();
  });
  afterAll(async () => {
    await emulator.close();
  });
  const admin = () => adminClient(emulator.url);

  it("shows the two accounts, the principals and their default policies, never a secret key", async () => {
    const view = await admin().iam();
    expect(view.enforced).toBe(false);
    expect(view.accounts).toEqual({ workload: "111111111111", recovery: "222222222222" });
    expect(view.principals.map((p) => [p.name, p.arn, p.accessKeyId])).toEqual([
      ["operator", "arn:aws:iam::111111111111:user/operator", "sandbox"],
      ["approver", "arn:aws:iam::111111111111:user/approver", "AKIASANDBOXAPPROVER1"],
      ["outsider", "arn:aws:iam::111111111111:user/outsider", "AKIASANDBOXOUTSIDER1"],
      ["runbook-arc", "arn:aws:iam::222222222222:role/runbook-arc", undefined],
    ]);
    expect(Object.keys(view.principals[0]?.policies ?? {})).toEqual(["sandbox-admin"]);
    expect(JSON.stringify(view)).not.toContain("secret");
    expect(JSON.stringify(await admin().state())).not.toContain("sandbox-secret");
  });

  it("attaches runbook iam-policy JSON to each account's principal, replacing their policies", async () => {
    const view = await admin().iamCommand({
      command: "attach",
      document: {
        accounts: {
          "111111111111": { readOnly: allow("rds:Describe*"), mutating: allow("rds:FailoverGlobalCluster") },
          "222222222222": {
            readOnly: allow("route53-recovery-cluster:GetRoutingControlState"),
            mutating: { Version: "2012-10-17", Statement: [] },
          },
        },
      },
    });
    const policies = (name: string) => view.principals.find((p) => p.name === name)?.policies ?? {};
    expect(Object.keys(policies("operator"))).toEqual(["runbook-read-only", "runbook-mutating"]);
    expect(policies("operator")["runbook-mutating"]).toEqual(allow("rds:FailoverGlobalCluster"));
    expect(Object.keys(policies("runbook-arc"))).toEqual(["runbook-read-only"]);
    expect(Object.keys(policies("approver"))).toEqual(["sandbox-caller-identity"]);
  });

  it("attaches a plain policy document to one principal, by name", async () => {
    const view = await admin().iamCommand({
      command: "attach",
      principal: "outsider",
      document: allow("sts:*"),
    });
    expect(view.principals.find((p) => p.name === "outsider")?.policies).toEqual({
      attached: allow("sts:*"),
    });
  });

  it("refuses what it cannot attach, saying where the problem is", async () => {
    await expect(
      admin().iamCommand({
        command: "attach",
        document: { accounts: { "999999999999": { readOnly: allow("*") } } },
      }),
    ).rejects.toThrow(
      /accounts\.999999999999: not a sandbox account \(workload 111111111111, recovery 222222222222\)/,
    );
    await expect(
      admin().iamCommand({
        command: "attach",
        document: {
          accounts: {
            "111111111111": {
              mutating: {
                Version: "2012-10-17",
                Statement: [{ Effect: "Permit", Action: "*", Resource: "*" }],
              },
            },
          },
        },
      }),
    ).rejects.toThrow(/accounts\.111111111111\.mutating: Statement\[0\]\.Effect/);
    await expect(
      admin().iamCommand({ command: "attach", principal: "mallory", document: allow("*") }),
    ).rejects.toThrow(/unknown principal mallory/);
    await expect(admin().iamCommand({ command: "attach", document: { Effect: "Allow" } })).rejects.toThrow(
      /neither an IAM policy document/,
    );
  });

  it("enforce, the deny fault and reset: back to the defaults, enforcement off, no deny", async () => {
    expect((await admin().iamCommand({ command: "enforce", on: true })).enforced).toBe(true);
    await admin().fault({ kind: "iamDeny", action: "rds:FailoverGlobalCluster", on: true });
    const denied = await admin().iam();
    expect(denied.denies).toEqual([
      {
        action: "rds:FailoverGlobalCluster",
        principals: ["operator", "approver", "outsider", "runbook-arc"],
      },
    ]);
    expect(denied.principals.every((p) => p.denied.includes("rds:FailoverGlobalCluster"))).toBe(true);
    const reset = await admin().iamCommand({ command: "reset" });
    expect(reset.enforced).toBe(false);
    expect(reset.denies).toEqual([]);
    expect(Object.keys(reset.principals.find((p) => p.name === "operator")?.policies ?? {})).toEqual([
      "sandbox-admin",
    ]);
  });

  it("caps session lifetimes on request (a test hook), and lifts the cap", async () => {
    expect((await admin().iamCommand({ command: "session-lifetime", ms: 2_000 })).sessionLifetimeMs).toBe(
      2_000,
    );
    expect((await admin().iamCommand({ command: "session-lifetime" })).sessionLifetimeMs).toBeUndefined();
    await expect(admin().iamCommand({ command: "session-lifetime", ms: -1 })).rejects.toThrow(/ms > 0/);
  });
});
