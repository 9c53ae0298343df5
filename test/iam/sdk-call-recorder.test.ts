import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { executors } from "../../executors/index.js";
import { createClientFactory } from "../../src/aws/client-factory.js";
import type { ExecutorDefinition } from "../../src/executor.js";
import type { Permission, PermissionScope } from "../../src/iam/permission.js";
import { iamPrefixOf } from "../../src/iam/sdk-permissions.js";
import {
  CASE_ZONE,
  createEmulator,
  DEFAULT_ACCOUNT_ID,
  defaultTopology,
  type Emulator,
} from "../../src/sandbox/emulator/index.js";
import { contextFor } from "../executors/context.js";

/**
 * "A test fails when an executor calls an SDK command it did not declare": every AWS executor's
 * check and run, against the real emulator through the real SDK clients, with the client
 * factory's `onCommand` hook seeing every command sent. Each command must be a permission the
 * executor declares for that phase, in the region it was sent to.
 */

const A = "us-east-1";
const B = "us-west-2";
const SCOPE: PermissionScope = { account: DEFAULT_ACCOUNT_ID, region: B, partition: "aws" };

interface Sent {
  service: string;
  operation: string;
  region: string;
}

let emulator: Emulator;
let replicas: Emulator;
let phase: Sent[] = [];
const record = (service: string, operation: string, region: string) =>
  phase.push({ service, operation, region });

function contextOn(url: string) {
  const aws = createClientFactory({
    endpoints: { "*": url },
    credentials: { accessKeyId: "AKIDSANDBOX", secretAccessKey: "sandbox-secret" },
    onCommand: record,
  });
  const env = contextFor(url, { aws });
  return {
    ctx: env.ctx,
    destroy: () => {
      env.destroy();
      aws.destroy();
    },
  };
}
let main: ReturnType<typeof contextOn>;
let replica: ReturnType<typeof contextOn>;

beforeAll(async () => {
  const topology = defaultTopology([A, B]);
  topology.alarms = [
    {
      region: B,
      alarmName: "case-api-5xx-us-west-2",
      namespace: "CaseApi",
      metricName: "5xx",
      threshold: 5,
      comparisonOperator: "GreaterThanThreshold",
      treatMissingData: "notBreaching",
    },
  ];
  topology.route53 = { ...topology.route53!, changePropagationMs: 100 };
  topology.lambda = { ...topology.lambda!, mappingTransitionMs: 100 };
  emulator = await createEmulator({ topology, rdsTransitionMs: 300, sfnWaitScale: 0.01 });
  const replicaTopology = defaultTopology([A, B]);
  replicaTopology.database = { ...replicaTopology.database!, mode: "read-replica" };
  replicas = await createEmulator({ topology: replicaTopology, rdsTransitionMs: 300 });
  main = contextOn(emulator.url);
  replica = contextOn(replicas.url);
});
afterAll(async () => {
  main?.destroy();
  replica?.destroy();
  await emulator?.close();
  await replicas?.close();
});

/** The commands a declaration does not cover: wrong action, or sent to a region it does not name. */
function undeclared(sent: readonly Sent[], declared: readonly Permission[]): string[] {
  return sent
    .filter(
      (c) =>
        !declared.some((p) => {
          const [prefix, action] = p.action.split(":");
          const operation = p.operation ?? action ?? "";
          const region = (p.regions ?? [SCOPE.region]).some((r) => r === "*" || r === c.region);
          return prefix === iamPrefixOf(c.service) && operation === c.operation && region;
        }),
    )
    .map((c) => `${c.service} ${c.operation} in ${c.region}`);
}

interface Case {
  type: string;
  with: () => Promise<Record<string, unknown>> | Record<string, unknown>;
  on?: () => ReturnType<typeof contextOn>;
}

/** Every AWS executor, with params the default sandbox topology answers. */
const cases: Case[] = [
  {
    type: "arc.get-routing-control",
    with: () => ({
      clusterEndpoints: emulator.arcClusterEndpoints,
      arns: [emulator.routingControlArn(`cell-${A}`)],
    }),
  },
  {
    type: "arc.set-routing-controls",
    with: () => ({
      clusterEndpoints: emulator.arcClusterEndpoints,
      controls: [{ arn: emulator.routingControlArn(`cell-${B}`), state: "On" }],
    }),
  },
  {
    type: "rds.failover-global-cluster",
    with: () => ({ globalClusterIdentifier: "case-global", targetRegion: B, allowDataLoss: true }),
  },
  {
    // After the failover above: the old primary in A is diverged, rebuilt before switching back.
    type: "rds.rebuild-secondary",
    with: () => ({ globalClusterIdentifier: "case-global", region: A, dbClusterIdentifier: `case-${A}` }),
  },
  {
    type: "rds.switchover-global-cluster",
    with: () => ({ globalClusterIdentifier: "case-global", targetRegion: A }),
  },
  {
    type: "rds.promote-read-replica",
    with: () => ({ region: B, dbClusterIdentifier: `case-${B}` }),
    on: () => replica,
  },
  {
    type: "ecs.scale-service",
    with: () => ({ region: B, cluster: "case", service: "case-api", desiredCount: 2 }),
  },
  { type: "autoscaling.set-capacity", with: () => ({ region: B, group: `case-workers-${B}`, desired: 2 }) },
  {
    type: "route53.set-weights",
    with: () => ({
      hostedZoneId: CASE_ZONE.hostedZoneId,
      recordName: CASE_ZONE.recordName,
      weights: { [A]: 50, [B]: 50 },
    }),
  },
  {
    type: "route53.set-weights",
    with: () => ({
      zoneName: CASE_ZONE.zoneName,
      recordName: CASE_ZONE.recordName,
      weights: { [A]: 0, [B]: 100 },
    }),
  },
  { type: "cloudwatch.alarm", with: () => ({ region: B, alarmNames: ["case-api-5xx-us-west-2"] }) },
  {
    type: "cloudwatch.metric",
    with: () => ({
      region: B,
      namespace: "Runbook",
      metricName: "Nothing",
      threshold: 1,
      comparison: "<",
      missing: "pass",
    }),
  },
  {
    type: "cloudwatch.put-metric",
    with: () => ({ region: B, metrics: [{ name: "RtoAchieved", value: 1 }] }),
  },
  {
    type: "sfn.start-execution",
    with: async () => ({ region: B, stateMachineArn: await stateMachine(), name: "drill-1" }),
  },
  {
    type: "secrets.exists",
    with: () => ({ region: B, secretIds: ["case-api/db"], readable: true, replication: { from: A } }),
  },
  {
    type: "dynamodb.global-table-ready",
    with: () => ({
      region: B,
      tableName: "case-sessions",
      sourceRegion: A,
      maxReplicationLatency: "5s",
      missingLatency: "pass",
    }),
  },
  { type: "kms.key-ready", with: () => ({ region: B, keyId: "alias/case-data" }) },
  {
    type: "s3.replication-ready",
    with: () => ({
      region: A,
      bucket: `case-evidence-${A}`,
      destinationBucket: `case-evidence-${B}`,
      maxPendingOperations: 50,
      missingMetrics: "pass",
    }),
  },
  {
    type: "lambda.event-source-mappings",
    with: () => ({ region: B, functionName: `case-outbox-${B}`, enabled: true }),
  },
  { type: "events.set-rules", with: () => ({ region: B, rules: ["case-nightly-report"], state: "ENABLED" }) },
  {
    type: "aws.call",
    with: () => ({
      service: "ecs",
      command: "UpdateService",
      region: B,
      input: { cluster: "case", service: "case-api", desiredCount: 3 },
      inPlaceWhen: {
        command: "DescribeServices",
        input: { cluster: "case", services: ["case-api"] },
        expect: "services[0].desiredCount == `3`",
      },
      waitFor: {
        command: "DescribeServices",
        input: { cluster: "case", services: ["case-api"] },
        until: "services[0].runningCount == `3`",
        minDelay: "100ms",
      },
    }),
  },
  {
    type: "aws.assert",
    with: () => ({
      service: "ecs",
      command: "DescribeClusters",
      region: B,
      input: { clusters: ["case"] },
      expect: "clusters[0].status == 'ACTIVE'",
    }),
  },
  {
    // An operation IAM names otherwise: the step says which action it needs.
    type: "aws.assert",
    with: () => ({
      service: "s3",
      command: "GetBucketReplication",
      region: A,
      input: { Bucket: `case-evidence-${A}` },
      expect: "ReplicationConfiguration.Rules[0].Status == 'Enabled'",
      iamActions: ["s3:GetReplicationConfiguration"],
    }),
  },
];

async function stateMachine(): Promise<string> {
  const { CreateStateMachineCommand } = await import("@aws-sdk/client-sfn");
  const sfn = await main.ctx.aws.client("sfn", B);
  const definition = { StartAt: "Done", States: { Done: { Type: "Pass", End: true } } };
  const out = await sfn.send(
    new CreateStateMachineCommand({
      name: "scale-up",
      definition: JSON.stringify(definition),
      roleArn: `arn:aws:iam::${DEFAULT_ACCOUNT_ID}:role/sfn`,
    }),
  );
  return out.stateMachineArn!;
}

/** Each case's commands, per phase, and its declaration. */
const seen: {
  type: string;
  check: Sent[];
  run: Sent[];
  declared: ReturnType<NonNullable<ExecutorDefinition["permissions"]>>;
}[] = [];

describe("every command an executor sends is one it declares", () => {
  it("covers every executor that calls AWS", () => {
    const aws = [...executors.values()].filter((e) => e.aws).map((e) => e.type);
    expect(aws.filter((t) => !cases.some((c) => c.type === t))).toEqual([]);
    expect(aws.filter((t) => !executors.get(t)!.permissions)).toEqual([]);
  });

  for (const [i, c] of cases.entries()) {
    it(`${c.type} #${i + 1}: check and run send only declared commands`, async () => {
      const executor = executors.get(c.type)!;
      const { ctx } = (c.on ?? (() => main))();
      const params = executor.params.parse(await c.with());
      phase = [];
      if (executor.check) await executor.check(params, ctx);
      const check = phase;
      phase = [];
      await executor.run(params, ctx);
      const run = phase;
      const declared = executor.permissions!(params, SCOPE);
      seen.push({ type: c.type, check, run, declared });
      expect(run.length).toBeGreaterThan(0);
      expect(undeclared(check, declared.check ?? [])).toEqual([]);
      expect(undeclared(run, declared.run)).toEqual([]);
    });
  }

  it("a declaration with a permission taken away is caught", () => {
    expect(seen.length).toBe(cases.length);
    for (const s of seen) {
      for (const [phaseName, sent, declared] of [
        ["check", s.check, s.declared.check ?? []],
        ["run", s.run, s.declared.run],
      ] as const) {
        for (const p of declared) {
          const reduced = declared.filter((x) => x !== p);
          const used = undeclared(sent, reduced).length > 0;
          // Whatever the executor sent under this permission is now reported, by name.
          if (used) expect(undeclared(sent, reduced).join()).toContain(p.operation ?? p.action.split(":")[1]);
          else expect(undeclared(sent, reduced), `${s.type} ${phaseName} ${p.action}`).toEqual([]);
        }
      }
    }
    // One spelled out: rds.failover-global-cluster without DescribeDBClusters.
    const failover = seen.find((s) => s.type === "rds.failover-global-cluster")!;
    const without = failover.declared.run.filter((p) => p.action !== "rds:DescribeDBClusters");
    expect(undeclared(failover.run, without)).toContain(`rds DescribeDBClusters in ${B}`);
    // And a declaration in the wrong region is caught too.
    const elsewhere = failover.declared.run.map((p) => ({ ...p, regions: [A] }));
    expect(undeclared(failover.run, elsewhere)).toContain(`rds FailoverGlobalCluster in ${B}`);
  });
});
