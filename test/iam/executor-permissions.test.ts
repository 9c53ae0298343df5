import { describe, expect, it } from "vitest";
import { executors } from "../../executors/index.js";
import type { Permission } from "../../src/iam/permission.js";
import { CELL, LATER, SCOPE, samples } from "./declaration-samples.js";

/** Each executor's declaration: the ARNs its params determine, `*` for what only the run knows. */

function declared(type: string, params: Record<string, unknown>, phase: "check" | "run" = "run") {
  const e = executors.get(type)!;
  const parsed = e.params.safeParse(params);
  const p = e.permissions!(parsed.success ? parsed.data : params, SCOPE);
  return Object.fromEntries(
    (phase === "check" ? (p.check ?? []) : p.run).map((x: Permission) => [x.action, x]),
  ) as Record<string, Permission>;
}

describe("declarations, executor by executor", () => {
  it("rds failover: the global cluster and the target cluster (in the target region), reads first", () => {
    const run = declared("rds.failover-global-cluster", {
      globalClusterIdentifier: "case-global",
      targetRegion: "ap-southeast-3",
    });
    expect(run["rds:FailoverGlobalCluster"]).toEqual({
      action: "rds:FailoverGlobalCluster",
      resources: [
        "arn:aws:rds::111122223333:global-cluster:case-global",
        "arn:aws:rds:ap-southeast-3:111122223333:cluster:*",
      ],
      regions: ["ap-southeast-3"],
    });
    expect(
      Object.keys(declared("rds.failover-global-cluster", samples["rds.failover-global-cluster"]!, "check")),
    ).toEqual(["rds:DescribeGlobalClusters", "rds:DescribeDBClusters"]);
    const named = declared("rds.switchover-global-cluster", {
      globalClusterIdentifier: LATER,
      targetRegion: "ap-southeast-1",
      targetClusterArn: "arn:aws:rds:ap-southeast-1:111122223333:cluster:case-a",
    });
    expect(named["rds:SwitchoverGlobalCluster"]?.resources).toEqual([
      "arn:aws:rds::111122223333:global-cluster:*",
      "arn:aws:rds:ap-southeast-1:111122223333:cluster:case-a",
    ]);
  });

  it("rds promote: the replica cluster or instance in its region", () => {
    const cluster = declared("rds.promote-read-replica", {
      region: "ap-southeast-3",
      dbClusterIdentifier: "case-b",
    });
    expect(cluster["rds:PromoteReadReplicaDBCluster"]?.resources).toEqual([
      "arn:aws:rds:ap-southeast-3:111122223333:cluster:case-b",
    ]);
    const instance = declared("rds.promote-read-replica", samples["rds.promote-read-replica"]!);
    expect(instance["rds:PromoteReadReplica"]?.resources).toEqual([
      "arn:aws:rds:ap-southeast-3:111122223333:db:case-db",
    ]);
    expect(instance["rds:DescribeDBInstances"]).toBeDefined();
  });

  it("rds rebuild-secondary: the old cluster, its final snapshot and the new instance, in the rebuilt region", () => {
    const run = declared("rds.rebuild-secondary", samples["rds.rebuild-secondary"]!);
    const cluster = "arn:aws:rds:ap-southeast-1:111122223333:cluster:case-a";
    const global = "arn:aws:rds::111122223333:global-cluster:case-global";
    expect(Object.keys(run)).toEqual([
      "rds:DescribeGlobalClusters",
      "rds:DescribeDBClusters",
      "rds:DescribeDBInstances",
      "rds:RemoveFromGlobalCluster",
      "rds:DeleteDBInstance",
      "rds:DeleteDBCluster",
      "rds:CreateDBCluster",
      "rds:AddTagsToResource",
      "rds:CreateDBInstance",
    ]);
    expect(Object.values(run).every((x) => x.regions?.join() === "ap-southeast-1")).toBe(true);
    expect(run["rds:RemoveFromGlobalCluster"]?.resources).toEqual([cluster, global]);
    expect(run["rds:DeleteDBCluster"]?.resources).toEqual([
      cluster,
      "arn:aws:rds:ap-southeast-1:111122223333:cluster-snapshot:case-a-pre-rebuild-*",
    ]);
    expect(run["rds:CreateDBCluster"]?.resources).toEqual([
      cluster,
      global,
      "arn:aws:rds:ap-southeast-1:111122223333:cluster-pg:*",
      "arn:aws:rds:ap-southeast-1:111122223333:og:*",
      "arn:aws:rds:ap-southeast-1:111122223333:subgrp:*",
    ]);
    expect(run["rds:CreateDBInstance"]?.resources).toEqual([
      "arn:aws:rds:ap-southeast-1:111122223333:db:case-a-instance-1",
      cluster,
    ]);
    expect(
      Object.keys(declared("rds.rebuild-secondary", samples["rds.rebuild-secondary"]!, "check")),
    ).toEqual(["rds:DescribeGlobalClusters"]);
    // Named, the snapshot is that one; known only at run time, the cluster is any.
    const named = declared("rds.rebuild-secondary", {
      ...samples["rds.rebuild-secondary"],
      dbClusterIdentifier: LATER,
      finalSnapshotIdentifier: "keep-a",
    });
    expect(named["rds:DeleteDBCluster"]?.resources).toEqual([
      "arn:aws:rds:ap-southeast-1:111122223333:cluster:*",
      "arn:aws:rds:ap-southeast-1:111122223333:cluster-snapshot:keep-a",
    ]);
  });

  it("ARC: routing controls in their control panel, called in the cluster endpoints' regions", () => {
    const run = declared("arc.set-routing-controls", samples["arc.set-routing-controls"]!);
    expect(run["route53-recovery-cluster:UpdateRoutingControlStates"]).toEqual({
      action: "route53-recovery-cluster:UpdateRoutingControlStates",
      resources: [CELL],
      regions: ["us-east-1", "us-west-2"],
    });
    expect(run["route53-recovery-cluster:GetRoutingControlState"]).toBeDefined();
    const later = declared("arc.get-routing-control", { clusterEndpoints: LATER, arns: [LATER] });
    expect(later["route53-recovery-cluster:GetRoutingControlState"]).toMatchObject({
      resources: ["arn:aws:route53-recovery-control::111122223333:controlpanel/*/routingcontrol/*"],
      regions: ["*"],
    });
  });

  it("route53: zone and change ARNs without region or account, called in us-east-1", () => {
    const run = declared("route53.set-weights", samples["route53.set-weights"]!);
    expect(run["route53:ChangeResourceRecordSets"]).toEqual({
      action: "route53:ChangeResourceRecordSets",
      resources: ["arn:aws:route53:::hostedzone/Z123"],
      regions: ["us-east-1"],
    });
    expect(run["route53:GetChange"]?.resources).toEqual(["arn:aws:route53:::change/*"]);
    const byName = declared("route53.set-weights", {
      zoneName: "case.internal",
      recordName: "api",
      weights: { a: 1 },
    });
    expect(byName["route53:ListHostedZonesByName"]?.resources).toEqual(["*"]);
    expect(byName["route53:ListResourceRecordSets"]?.resources).toEqual(["arn:aws:route53:::hostedzone/*"]);
  });

  it("ecs: service/<cluster>/<service>, from names or ARNs", () => {
    const run = declared("ecs.scale-service", samples["ecs.scale-service"]!);
    expect(run["ecs:UpdateService"]?.resources).toEqual([
      "arn:aws:ecs:ap-southeast-3:111122223333:service/case/case-api",
    ]);
    const arns = declared("ecs.scale-service", {
      region: "ap-southeast-3",
      cluster: "arn:aws:ecs:ap-southeast-3:111122223333:cluster/case",
      service: LATER,
      desiredCount: 3,
    });
    expect(arns["ecs:DescribeServices"]?.resources).toEqual([
      "arn:aws:ecs:ap-southeast-3:111122223333:service/case/*",
    ]);
  });

  it("autoscaling: Describe* are wildcard-only; the update is scoped to the group by name", () => {
    const run = declared("autoscaling.set-capacity", samples["autoscaling.set-capacity"]!);
    expect(run["autoscaling:DescribeAutoScalingGroups"]?.resources).toEqual(["*"]);
    expect(run["autoscaling:UpdateAutoScalingGroup"]?.resources).toEqual([
      "arn:aws:autoscaling:ap-southeast-3:111122223333:autoScalingGroup:*:autoScalingGroupName/workers",
    ]);
  });

  it("secrets: ARNs end in -??????; replication is read in the primary's region", () => {
    const e = executors.get("secrets.exists")!;
    const p = e.permissions!(e.params.parse(samples["secrets.exists"]), SCOPE).run;
    expect(p).toEqual([
      {
        action: "secretsmanager:DescribeSecret",
        resources: ["arn:aws:secretsmanager:ap-southeast-3:111122223333:secret:case-api/db-??????"],
        regions: ["ap-southeast-3"],
      },
      {
        action: "secretsmanager:GetSecretValue",
        resources: ["arn:aws:secretsmanager:ap-southeast-3:111122223333:secret:case-api/db-??????"],
        regions: ["ap-southeast-3"],
      },
      {
        action: "secretsmanager:DescribeSecret",
        resources: ["arn:aws:secretsmanager:ap-southeast-1:111122223333:secret:case-api/db-??????"],
        regions: ["ap-southeast-1"],
      },
    ]);
    // A list known only at run time: any secret of the region.
    const later = e.permissions!({ region: "ap-southeast-3", secretIds: LATER } as never, SCOPE).run;
    expect(later.map((x) => x.resources)).toEqual([
      ["arn:aws:secretsmanager:ap-southeast-3:111122223333:secret:*"],
    ]);
  });

  it("s3: GetBucketReplication is s3:GetReplicationConfiguration on the bucket; CloudWatch is cloudwatch:", () => {
    const run = declared("s3.replication-ready", samples["s3.replication-ready"]!);
    expect(run["s3:GetReplicationConfiguration"]).toEqual({
      action: "s3:GetReplicationConfiguration",
      resources: ["arn:aws:s3:::case-evidence-a"],
      regions: ["ap-southeast-1"],
      operation: "GetBucketReplication",
    });
    expect(run["cloudwatch:GetMetricData"]?.resources).toEqual(["*"]);
  });

  it("kms: DescribeKey through an alias needs the key ARN, any key of the region unless known", () => {
    const alias = declared("kms.key-ready", samples["kms.key-ready"]!);
    expect(alias["kms:DescribeKey"]?.resources).toEqual(["arn:aws:kms:ap-southeast-3:111122223333:key/*"]);
    const key = "arn:aws:kms:ap-southeast-3:111122223333:key/mrk-1234";
    expect(
      declared("kms.key-ready", { region: "ap-southeast-3", keyId: key })["kms:DescribeKey"]?.resources,
    ).toEqual([key]);
    expect(
      declared("kms.key-ready", { region: "ap-southeast-3", keyId: "mrk-1234" })["kms:DescribeKey"]
        ?.resources,
    ).toEqual([key]);
  });

  it("sfn: states:StartExecution on the machine, DescribeExecution on the named execution", () => {
    const run = declared("sfn.start-execution", samples["sfn.start-execution"]!);
    expect(run["states:StartExecution"]?.resources).toEqual([
      "arn:aws:states:ap-southeast-3:111122223333:stateMachine:scale-up",
    ]);
    expect(run["states:DescribeExecution"]?.resources).toEqual([
      "arn:aws:states:ap-southeast-3:111122223333:execution:scale-up:drill-1",
    ]);
    const later = declared("sfn.start-execution", { ...samples["sfn.start-execution"], name: LATER });
    expect(later["states:DescribeExecution"]?.resources).toEqual([
      "arn:aws:states:ap-southeast-3:111122223333:execution:scale-up:*",
    ]);
  });

  it("events, lambda, dynamodb, cloudwatch: scoped where IAM scopes them", () => {
    const events = declared("events.set-rules", {
      region: "ap-southeast-3",
      rules: ["nightly"],
      state: "DISABLED",
      eventBusName: "jobs",
    });
    expect(events["events:DisableRule"]?.resources).toEqual([
      "arn:aws:events:ap-southeast-3:111122223333:rule/jobs/nightly",
    ]);
    expect(events["events:EnableRule"]).toBeUndefined();
    // A state known only at run time may be either.
    const either = declared("events.set-rules", {
      region: "ap-southeast-3",
      rules: ["nightly"],
      state: LATER,
    });
    expect(Object.keys(either).sort()).toEqual([
      "events:DescribeRule",
      "events:DisableRule",
      "events:EnableRule",
    ]);
    const lambda = declared("lambda.event-source-mappings", samples["lambda.event-source-mappings"]!);
    expect(lambda["lambda:ListEventSourceMappings"]?.resources).toEqual(["*"]);
    expect(lambda["lambda:UpdateEventSourceMapping"]?.resources).toEqual([
      "arn:aws:lambda:ap-southeast-3:111122223333:event-source-mapping:*",
    ]);
    const ddb = executors.get("dynamodb.global-table-ready")!;
    const tables = ddb.permissions!(ddb.params.parse(samples["dynamodb.global-table-ready"]), SCOPE).run;
    expect(tables.map((x) => [x.action, x.regions])).toEqual([
      ["dynamodb:DescribeTable", ["ap-southeast-3"]],
      ["dynamodb:DescribeTable", ["ap-southeast-1"]],
      ["cloudwatch:GetMetricData", ["ap-southeast-1"]],
    ]);
    const alarms = declared("cloudwatch.alarm", samples["cloudwatch.alarm"]!);
    expect(alarms["cloudwatch:DescribeAlarms"]?.resources).toEqual([
      "arn:aws:cloudwatch:ap-southeast-3:111122223333:alarm:case-5xx",
    ]);
  });
});
