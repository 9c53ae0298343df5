import { GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  type AccountSessions,
  createAccountSessions,
  roleSessionName,
} from "../../src/aws/account-sessions.js";
import type { EnvironmentRole } from "../../src/environment/aws-roles.js";
import { classifyError } from "../../src/executor.js";
import { createEmulator, defaultTopology, type Emulator } from "../../src/sandbox/emulator/index.js";

/** The sandbox operator's keys (the emulator verifies their signatures) and its recovery account's role. */
const BASE = { accessKeyId: "sandbox", secretAccessKey: "sandbox-secret" };
const OPERATOR = "arn:aws:iam::111111111111:user/operator";
const RECOVERY = "222222222222";
const ARC_ROLE = `arn:aws:iam::${RECOVERY}:role/runbook-arc`;
const EXTERNAL_ID = "runbook-ext-1";

describe("role session names", () => {
  it("are the operator's name and the whole execution id, in STS's alphabet, at most 64", () => {
    expect(
      roleSessionName("arn:aws:iam::111111111111:user/alice", "failover-case-api-20261127T070102Z-a1b2"),
    ).toBe("alice+failover-case-api-20261127T070102Z-a1b2");
    expect(roleSessionName("Jane Doe (on call)", "run-1")).toBe("Jane-Doe--on-call-+run-1");
    const id = "failover-case-api-with-a-rather-long-name-20261127T070102Z-a1b2";
    const name = roleSessionName(
      "arn:aws:sts::1:assumed-role/Admin/someone.with.a.long.name@example.com",
      id,
    );
    expect(name.length).toBeLessThanOrEqual(64);
    expect(name.endsWith(id)).toBe(true);
    expect(name).toMatch(/^[\w+=,.@-]{2,64}$/);
  });
});

describe("account sessions against the emulator's STS", () => {
  let emulator: Emulator;
  const open: AccountSessions[] = [];
  beforeAll(async () => {
    const topology = defaultTopology();
    // Sessions of 1.5 s, so a few seconds of polling outlive several of them.
    topology.iam = { sessionLifetimeMs: 1_500, arcRoleExternalId: EXTERNAL_ID };
    emulator = await createEmulator({ topology, evaluationIntervalMs: 100_000 });
  });
  afterAll(() => emulator.close());
  afterEach(() => {
    for (const s of open.splice(0)) s.destroy();
    emulator.calls.length = 0;
  });

  const sessions = (roles: EnvironmentRole[]) => {
    const s = createAccountSessions({
      client: { endpoints: { "*": emulator.url }, credentials: BASE },
      region: "us-west-2",
      accounts: { recovery: RECOVERY },
      roles,
      operator: OPERATOR,
      environment: "test",
    });
    open.push(s);
    return s;
  };
  const arc = (extra: Partial<EnvironmentRole> = {}): EnvironmentRole => ({
    account: RECOVERY,
    roleArn: ARC_ROLE,
    externalId: EXTERNAL_ID,
    ...extra,
  });
  const whoAmI = async (s: AccountSessions, account: string | undefined, region = "us-west-2") => {
    const client = await s.factoryFor(account).client("sts", region);
    return (await client.send(new GetCallerIdentityCommand({}))).Arn;
  };
  const assumeRoles = () => emulator.calls.filter((c) => c.operation === "AssumeRole");

  it("calls in a mapped account are made as its role, assumed with the base credentials", async () => {
    const s = sessions([arc({ durationSeconds: 900 })]);
    expect(await whoAmI(s, "recovery")).toBe(
      `arn:aws:sts::${RECOVERY}:assumed-role/runbook-arc/operator+preflight`,
    );
    expect(assumeRoles()).toMatchObject([
      {
        outcome: "ok",
        region: "us-west-2",
        principal: OPERATOR,
        params: {
          RoleArn: ARC_ROLE,
          RoleSessionName: "operator+preflight",
          ExternalId: EXTERNAL_ID,
          DurationSeconds: "900",
        },
      },
    ]);
    // The base account (no account: on the step) keeps the base chain: no role is assumed.
    expect(await whoAmI(s, undefined)).toBe(OPERATOR);
    expect(await s.principalFor(RECOVERY)).toBe(
      `arn:aws:sts::${RECOVERY}:assumed-role/runbook-arc/operator+preflight`,
    );
    expect(assumeRoles()).toHaveLength(1);
  });

  it("each execution assumes the role again, under its own session name, and asks who it is once", async () => {
    const run = sessions([arc()]).forExecution("failover-x-20261127T070102Z-a1b2");
    open.push(run);
    const arn = `arn:aws:sts::${RECOVERY}:assumed-role/runbook-arc/operator+failover-x-20261127T070102Z-a1b2`;
    expect(await run.principalFor("recovery")).toBe(arn);
    expect(await run.principalFor("recovery")).toBe(arn);
    expect(emulator.calls.filter((c) => c.operation === "GetCallerIdentity")).toHaveLength(1);
  });

  it("the role for the client's region comes before the account's other role", async () => {
    const other = `arn:aws:iam::${RECOVERY}:role/not-there`;
    const s = sessions([arc({ roleArn: other }), arc({ regions: ["us-east-1"] })]);
    expect(await whoAmI(s, "recovery", "us-east-1")).toMatch(/assumed-role\/runbook-arc\//);
    // Elsewhere the account's region-less role is used: here one that cannot be assumed.
    const err = await whoAmI(s, "recovery", "us-west-2").catch((e: unknown) => e);
    expect((err as Error).message).toContain(
      `cannot assume ${other} for account ${RECOVERY} (STS AssumeRole: User:`,
    );
    expect(classifyError(err).class).toBe("fatal");
  });

  it("an account with only regional roles is refused in other regions, never called with the base keys", async () => {
    const s = sessions([arc({ regions: ["us-east-1"] })]);
    await expect(whoAmI(s, "recovery", "us-west-2")).rejects.toThrow(
      "account recovery (222222222222) has a role only for us-east-1 in environment test; nothing maps it in us-west-2",
    );
    expect(emulator.calls).toHaveLength(0);
    // Its identity is asked where its role applies.
    expect(await s.principalFor("recovery")).toMatch(/assumed-role\/runbook-arc\//);
  });

  it("a wrong external id is refused by the role's trust policy, as AccessDenied", async () => {
    const err = await whoAmI(sessions([arc({ externalId: "wrong-id" })]), "recovery").catch(
      (e: unknown) => e,
    );
    expect((err as { name?: string }).name).toBe("AccessDenied");
    expect((err as Error).message).toContain(`cannot assume ${ARC_ROLE} for account ${RECOVERY}`);
  });

  it("an unknown alias is refused, naming the environment's accounts", () => {
    expect(() => sessions([]).factoryFor("recovry")).toThrow(
      'account "recovry" is neither a 12-digit account id nor an account of environment test (its accounts: recovery)',
    );
  });

  it("renews a short session before it expires across a long wait: no call is signed with expired keys", async () => {
    const client = await sessions([arc()]).factoryFor("recovery").client("sts", "us-west-2");
    const started = Date.now();
    let made = 0;
    // 1.5 s sessions across 6 s of polling every 50 ms: four lifetimes.
    while (Date.now() - started < 6_000) {
      await client.send(new GetCallerIdentityCommand({}));
      made++;
      await new Promise((r) => setTimeout(r, 50));
    }
    const asRole = emulator.calls.filter((c) => c.operation === "GetCallerIdentity");
    expect(asRole).toHaveLength(made);
    expect(asRole.every((c) => c.outcome === "ok" && c.principal?.includes("assumed-role/runbook-arc"))).toBe(
      true,
    );
    // Renewed about every 0.75 s: several times, yet far from once per call.
    expect(assumeRoles().length).toBeGreaterThanOrEqual(5);
    expect(assumeRoles().length).toBeLessThan(made / 4);
  });
});
