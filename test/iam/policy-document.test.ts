import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { iamAction, isReadAccess } from "../../src/iam/iam-data.js";
import {
  covers,
  type PolicyStatement,
  policyDocuments,
  type RunbookPolicy,
  statementFor,
} from "../../src/iam/policy-document.js";
import type { PermissionRow } from "../../src/iam/runbook-permissions.js";

/** The policy documents' invariants, over random permission rows. */

const ACTIONS = [
  "rds:DescribeGlobalClusters",
  "rds:FailoverGlobalCluster",
  "ecs:DescribeServices",
  "ecs:UpdateService",
  "autoscaling:DescribeAutoScalingGroups",
  "cloudwatch:GetMetricData",
  "cloudwatch:PutMetricData",
  "route53:ChangeResourceRecordSets",
  "route53:GetChange",
  "sts:AssumeRole",
  "iam:SimulatePrincipalPolicy",
  "secretsmanager:GetSecretValue",
];
const RESOURCES = [
  "*",
  "arn:aws:rds::1:global-cluster:g",
  "arn:aws:rds:us-west-2:1:cluster:*",
  "arn:aws:rds:us-west-2:1:cluster:b",
  "arn:aws:ecs:us-west-2:1:service/case/*",
  "arn:aws:ecs:us-west-2:1:service/case/api",
  "arn:aws:secretsmanager:us-west-2:1:secret:db-??????",
  "arn:aws:secretsmanager:us-west-2:1:secret:db-abcdef",
];

const row = fc.record({
  stepId: fc.constantFrom("a", "b", "c", "engine:identity"),
  phase: fc.constantFrom("check" as const, "run" as const),
  account: fc.constantFrom("111111111111", "222222222222", "*"),
  region: fc.constantFrom("us-east-1", "us-west-2", "*"),
  action: fc.constantFrom(...ACTIONS),
  resources: fc.uniqueArray(fc.constantFrom(...RESOURCES), { minLength: 1, maxLength: 3 }),
});
const rows = fc
  .array(row, { minLength: 1, maxLength: 25 })
  .map((rs) => rs.map((r) => ({ ...r, accessLevel: iamAction(r.action)!.accessLevel }) as PermissionRow));

const statements = (policy: RunbookPolicy, account: string) => [
  ...(policy.accounts[account]?.readOnly?.Statement ?? []),
  ...(policy.accounts[account]?.mutating?.Statement ?? []),
];

const granting = (list: readonly PolicyStatement[], action: string, resource: string) =>
  list.filter((s) => s.Action.includes(action) && s.Resource.some((r) => covers(r, resource)));

describe("policyDocuments", () => {
  it("grants each row by exactly one statement, and no (action, resource) pair twice", () => {
    fc.assert(
      fc.property(rows, (rs) => {
        const policy = policyDocuments(rs);
        for (const r of rs)
          for (const resource of r.resources)
            expect(granting(statements(policy, r.account), r.action, resource)).toHaveLength(1);
        for (const account of Object.keys(policy.accounts)) {
          const all = statements(policy, account);
          const actions = all.flatMap((s) => s.Action);
          expect(new Set(actions).size).toBe(actions.length);
        }
      }),
    );
  });

  it("the read-only document holds only Read and List actions; Write, Tagging and Permissions management are mutating", () => {
    fc.assert(
      fc.property(rows, (rs) => {
        const policy = policyDocuments(rs);
        for (const docs of Object.values(policy.accounts)) {
          for (const s of docs.readOnly?.Statement ?? [])
            for (const a of s.Action) expect(isReadAccess(iamAction(a)!.accessLevel), a).toBe(true);
          for (const s of docs.mutating?.Statement ?? [])
            for (const a of s.Action) expect(isReadAccess(iamAction(a)!.accessLevel), a).toBe(false);
        }
      }),
    );
  });

  it("removing any one statement takes away a permission a row needs", () => {
    fc.assert(
      fc.property(rows, (rs) => {
        const policy = policyDocuments(rs);
        for (const account of Object.keys(policy.accounts)) {
          const all = statements(policy, account);
          for (const s of all) {
            const rest = all.filter((x) => x !== s);
            const lost = rs.some(
              (r) =>
                r.account === account &&
                r.resources.some((res) => granting(rest, r.action, res).length === 0),
            );
            expect(lost, s.Sid).toBe(true);
          }
        }
      }),
    );
  });

  it("is the same whatever the order of the rows, with Sids unique across accounts and indexed to their steps", () => {
    fc.assert(
      fc.property(rows, fc.infiniteStream(fc.nat()), (rs, seeds) => {
        const shuffled = [...rs].sort(() => (seeds.next().value % 3) - 1);
        const policy = policyDocuments(rs);
        expect(JSON.stringify(policyDocuments(shuffled))).toBe(JSON.stringify(policy));
        const sids = Object.keys(policy.accounts).flatMap((a) => statements(policy, a).map((s) => s.Sid));
        expect(new Set(sids).size).toBe(sids.length);
        expect(Object.keys(policy.steps).sort()).toEqual([...sids].sort());
        for (const sid of sids) expect(sid).toMatch(/^(Read|Write)[A-Za-z0-9]+\d+$/);
        // The reverse index names exactly the steps whose rows the statement grants.
        for (const account of Object.keys(policy.accounts))
          for (const s of statements(policy, account)) {
            const needing = rs.filter((r) => r.account === account && s.Action.includes(r.action));
            expect(policy.steps[s.Sid]).toEqual([...new Set(needing.map((r) => r.stepId))].sort());
          }
      }),
    );
  });

  it("limits * to the rows' regions in regional services, never in global ones or when a region is unknown", () => {
    const base = { stepId: "a", phase: "run" as const, account: "1", resources: ["*"] };
    const policy = policyDocuments([
      { ...base, region: "us-west-2", action: "cloudwatch:GetMetricData", accessLevel: "Read" },
      { ...base, region: "us-east-1", action: "cloudwatch:GetMetricData", accessLevel: "Read" },
      { ...base, region: "us-west-2", action: "autoscaling:DescribeAutoScalingGroups", accessLevel: "List" },
      { ...base, region: "*", action: "autoscaling:DescribeAutoScalingGroups", accessLevel: "List" },
      { ...base, region: "us-east-1", action: "sts:GetCallerIdentity", accessLevel: "Read" },
      { ...base, region: "us-east-1", action: "route53:ListHostedZonesByName", accessLevel: "List" },
    ]);
    const read = policy.accounts["1"]!.readOnly!.Statement;
    expect(
      read.map((s) => [s.Sid, s.Action, s.Condition?.StringEquals["aws:RequestedRegion"] ?? null]),
    ).toEqual([
      ["ReadAutoscaling1", ["autoscaling:DescribeAutoScalingGroups"], null],
      ["ReadCloudwatch1", ["cloudwatch:GetMetricData"], ["us-east-1", "us-west-2"]],
      ["ReadRoute531", ["route53:ListHostedZonesByName"], null],
      ["ReadSts1", ["sts:GetCallerIdentity"], null],
    ]);
    expect(policy.accounts["1"]!.mutating).toBeUndefined();
  });

  it("folds resources a pattern already covers, and finds the statement and steps of a missing permission", () => {
    const policy = policyDocuments([
      {
        stepId: "promote",
        phase: "run",
        account: "1",
        region: "us-west-2",
        action: "rds:FailoverGlobalCluster",
        resources: ["arn:aws:rds:us-west-2:1:cluster:b", "arn:aws:rds::1:global-cluster:g"],
        accessLevel: "Write",
      },
      {
        stepId: "again",
        phase: "run",
        account: "1",
        region: "us-west-2",
        action: "rds:FailoverGlobalCluster",
        resources: ["arn:aws:rds:us-west-2:1:cluster:*"],
        accessLevel: "Write",
      },
    ]);
    const [statement] = policy.accounts["1"]!.mutating!.Statement;
    expect(statement!.Resource).toEqual([
      "arn:aws:rds::1:global-cluster:g",
      "arn:aws:rds:us-west-2:1:cluster:*",
    ]);
    expect(
      statementFor(policy, "1", "rds:FailoverGlobalCluster", "arn:aws:rds:us-west-2:1:cluster:b"),
    ).toEqual({
      part: "mutating",
      statement,
      stepIds: ["again", "promote"],
    });
    expect(
      statementFor(policy, "1", "rds:FailoverGlobalCluster", "arn:aws:rds:eu-west-1:1:cluster:b"),
    ).toBeUndefined();
  });

  it("a ? covers one character, never a * that may stand for more", () => {
    expect(covers("arn:s:secret:db-??????", "arn:s:secret:db-abcdef")).toBe(true);
    expect(covers("arn:s:secret:db-??????", "arn:s:secret:db-abc")).toBe(false);
    expect(covers("arn:s:secret:db-??????", "arn:s:secret:db-*")).toBe(false);
    expect(covers("arn:s:secret:*", "arn:s:secret:db-??????")).toBe(true);
  });
});
