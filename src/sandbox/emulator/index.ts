/**
 * The sandbox's AWS emulator: one loopback HTTP server (plus five ARC cluster endpoints)
 * that unmodified AWS SDK v3 clients reach by endpoint override.
 *
 *   const emulator = await createEmulator({ topology });
 *   new RDSClient({ region, endpoint: emulator.url, credentials: { accessKeyId: "test", secretAccessKey: "test" } });
 */
import { Emulator } from "./emulator.js";
import type { EmulatorOptions } from "./emulator-options.js";

export { type AdminClient, adminClient } from "./admin-client.js";
export type {
  BackendEndpoint,
  ClusterRole,
  GlobalClusterBackend,
  GlobalClusterMember,
  PromoteOptions,
  SynchronizationStatus,
} from "./backend.js";
export { InMemoryGlobalClusterBackend } from "./backend.js";
export type { CallRecord } from "./call-log.js";
export type { AutoScalingGroupSummary, EcsServiceSummary } from "./compute-capacity.js";
export type { DataPlane, DataPlaneStatus } from "./data-plane.js";
export { Emulator } from "./emulator.js";
export {
  DEFAULT_ARC_HOSTS,
  DEFAULT_ARC_REGIONS,
  type EmulatorOptions,
  type EmulatorState,
  type MetricSource,
} from "./emulator-options.js";
export type { FaultRequest } from "./faults.js";
export { type IamCommand, IamCommandError } from "./iam/iam-admin.js";
export {
  ARC_ROLE_NAME,
  DEFAULT_RECOVERY_ACCOUNT_ID,
  type IamConfig,
  type PolicyDocument,
  SANDBOX_USERS,
} from "./iam/iam-defaults.js";
export type { Caller, IamModel, IamView, PrincipalView } from "./iam/iam-model.js";
export type { ListenerMode } from "./listener.js";
export type { MetricDatum } from "./services/cloudwatch-metrics.js";
export type { LambdaFunctions, LambdaStatus } from "./services/lambda.js";
export {
  caseOutboxFunctions,
  type LambdaConfig,
  type LambdaFunctionConfig,
  type MappingState,
} from "./services/lambda-model.js";
export type { Route53Dns } from "./services/route53.js";
export type { WeightedAnswer } from "./services/route53-model.js";
export type { BucketReplicationStatus, S3Buckets, S3Status } from "./services/s3.js";
export {
  type BucketConfig,
  caseEvidenceBuckets,
  DRAIN_OPS_PER_SECOND,
  type S3Config,
  STALL_OPS_PER_SECOND,
} from "./services/s3-model.js";
export type { ExecutionModel, StateMachineModel, TaskHandler } from "./services/sfn.js";
export * from "./topology.js";

export async function createEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const emulator = new Emulator(options);
  try {
    await emulator.start();
  } catch (error) {
    await emulator.close();
    throw error;
  }
  return emulator;
}
