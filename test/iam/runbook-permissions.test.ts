import { describe, expect, it } from "vitest";
import { executors } from "../../executors/index.js";
import type { Environment } from "../../src/environment/environment.js";
import { loadEnvironment } from "../../src/environment/environment.js";
import { neededPermissions, runbookPermissions } from "../../src/iam/runbook-permissions.js";
import { loadRunbook } from "../../src/language/load.js";
import { validateRunbook } from "../../src/language/validate.js";

const ROOT = new URL("../..", import.meta.url).pathname;
const HOME = "111122223333";
const RECOVERY = "222233334444";
const ROLE = `arn:aws:iam::${RECOVERY}:role/runbook-arc`;

function environment(extra: Partial<Environment["aws"]> = {}): Environment {
  return {
    name: "test",
    kind: "prod",
    file: "test.yaml",
    sha256: "",
    accounts: [HOME],
    aws: { region: "us-west-2", endpoints: {}, accounts: {}, roles: [], ...extra },
    vars: { cell: "arn:aws:route53-recovery-control::222233334444:controlpanel/p/routingcontrol/b" },
  };
}

const runbook = (steps: string, extra = "") =>
  validateRunbook(
    `apiVersion: runbook/v1
kind: Runbook
metadata: { name: accounts, environment: sandbox }
${extra}
steps:
${steps}`,
    `${ROOT}runbooks/accounts.yaml`,
    executors,
  );

const ARC_STEP = `  - id: shift
    type: arc.set-routing-controls
    account: recovery
    with:
      clusterEndpoints: [{ endpoint: "https://a.example/v1", region: us-east-1 }]
      controls: [{ arn: "\${{ vars.cell }}", state: "On" }]`;

describe("runbookPermissions", () => {
  it("the shipped failover: a row per step, phase, region and action, for steps, onAbort and abort probes", () => {
    const rb = loadRunbook("failover-case-api", ROOT);
    const env = loadEnvironment("aws-example", ROOT, `${ROOT}.runbook`, {});
    const rows = runbookPermissions(rb, env, executors);
    const of = (stepId: string) => rows.filter((r) => r.stepId === stepId);
    expect(of("promote").map((r) => `${r.phase} ${r.action} ${r.region} ${r.accessLevel}`)).toEqual([
      "check rds:DescribeGlobalClusters ap-southeast-3 List",
      "check rds:DescribeDBClusters ap-southeast-3 List",
      "run rds:DescribeGlobalClusters ap-southeast-3 List",
      "run rds:DescribeDBClusters ap-southeast-3 List",
      "run rds:FailoverGlobalCluster ap-southeast-3 Write",
    ]);
    // onAbort step, abort probe: both there.
    expect(of("restore-primary-routing").length).toBeGreaterThan(0);
    expect(of("recovery-capacity-shortage").map((r) => r.action)).toEqual(["ecs:DescribeServices"]);
    // Steps that call no AWS have no row; ARC's are in the recovery account, the rest at home.
    expect(of("validate")).toEqual([]);
    expect(new Set(rows.map((r) => r.account))).toEqual(new Set([HOME, "444455556666"]));
    expect(new Set(of("fence-writes").map((r) => r.account))).toEqual(new Set(["444455556666"]));
    // Secrets' replication check runs in the primary region, on the primary's ARN.
    expect(of("secrets-in-sync").map((r) => `${r.region} ${r.resources}`)).toContain(
      `ap-southeast-1 arn:aws:secretsmanager:ap-southeast-1:${HOME}:secret:case-api/db-??????`,
    );
  });

  it("a step's account resolves through the environment's aliases; roles add AssumeRole and SimulatePrincipalPolicy on the role", () => {
    const rb = runbook(ARC_STEP);
    const env = environment({
      accounts: { recovery: RECOVERY },
      roles: [{ account: RECOVERY, roleArn: ROLE }],
    });
    const rows = runbookPermissions(rb, env, executors);
    expect(
      rows
        .filter((r) => r.stepId === "shift")
        .map((r) => `${r.account} ${r.region} ${r.action} ${r.resources}`),
    ).toEqual([
      `${RECOVERY} us-east-1 route53-recovery-cluster:GetRoutingControlState ${env.vars.cell}`,
      `${RECOVERY} us-east-1 route53-recovery-cluster:UpdateRoutingControlStates ${env.vars.cell}`,
      `${RECOVERY} us-east-1 route53-recovery-cluster:GetRoutingControlState ${env.vars.cell}`,
    ]);
    const engine = rows
      .filter((r) => r.stepId.startsWith("engine:"))
      .map((r) => `${r.stepId} ${r.account} ${r.action} ${r.resources}`);
    expect(engine).toEqual([
      `engine:permission-check ${HOME} iam:SimulatePrincipalPolicy arn:aws:iam::${HOME}:user/*,arn:aws:iam::${HOME}:role/*`,
      `engine:permission-check ${RECOVERY} iam:SimulatePrincipalPolicy ${ROLE}`,
      `engine:assume-role ${HOME} sts:AssumeRole ${ROLE}`,
      `engine:permission-check ${RECOVERY} iam:GetRole ${ROLE}`,
    ]);
  });

  it("without an environment: account and region unknown, vars known only at run time are *", () => {
    const rows = runbookPermissions(runbook(ARC_STEP), undefined, executors);
    const shift = rows.find((r) => r.stepId === "shift" && r.action.endsWith("UpdateRoutingControlStates"))!;
    // An alias nothing resolves: any account.
    expect(shift.account).toBe("*");
    expect(shift.resources).toEqual(["arn:aws:route53-recovery-control::*:controlpanel/*/routingcontrol/*"]);
    expect(rows.find((r) => r.stepId === "engine:permission-check")).toMatchObject({ account: "*" });
    // AWS allows GetCallerIdentity to every caller: never a row.
    expect(rows.filter((r) => r.action === "sts:GetCallerIdentity")).toEqual([]);
  });

  it("inputs: given, else defaults; secret inputs and earlier steps' outputs stay run-time values", () => {
    const rb = runbook(
      `  - id: find
    type: aws.assert
    with: { service: ecs, command: DescribeClusters, region: "\${{ inputs.region }}", input: {}, expect: "length(clusters) > \`0\`", outputs: { c: "clusters[0].clusterName" } }
  - id: scale
    type: ecs.scale-service
    with:
      region: "\${{ inputs.region }}"
      cluster: "\${{ steps.find.outputs.c }}"
      service: "\${{ inputs.token }}"
      desiredCount: 2`,
      `inputs:
  region: { default: eu-west-1 }
  token: { required: true, secret: true }`,
    );
    const scale = (inputs: Record<string, string>) =>
      runbookPermissions(rb, environment(), executors, { inputs }).find(
        (r) => r.action === "ecs:UpdateService",
      )!;
    expect(scale({}).resources).toEqual([`arn:aws:ecs:eu-west-1:${HOME}:service/*/*`]);
    expect(scale({ region: "ap-south-1", token: "s3cr3t" })).toMatchObject({
      region: "ap-south-1",
      resources: [`arn:aws:ecs:ap-south-1:${HOME}:service/*/*`],
    });
    expect(
      JSON.stringify(runbookPermissions(rb, environment(), executors, { inputs: { token: "s3cr3t" } })),
    ).not.toContain("s3cr3t");
  });

  it("neededPermissions groups rows for the permission proof, with every step that needs each", () => {
    const rb = runbook(`${ARC_STEP}
  - id: shift-again
    type: arc.set-routing-controls
    account: recovery
    with:
      clusterEndpoints: [{ endpoint: "https://a.example/v1", region: us-east-1 }]
      controls: [{ arn: "\${{ vars.cell }}", state: "Off" }]`);
    const env = environment({
      accounts: { recovery: RECOVERY },
      roles: [{ account: RECOVERY, roleArn: ROLE }],
    });
    const needed = neededPermissions(runbookPermissions(rb, env, executors));
    expect(needed.find((n) => n.action === "route53-recovery-cluster:UpdateRoutingControlStates")).toEqual({
      stepIds: ["shift", "shift-again"],
      account: RECOVERY,
      region: "us-east-1",
      action: "route53-recovery-cluster:UpdateRoutingControlStates",
      resources: [env.vars.cell],
    });
  });
});
