import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadEnvironment } from "../../src/environment/environment.js";
import { ValidationError } from "../../src/errors.js";

/** `aws.accounts` and `aws.roles` of an environment file: resolved to ids, refused at file:line:col. */

function project(yaml: string, sandbox?: Record<string, unknown>): { dir: string; home: string } {
  const dir = mkdtempSync(join(tmpdir(), "runbook-roles-"));
  mkdirSync(join(dir, "environments"));
  writeFileSync(join(dir, "environments", "e.yaml"), yaml);
  const home = join(dir, ".runbook");
  if (sandbox) {
    mkdirSync(join(home, "sandbox"), { recursive: true });
    writeFileSync(join(home, "sandbox", "endpoints.json"), JSON.stringify(sandbox));
  }
  return { dir, home };
}

const HEAD = `apiVersion: runbook/v1
kind: Environment
metadata: { name: e, environment: prod, accounts: ["111111111111", "222222222222"] }
aws:
  region: us-west-2
`;
/** HEAD has 5 lines: what a case appends starts on line 6. */

function load(yaml: string, sandbox?: Record<string, unknown>) {
  const { dir, home } = project(yaml, sandbox);
  return loadEnvironment("e", dir, home, { EXTERNAL_ID: "from-the-shell" });
}

function problems(yaml: string): string[] {
  try {
    load(yaml);
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err;
    return err.diagnostics.map((d) => `${d.line}:${d.col} ${d.message}`);
  }
  throw new Error("expected a ValidationError");
}

describe("environment accounts and roles", () => {
  it("resolves aliases to account ids, keeps regions, external id and duration", () => {
    const env = load(`${HEAD}  accounts: { workload: "111111111111", recovery: "222222222222" }
  roles:
    - { account: recovery, roleArn: "arn:aws:iam::222222222222:role/ops/arc-failover", durationSeconds: 3600 }
    - account: "111111111111"
      regions: [us-east-1]
      roleArn: arn:aws:iam::111111111111:role/db-failover
      externalId: "\${{ env.EXTERNAL_ID }}"
`);
    expect(env.aws.accounts).toEqual({ workload: "111111111111", recovery: "222222222222" });
    expect(env.aws.roles).toEqual([
      {
        account: "222222222222",
        roleArn: "arn:aws:iam::222222222222:role/ops/arc-failover",
        durationSeconds: 3600,
      },
      {
        account: "111111111111",
        regions: ["us-east-1"],
        roleArn: "arn:aws:iam::111111111111:role/db-failover",
        externalId: "from-the-shell",
      },
    ]);
  });

  it("an environment without them has none", () => {
    const env = load(HEAD);
    expect(env.aws.accounts).toEqual({});
    expect(env.aws.roles).toEqual([]);
  });

  it("takes the sandbox's accounts and role like vars, and allows both accounts", () => {
    const env = load(
      `apiVersion: runbook/v1
kind: Environment
metadata: { name: e, environment: sandbox }
from: sandbox
aws:
  accounts:
    workload: "\${{ sandbox.accounts.workload }}"
    recovery: "\${{ sandbox.accounts.recovery }}"
  roles:
    - { account: recovery, roleArn: "\${{ sandbox.roles.arc }}" }
`,
      {
        emulator: "http://127.0.0.1:1",
        accountId: "111111111111",
        accounts: { workload: "111111111111", recovery: "222222222222" },
        roles: { arc: "arn:aws:iam::222222222222:role/runbook-arc" },
        credentials: { accessKeyId: "AKID", secretAccessKey: "s" },
      },
    );
    expect(env.aws.accounts).toEqual({ workload: "111111111111", recovery: "222222222222" });
    expect(env.aws.roles).toEqual([
      { account: "222222222222", roleArn: "arn:aws:iam::222222222222:role/runbook-arc" },
    ]);
    expect(env.accounts).toEqual(["111111111111", "222222222222"]);
  });

  it("a sandbox that does not offer the role says so at the field", () => {
    expect(() =>
      load(
        `apiVersion: runbook/v1
kind: Environment
metadata: { name: e, environment: sandbox }
from: sandbox
aws:
  roles:
    - { account: "222222222222", roleArn: "\${{ sandbox.roles.arc }}" }
`,
        { emulator: "http://127.0.0.1:1", accountId: "111111111111" },
      ),
    ).toThrow(
      /e\.yaml:7:43: aws\.roles\[0\]\.roleArn: not an IAM role ARN.*\(\$\{\{ sandbox\.roles\.arc \}\} gave nothing\)/,
    );
  });

  it("refuses what is not an IAM role ARN, or a role of another account, at its position", () => {
    expect(
      problems(`${HEAD}  roles:
    - { account: "222222222222", roleArn: "arn:aws:iam::222222222222:user/alice" }
`),
    ).toEqual([
      "7:43 aws.roles[0].roleArn: not an IAM role ARN: arn:aws:iam::<12-digit account>:role/<name>",
    ]);
    expect(
      problems(`${HEAD}  accounts: { workload: "111111111111" }
  roles:
    - { account: workload, roleArn: "arn:aws:iam::222222222222:role/arc" }
`),
    ).toEqual([
      "8:37 aws.roles[0].roleArn: arn:aws:iam::222222222222:role/arc is a role of account 222222222222, but it is mapped to account 111111111111 (workload)",
    ]);
  });

  it("refuses an alias the environment does not define, naming the ones it does", () => {
    expect(
      problems(`${HEAD}  accounts: { workload: "111111111111" }
  roles:
    - { account: recovery, roleArn: "arn:aws:iam::222222222222:role/arc" }
`),
    ).toEqual([
      '8:18 aws.roles[0].account: "recovery" is neither a 12-digit account id nor an alias in aws.accounts (workload)',
    ]);
  });

  it("refuses bad ids, durations out of range and unknown fields by the schema", () => {
    expect(
      problems(`${HEAD}  accounts: { recovery: "2222" }
  roles:
    - { account: recovery, roleArn: "arn:aws:iam::222222222222:role/arc", durationSeconds: 600 }
    - { account: recovery, rolearn: "arn:aws:iam::222222222222:role/arc" }
`),
    ).toEqual([
      "6:25 aws.accounts.recovery: an AWS account id has 12 digits",
      "8:92 aws.roles[0].durationSeconds: a role session lasts 900 (15 minutes) to 43200 seconds (12 hours)",
      '9:7 missing required field "roleArn"',
      '9:28 unknown field "rolearn" (did you mean "roleArn"?)',
    ]);
  });

  it("one role per account and region", () => {
    expect(
      problems(`${HEAD}  roles:
    - { account: "222222222222", roleArn: "arn:aws:iam::222222222222:role/a" }
    - { account: "222222222222", regions: [us-east-1], roleArn: "arn:aws:iam::222222222222:role/b" }
    - { account: "222222222222", roleArn: "arn:aws:iam::222222222222:role/c" }
`),
    ).toEqual(["9:7 aws.roles[2]: account 222222222222 already has a role (aws.roles[0])"]);
  });
});
