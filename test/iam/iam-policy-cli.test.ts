import { cpSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { makeWorkdir, ROOT, runCli } from "../cli/harness.js";

/**
 * `runbook iam-policy` through the built CLI, on the shipped runbook and the production
 * environment template: no sandbox, no credentials, no AWS.
 */

let cwd: string;
const NO_AWS = { AWS_ACCESS_KEY_ID: "", AWS_SECRET_ACCESS_KEY: "", AWS_PROFILE: "no-such-profile" };
const policy = (...args: string[]) =>
  runCli(["iam-policy", "failover-case-api", "--env", "environments/aws-example.yaml", ...args], cwd, NO_AWS);

beforeAll(() => {
  cwd = makeWorkdir();
  cpSync(join(ROOT, "environments"), join(cwd, "environments"), { recursive: true });
});

describe("runbook iam-policy", () => {
  it("json: per account a read-only and a mutating document, and the steps each statement serves", async () => {
    const r = await policy();
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.runbook).toBe("failover-case-api");
    expect(out.environment).toBe("aws-example");
    // The example keeps ARC in a recovery account, reached through a role.
    expect(Object.keys(out.accounts)).toEqual(["111122223333", "444455556666"]);
    const { readOnly, mutating } = out.accounts["111122223333"];
    const actions = (doc: { Statement: { Action: string[] }[] }) => doc.Statement.flatMap((s) => s.Action);
    expect(actions(readOnly)).toEqual(
      expect.arrayContaining(["rds:DescribeGlobalClusters", "iam:SimulatePrincipalPolicy"]),
    );
    // AWS lets everyone call it: a statement for it would grant nothing.
    expect(actions(readOnly)).not.toContain("sts:GetCallerIdentity");
    expect(actions(readOnly)).not.toContain("rds:FailoverGlobalCluster");
    expect(actions(mutating)).toEqual(
      expect.arrayContaining(["rds:FailoverGlobalCluster", "sts:AssumeRole"]),
    );
    expect(actions(out.accounts["444455556666"].mutating)).toEqual([
      "route53-recovery-cluster:UpdateRoutingControlStates",
    ]);
    const failover = mutating.Statement.find((s: { Action: string[] }) =>
      s.Action.includes("rds:FailoverGlobalCluster"),
    );
    expect(failover.Resource).toEqual([
      "arn:aws:rds::111122223333:global-cluster:case-global",
      "arn:aws:rds:ap-southeast-3:111122223333:cluster:*",
    ]);
    expect(out.steps[failover.Sid]).toEqual(["promote"]);
    // The same bytes every time.
    expect((await policy()).stdout).toBe(r.stdout);
  });

  it("terraform: an aws_iam_policy per account and part, each jsonencode'd, braces balanced", async () => {
    const r = await policy("--format", "terraform");
    expect(r.code).toBe(0);
    const tf = r.stdout;
    expect(tf).toContain("# Account 111122223333: read-only");
    expect(tf).toContain('resource "aws_iam_policy" "failover_case_api_111122223333_read_only" {');
    expect(tf).toContain('resource "aws_iam_policy" "failover_case_api_111122223333_mutating" {');
    expect(tf).toContain('resource "aws_iam_policy" "failover_case_api_444455556666_mutating" {');
    expect(tf.match(/policy = jsonencode\(/g)).toHaveLength(4);
    const code = tf.replace(/"(?:[^"\\]|\\.)*"/g, '""').replace(/#.*$/gm, "");
    for (const [open, close] of [
      ["{", "}"],
      ["(", ")"],
      ["[", "]"],
    ] as const)
      expect(code.split(open).length, open).toBe(code.split(close).length);
    // What jsonencode gets is the JSON format's document.
    const json = JSON.parse((await policy()).stdout);
    const body = /read_only" \{[\s\S]*?policy = jsonencode\(([\s\S]*?)\)\n\}/.exec(tf)?.[1];
    expect(JSON.parse(body ?? "")).toEqual(json.accounts["111122223333"].readOnly);
  });

  it("cloudformation: a template of AWS::IAM::ManagedPolicy resources, to -o a file", async () => {
    const r = await policy("-f", "cloudformation", "-o", "iam.json");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("IAM policy written to");
    const template = JSON.parse(readFileSync(join(cwd, "iam.json"), "utf8"));
    expect(template.AWSTemplateFormatVersion).toBe("2010-09-09");
    expect(Object.values(template.Resources).map((x) => (x as { Type: string }).Type)).toEqual([
      "AWS::IAM::ManagedPolicy",
      "AWS::IAM::ManagedPolicy",
      "AWS::IAM::ManagedPolicy",
      "AWS::IAM::ManagedPolicy",
    ]);
    expect(template.Resources.ReadOnly111122223333).toMatchObject({
      Condition: "InAccount111122223333",
      Properties: { ManagedPolicyName: "runbook-failover-case-api-read-only" },
    });
    expect(template.Conditions.InAccount111122223333).toEqual({
      "Fn::Equals": [{ Ref: "AWS::AccountId" }, "111122223333"],
    });
  });

  it("a bad format is a usage error naming the formats; --help teaches with examples", async () => {
    const bad = await policy("-f", "yaml");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('unknown format "yaml": use one of json, terraform, cloudformation');
    expect(bad.stderr).not.toMatch(/\n\s+at /);
    const help = await runCli(["iam-policy", "--help"], cwd);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("Examples:");
    expect(help.stdout).toContain("-f terraform");
  });
});
