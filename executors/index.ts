import type { ExecutorDefinition } from "../src/executor.js";
import { approval } from "./approval.js";
import { arcGetRoutingControl } from "./arc-get-routing-control.js";
import { arcSetRoutingControls } from "./arc-set-routing-controls.js";
import { autoscalingSetCapacity } from "./autoscaling-set-capacity.js";
import { awsAssert } from "./aws-assert.js";
import { awsCall } from "./aws-call.js";
import { cloudwatchAlarm } from "./cloudwatch-alarm.js";
import { cloudwatchMetric } from "./cloudwatch-metric.js";
import { cloudwatchPutMetric } from "./cloudwatch-put-metric.js";
import { dynamodbGlobalTableReady } from "./dynamodb-global-table-ready.js";
import { ecsScaleService } from "./ecs-scale-service.js";
import { eventsSetRules } from "./events-set-rules.js";
import { exec } from "./exec.js";
import { httpCheck } from "./http-check.js";
import { kmsKeyReady } from "./kms-key-ready.js";
import { lambdaEventSourceMappings } from "./lambda-event-source-mappings.js";
import { note } from "./note.js";
import { postgresDivergence } from "./postgres-divergence.js";
import { postgresFence } from "./postgres-fence.js";
import { postgresPromote } from "./postgres-promote.js";
import { postgresQuery } from "./postgres-query.js";
import { postgresReplayLostWrites } from "./postgres-replay-lost-writes.js";
import { postgresRpo } from "./postgres-rpo.js";
import { rdsFailoverGlobalCluster } from "./rds-failover-global-cluster.js";
import { rdsPromoteReadReplica } from "./rds-promote-read-replica.js";
import { rdsRebuildSecondary } from "./rds-rebuild-secondary.js";
import { rdsSwitchoverGlobalCluster } from "./rds-switchover-global-cluster.js";
import { route53SetWeights } from "./route53-set-weights.js";
import { s3ReplicationReady } from "./s3-replication-ready.js";
import { secretsExists } from "./secrets-exists.js";
import { sfnStartExecution } from "./sfn-start-execution.js";
import { wait } from "./wait.js";

/** The one registry. Adding an executor means a file in this folder and a line here; never the engine. */
const all = [
  approval,
  arcGetRoutingControl,
  arcSetRoutingControls,
  awsAssert,
  awsCall,
  autoscalingSetCapacity,
  cloudwatchAlarm,
  cloudwatchMetric,
  cloudwatchPutMetric,
  dynamodbGlobalTableReady,
  ecsScaleService,
  eventsSetRules,
  exec,
  httpCheck,
  kmsKeyReady,
  lambdaEventSourceMappings,
  note,
  postgresDivergence,
  postgresFence,
  postgresPromote,
  postgresQuery,
  postgresReplayLostWrites,
  postgresRpo,
  rdsFailoverGlobalCluster,
  rdsPromoteReadReplica,
  rdsRebuildSecondary,
  rdsSwitchoverGlobalCluster,
  route53SetWeights,
  s3ReplicationReady,
  secretsExists,
  sfnStartExecution,
  wait,
] as unknown as ExecutorDefinition[];

export const executors: ReadonlyMap<string, ExecutorDefinition> = new Map(all.map((e) => [e.type, e]));
