import type { PermissionScope } from "../../src/iam/permission.js";

/** Params each AWS executor accepts, and the scope they are declared in, for the tests that walk them all. */

export const SCOPE: PermissionScope = { account: "111122223333", region: "ap-southeast-3", partition: "aws" };
/** A value known only at run time. */
export const LATER = "${{ steps.find.outputs.value }}";

export const ARC = {
  clusterEndpoints: [
    { endpoint: "https://a.example/v1", region: "us-east-1" },
    { endpoint: "https://b.example/v1", region: "us-west-2" },
  ],
};
export const CELL = "arn:aws:route53-recovery-control::111122223333:controlpanel/abc/routingcontrol/primary";

export const samples: Record<string, Record<string, unknown>> = {
  "arc.get-routing-control": { ...ARC, arns: [CELL] },
  "arc.set-routing-controls": { ...ARC, controls: [{ arn: CELL, state: "Off" }] },
  "rds.failover-global-cluster": { globalClusterIdentifier: "case-global", targetRegion: "ap-southeast-3" },
  "rds.switchover-global-cluster": { globalClusterIdentifier: "case-global", targetRegion: "ap-southeast-1" },
  "rds.promote-read-replica": { region: "ap-southeast-3", dbInstanceIdentifier: "case-db" },
  "rds.rebuild-secondary": {
    globalClusterIdentifier: "case-global",
    region: "ap-southeast-1",
    dbClusterIdentifier: "case-a",
  },
  "ecs.scale-service": { region: "ap-southeast-3", cluster: "case", service: "case-api", desiredCount: 6 },
  "autoscaling.set-capacity": { region: "ap-southeast-3", group: "workers", desired: 2 },
  "route53.set-weights": { hostedZoneId: "/hostedzone/Z123", recordName: "api.case", weights: { a: 1 } },
  "cloudwatch.alarm": { region: "ap-southeast-3", alarmNames: ["case-5xx"] },
  "cloudwatch.metric": {
    region: "ap-southeast-3",
    namespace: "N",
    metricName: "M",
    threshold: 1,
    comparison: "<",
  },
  "cloudwatch.put-metric": { region: "ap-southeast-3", metrics: [{ name: "Rto", value: 1 }] },
  "sfn.start-execution": {
    region: "ap-southeast-3",
    stateMachineArn: "arn:aws:states:ap-southeast-3:111122223333:stateMachine:scale-up",
    name: "drill-1",
  },
  "secrets.exists": {
    region: "ap-southeast-3",
    secretIds: ["case-api/db"],
    readable: true,
    replication: { from: "ap-southeast-1" },
  },
  "dynamodb.global-table-ready": {
    region: "ap-southeast-3",
    tableName: "case-sessions",
    sourceRegion: "ap-southeast-1",
    maxReplicationLatency: "30s",
  },
  "kms.key-ready": { region: "ap-southeast-3", keyId: "alias/case-data" },
  "s3.replication-ready": {
    region: "ap-southeast-1",
    bucket: "case-evidence-a",
    destinationBucket: "case-evidence-b",
    maxPendingOperations: 5,
  },
  "lambda.event-source-mappings": { region: "ap-southeast-3", functionName: "outbox", enabled: true },
  "events.set-rules": { region: "ap-southeast-3", rules: ["nightly"], state: "ENABLED" },
  "aws.call": {
    service: "ecs",
    command: "UpdateService",
    region: "ap-southeast-3",
    input: { cluster: "case", service: "case-api", desiredCount: 6 },
  },
  "aws.assert": {
    service: "ecs",
    command: "DescribeClusters",
    region: "ap-southeast-3",
    input: { clusters: ["case"] },
    expect: "clusters[0].status == 'ACTIVE'",
  },
};
