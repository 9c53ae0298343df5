import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AccessDeniedException, ECSClient, UpdateServiceCommand } from "@aws-sdk/client-ecs";
import { IAMClient, SimulatePrincipalPolicyCommand } from "@aws-sdk/client-iam";
import { DescribeGlobalClustersCommand, RDSClient } from "@aws-sdk/client-rds";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SandboxStatus } from "../../src/sandbox/supervisor/status.js";
import { CLI, runCli } from "../cli/harness.js";
import { runningSandbox } from "../sandbox/supervisor/running-sandbox.js";

/**
 * `runbook sandbox iam …`, the `deny` fault, IAM in endpoints.json and status, and reset,
 * through the real built CLI against a real sandbox (its supervisor in this process).
 */
describe("runbook sandbox iam (CLI)", () => {
  const sandbox = runningSandbox("sandbox-iam");
  let dir: string;
  const cli = (...args: string[]) => runCli(["sandbox", ...args], dir, { RUNBOOK_HOME: sandbox.home });
  const client = <T>(Ctor: new (config: object) => T, region = "us-east-1") =>
    new Ctor({
      region,
      endpoint: sandbox.endpoints.emulator,
      credentials: sandbox.endpoints.credentials,
      maxAttempts: 1,
    });

  beforeAll(async () => {
    if (!(await import("node:fs")).existsSync(CLI))
      throw new Error("dist/cli.js is missing: run `npm run build` first");
    dir = await mkdtemp(join(tmpdir(), "runbook-sandbox-iam-"));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("endpoints.json names the accounts, the ARC role and the principals with their keys", () => {
    const e = sandbox.endpoints;
    expect(e.accounts).toEqual({ workload: "111111111111", recovery: "222222222222" });
    expect(e.roles).toEqual({ arc: "arn:aws:iam::222222222222:role/runbook-arc" });
    expect(e.principals?.operator).toEqual({
      arn: "arn:aws:iam::111111111111:user/operator",
      ...e.credentials,
    });
    expect(Object.keys(e.principals ?? {})).toEqual(["operator", "approver", "outsider"]);
    expect(e.routingControls["us-east-1"]).toContain("::222222222222:controlpanel/");
  });

  it("enforce shows and sets the state; attach takes runbook iam-policy JSON; calls are then refused", async () => {
    expect((await cli("iam", "enforce")).stdout).toContain("IAM enforcement is off");
    const policy = join(dir, "policy.json");
    await writeFile(
      policy,
      JSON.stringify({
        accounts: {
          "111111111111": {
            readOnly: {
              Version: "2012-10-17",
              Statement: [{ Effect: "Allow", Action: "rds:DescribeGlobalClusters", Resource: "*" }],
            },
            mutating: { Version: "2012-10-17", Statement: [] },
          },
        },
      }),
    );
    const attached = await cli("iam", "attach", policy);
    expect(attached.code, attached.stderr).toBe(0);
    expect(attached.stdout).toContain(
      "operator (arn:aws:iam::111111111111:user/operator): runbook-read-only",
    );
    const on = await cli("iam", "enforce", "on");
    expect(on.code, on.stderr).toBe(0);
    expect(on.stdout).toContain("IAM enforcement is ON");
    expect((await client(RDSClient).send(new DescribeGlobalClustersCommand({}))).GlobalClusters).toHaveLength(
      1,
    );
    const denied = await client(ECSClient)
      .send(new UpdateServiceCommand({ cluster: "case", service: "case-api", desiredCount: 3 }))
      .catch((e: unknown) => e);
    expect(denied).toBeInstanceOf(AccessDeniedException);
    const show = await cli("iam", "show", "operator");
    expect(show.stdout).toContain(
      "operator: arn:aws:iam::111111111111:user/operator (user in 111111111111, access key sandbox)",
    );
    expect(show.stdout).toContain('"Action": "rds:DescribeGlobalClusters"');
    const st = JSON.parse((await cli("status", "--json")).stdout) as SandboxStatus;
    expect(st.iam).toMatchObject({ enforced: true, policies: { operator: ["runbook-read-only"] } });
    expect((await cli("status")).stdout).toMatch(
      /IAM\s+enforcement ON; denied: nothing; operator \[runbook-read-only\]/,
    );
  });

  it("the deny fault makes SimulatePrincipalPolicy say explicitDeny, is listed, and is lifted with --clear", async () => {
    await cli("iam", "reset");
    const fault = await cli("fault", "deny", "rds:FailoverGlobalCluster", "operator");
    expect(fault.code, fault.stderr).toBe(0);
    expect(fault.stdout).toBe("fault on: deny rds:FailoverGlobalCluster to operator\n");
    const simulate = async () =>
      (
        await client(IAMClient).send(
          new SimulatePrincipalPolicyCommand({
            PolicySourceArn: "arn:aws:iam::111111111111:user/operator",
            ActionNames: ["rds:FailoverGlobalCluster"],
          }),
        )
      ).EvaluationResults?.[0]?.EvalDecision;
    expect(await simulate()).toBe("explicitDeny");
    expect((await cli("status")).stdout).toContain("deny rds:FailoverGlobalCluster to operator (since");
    const clear = await cli("fault", "deny", "rds:FailoverGlobalCluster", "--clear");
    expect(clear.stdout).toContain("fault cleared: deny rds:FailoverGlobalCluster to operator");
    expect(await simulate()).toBe("allowed");
    const bad = await cli("fault", "deny", "rds:FailoverGlobalClustr");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("unknown IAM action rds:FailoverGlobalClustr");
  });

  it("usage errors name the file, line and column, or the principal, without a stack trace", async () => {
    const broken = join(dir, "broken.json");
    await writeFile(broken, '{\n  "Version": "2012-10-17",\n  "Statement": [ }\n');
    const r = await cli("iam", "attach", broken);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/broken\.json:3:\d+: not valid JSON/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    const who = await cli("iam", "show", "mallory");
    expect(who.code).toBe(2);
    expect(who.stderr).toContain("unknown principal mallory");
    const state = await cli("iam", "enforce", "maybe");
    expect(state.code).toBe(2);
  });

  it("sandbox reset restores the default IAM and turns enforcement off", async () => {
    await cli("iam", "enforce", "on");
    await cli("fault", "deny", "ecs:UpdateService");
    const reset = await cli("reset");
    expect(reset.code, reset.stderr).toBe(0);
    const view = JSON.parse((await cli("iam", "show", "--json")).stdout) as {
      enforced: boolean;
      denies: unknown[];
      principals: { name: string; policies: Record<string, unknown> }[];
    };
    expect(view.enforced).toBe(false);
    expect(view.denies).toEqual([]);
    expect(Object.keys(view.principals.find((p) => p.name === "operator")?.policies ?? {})).toEqual([
      "sandbox-admin",
    ]);
  }, 60_000);
});
