import type { AutoScalingClient } from "@aws-sdk/client-auto-scaling";
import type { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { ECSClient } from "@aws-sdk/client-ecs";
import type { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import type { KMSClient } from "@aws-sdk/client-kms";
import type { LambdaClient } from "@aws-sdk/client-lambda";
import type { RDSClient } from "@aws-sdk/client-rds";
import type { Route53Client } from "@aws-sdk/client-route-53";
import type { Route53RecoveryClusterClient } from "@aws-sdk/client-route53-recovery-cluster";
import type { S3Client } from "@aws-sdk/client-s3";
import type { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import type { SFNClient } from "@aws-sdk/client-sfn";
import type { STSClient } from "@aws-sdk/client-sts";
import type { Logger } from "pino";
import type { z } from "zod";
import type { ExecutorPermissions, PermissionScope } from "./iam/permission.js";
import type { ErrorClass } from "./journal/events.js";

/**
 * The executor contract (DESIGN.md). Executors are the only place side effects happen;
 * the engine decides when to call them, journals around them, and applies retries and
 * timeouts from the runbook. An executor never builds an SDK client, never touches the
 * journal, and never retries on its own.
 */

export interface ApprovalRequest {
  prompt: string;
  approvers?: string[];
  minApprovals: number;
}

/**
 * The SDK clients executors can ask for by type, keyed by package name (`@aws-sdk/client-<key>`);
 * type-only imports, so nothing loads until used. `call()` reaches any other installed client.
 */
export interface AwsClients {
  rds: RDSClient;
  ecs: ECSClient;
  "auto-scaling": AutoScalingClient;
  "route-53": Route53Client;
  dynamodb: DynamoDBClient;
  s3: S3Client;
  kms: KMSClient;
  lambda: LambdaClient;
  eventbridge: EventBridgeClient;
  sts: STSClient;
  cloudwatch: CloudWatchClient;
  sfn: SFNClient;
  "secrets-manager": SecretsManagerClient;
  "route53-recovery-cluster": Route53RecoveryClusterClient;
}

/** Lazily built, cached AWS SDK v3 clients (region, credential chain, endpoint overrides). */
export interface AwsClientFactory {
  /**
   * The factory imports the SDK package on first use. `endpoint` overrides the configured
   * one (ARC cluster endpoints are chosen per call); `requestTimeoutMs` bounds one request.
   */
  client<K extends keyof AwsClients>(
    service: K,
    region: string,
    options?: { endpoint?: string; requestTimeoutMs?: number },
  ): Promise<AwsClients[K]>;
  /**
   * Any operation of any installed `@aws-sdk/client-<service>`, by name (`UpdateService`),
   * through the same cached clients: what `aws.call` and `aws.assert` use.
   */
  call(
    service: string,
    operation: string,
    input: unknown,
    region: string,
    options?: { endpoint?: string; requestTimeoutMs?: number },
  ): Promise<Record<string, unknown>>;
}

/** What every SDK v3 client is, whatever its service. */
export interface SdkClient {
  send(command: unknown): Promise<unknown>;
}

export interface ExecutorContext {
  executionId: string;
  stepId: string;
  attempt: number;
  /** Aborted on step timeout, abort criterion, or engine shutdown; honour it. */
  signal: AbortSignal;
  logger: Logger;
  /** The execution's clock; use it instead of `new Date()` so tests can drive time. */
  now(): Date;
  /** The execution's working directory: relative paths in params resolve against it. */
  cwd: string;
  /**
   * A folder of this step inside the execution's folder (not created until used), for
   * what must survive a crash, e.g. the pid of a child process still doing the work.
   */
  scratchDir: string;
  /** Environment for `${{ env.X }}` and child processes (never logged). */
  env: Record<string, string | undefined>;
  /**
   * The secret values known to the run (secret inputs, credentials): the engine masks them in
   * all it writes; an executor that writes files of its own (a command's output) masks them too.
   * The engine always gives it; a context built elsewhere (a bench) may know of no secrets.
   */
  secrets?(): readonly string[];
  aws: AwsClientFactory;
  /** Record an RTO/RPO milestone (`db_promoted`, …) at `at` (default: now). */
  milestone(name: string, at?: Date): void;
  /** Record a measurement (e.g. `rpo_observed_ms`) for timelines and reports. */
  measure(name: string, value: number, unit?: string): void;
  /**
   * What the step is waiting for right now ("global cluster failing-over"), for the operator's
   * live view. Not journaled: the journal keeps facts, and this is a passing state.
   */
  progress(message: string): void;
  /** Wait for the approvals a gate needs; throws when declined or when nobody can approve. */
  requestApproval(request: ApprovalRequest): Promise<{ approvedBy: string[] }>;
}

export type Outputs = Record<string, unknown>;

export interface CheckResult {
  /** The desired end state already holds: `run` is not needed. */
  inPlace: boolean;
  detail?: string;
  /** Outputs to record when in place, as `run` would have returned them. */
  outputs?: Outputs;
}

export interface ExecutorDefinition<S extends z.ZodType = z.ZodType> {
  type: string;
  /** One line for `runbook --help`-style listings. */
  summary: string;
  params: S;
  /** What `run` will do, for `runbook plan`: what it calls, on what, in which region. */
  describe(params: z.infer<S>): string;
  /**
   * Read-only: does the end state already hold? Used before acting and on resume.
   * `undefined` means this step cannot tell (e.g. an exec step without a check command).
   */
  check?(params: z.infer<S>, ctx: ExecutorContext): Promise<CheckResult | undefined>;
  run(params: z.infer<S>, ctx: ExecutorContext): Promise<Outputs>;
  /**
   * Safe to call `run` again when a crash left it unknown whether it happened (reads,
   * waits, probes). Otherwise resume needs `check` to decide.
   */
  idempotent?: boolean;
  /** Only reads (a probe): `runbook check` may run it to judge readiness. */
  readOnly?: boolean;
  /** Calls AWS: the account guard (`metadata.accounts`) runs before its first side effect. */
  aws?: boolean;
  /**
   * The IAM actions `check()` and `run()` send, each with the resource ARNs its params determine
   * (`runbook iam-policy`, the permission proof of `runbook check`). Pure: no I/O. Params are
   * rendered as far as the environment allows and not parsed: a value known only at run time is
   * still a `${{ … }}` string wherever it stands (even where the schema wants a list or a
   * number), and becomes `*` in an ARN (`arnPart`, src/iam/arn.ts).
   */
  permissions?(params: z.infer<S>, scope: PermissionScope): ExecutorPermissions;
  /**
   * Checks beyond the params schema, at `runbook validate` time, before anything runs (an
   * `aws.call` input against the SDK's operation schema). Values that are expressions are
   * still unrendered strings. `report` takes a path inside the params.
   */
  validate?(
    params: z.infer<S>,
    /** `key`: point at the member's name (an unknown member) rather than its value. */
    report: (path: (string | number)[], message: string, opts?: { key?: boolean }) => void,
    where: { runbookDir?: string },
  ): void;
}

export function defineExecutor<S extends z.ZodType>(
  definition: ExecutorDefinition<S>,
): ExecutorDefinition<S> {
  return definition;
}

/** An executor failure with its class, so the engine knows whether retrying can help. */
export class ExecutorError extends Error {
  constructor(
    message: string,
    readonly errorClass: ErrorClass,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "ExecutorError";
  }
}

export const retryable = (message: string, cause?: unknown) =>
  new ExecutorError(message, "retryable", { cause });
export const conflict = (message: string, cause?: unknown) =>
  new ExecutorError(message, "conflict", { cause });
export const fatal = (message: string, cause?: unknown) => new ExecutorError(message, "fatal", { cause });

const RETRYABLE_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ETIMEDOUT",
  "EPIPE",
  "EAI_AGAIN",
  "ENOTFOUND",
  "UND_ERR_SOCKET",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
]);
const THROTTLING = /Throttl|TooManyRequests|RequestLimitExceeded|SlowDown|PriorRequestNotComplete/;
const FATAL_AWS =
  /AccessDenied|UnauthorizedOperation|NotAuthorized|InvalidClientTokenId|ExpiredToken|Validation/;

/** Classify anything thrown by `run`/`check`: typed executor errors keep their class; others are inferred. */
export function classifyError(err: unknown): { message: string; class: ErrorClass } {
  if (err instanceof ExecutorError) return { message: err.message, class: err.errorClass };
  const e = err as {
    name?: string;
    code?: string;
    message?: string;
    $retryable?: unknown;
    $metadata?: { httpStatusCode?: number };
    cause?: { code?: string };
  };
  const message = e?.message ?? String(err);
  const name = e?.name ?? "";
  const code = e?.code ?? e?.cause?.code ?? "";
  if (name === "TimeoutError" || name === "AbortError") return { message, class: "timeout" };
  if (name === "ConflictException") return { message, class: "conflict" };
  if (THROTTLING.test(name) || e?.$retryable) return { message, class: "retryable" };
  if (FATAL_AWS.test(name)) return { message, class: "fatal" };
  if ((e?.$metadata?.httpStatusCode ?? 0) >= 500) return { message, class: "retryable" };
  if (RETRYABLE_CODES.has(code)) return { message, class: "retryable" };
  return { message, class: "fatal" };
}
