import { readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";

/**
 * `<RUNBOOK_HOME>/sandbox/endpoints.json`: everything a client needs to reach a running
 * sandbox. The supervisor writes it once every part is up (and again after a `reset`,
 * which may move the databases to new ports); `runbook sandbox down` removes it.
 *
 * It is the contract between the sandbox and its consumers (the `sandbox` environment of
 * runbooks builds its AWS endpoint overrides and variables from it, tests and drills read
 * it): fields are only ever added, never renamed or removed. Every address is loopback.
 * The credentials in it are the sandbox's own dummy values, never real ones.
 */

const url = z.string().url();

export const SandboxEndpoints = z.object({
  /** Version of this file's shape; bumped only if a field ever has to change meaning. */
  version: z.literal(1),
  /** The AWS emulator's main URL: the endpoint override of every emulated service (RDS, CloudWatch, Step Functions, Secrets Manager, STS, ECS, Auto Scaling, Route 53, DynamoDB, KMS, S3, Lambda, EventBridge; ARC has its own five), and its admin API under `/_sandbox/`. */
  emulator: url,
  /** The five ARC cluster endpoints, with the region each one must be signed for (as ARC's DescribeCluster lists them). */
  arcClusterEndpoints: z.array(z.object({ endpoint: url, region: z.string() })).length(5),
  /** Region A (primary at start) and region B (recovery). */
  regions: z.tuple([z.string(), z.string()]),
  /** The emulated AWS account (STS GetCallerIdentity returns it; it is in every ARN). */
  accountId: z.string(),
  /** Dummy credentials for the SDK clients: the `operator` user's key (the emulator verifies STS signatures only). */
  credentials: z.object({ accessKeyId: z.string(), secretAccessKey: z.string() }),
  /** ARC routing control ARN per region (`cell-<region>`); the edge sends traffic to the region whose control is On. */
  routingControls: z.record(z.string(), z.string()),
  /** ARC safety rule ARN by rule name (e.g. `at-least-one-cell-on`). */
  safetyRules: z.record(z.string(), z.string()),
  /** Identifier of the emulated Aurora global database. */
  globalClusterIdentifier: z.string(),
  /** DB cluster ARN per region (members of the global database). */
  clusters: z.record(z.string(), z.string()),
  /** Real PostgreSQL server per region, with the application's login (sandbox-only password). */
  databases: z.record(
    z.string(),
    z.object({
      host: z.string(),
      port: z.number().int().positive(),
      database: z.string(),
      user: z.string(),
      password: z.string(),
    }),
  ),
  /** Each region's case-api base URL (`/health`, `/health/deep`, `POST /cases`, `GET /cases/:id`). */
  caseApi: z.record(z.string(), url),
  /** The edge router clients use: it forwards to the region whose routing control is On. */
  edge: url,
  /** How long the edge caches its routing decision (a DNS-like TTL), in ms. */
  edgeTtlMs: z.number().int().nonnegative(),
  /** CloudWatch alarms of the topology, by name, with the region they live in. */
  alarms: z.record(z.string(), z.object({ region: z.string() })),
  /** Secrets Manager secret names present in both regions at start. */
  secrets: z.array(z.string()),
  /** case-api's ECS cluster and service, the same names in every region (absent from sandboxes started before them). */
  ecs: z.object({ cluster: z.string(), service: z.string() }).optional(),
  /** EC2 Auto Scaling group name per region (`case-workers-<region>`). */
  autoScalingGroups: z.record(z.string(), z.string()).optional(),
  /** The Route 53 private zone and its weighted record (one set per region, set identifier = region) the edge follows. */
  route53: z.object({ hostedZoneId: z.string(), zoneName: z.string(), recordName: z.string() }).optional(),
  /** The DynamoDB global table with a replica in each region (`case-sessions`). */
  dynamodbTable: z.string().optional(),
  /** The KMS multi-Region key's alias, primary in region A and replica in region B (`alias/case-data`). */
  kmsAlias: z.string().optional(),
  /** EventBridge rules present in both regions, enabled in the primary only (`case-nightly-report`). */
  eventRules: z.array(z.string()).optional(),
  /** S3 bucket per region (`case-evidence-<region>`), versioned; region A's replicates to region B's. */
  evidenceBuckets: z.record(z.string(), z.string()).optional(),
  /** Lambda function per region (`case-outbox-<region>`), its SQS event source mapping enabled in region A only. */
  outboxFunctions: z.record(z.string(), z.string()).optional(),
  /** The workload account (everything but ARC) and the recovery account (the ARC cluster, control panel, routing controls, safety rules). */
  accounts: z.object({ workload: z.string(), recovery: z.string() }).optional(),
  /** Roles a runbook assumes: `arc`, the recovery account's role for ARC, trusting the workload account. */
  roles: z.object({ arc: z.string() }).optional(),
  /**
   * The workload account's users with their (sandbox-only, dummy) access keys: `operator` (the
   * same key as `credentials`), `approver` (approvals from a second shell), `outsider` (a
   * principal no runbook lists).
   */
  principals: z
    .record(z.string(), z.object({ arn: z.string(), accessKeyId: z.string(), secretAccessKey: z.string() }))
    .optional(),
  /** The supervisor's control API (status, faults, reset, shutdown). */
  control: url,
  /** The supervisor's process id. */
  pid: z.number().int().positive(),
  /** When the sandbox became ready (ISO 8601). */
  startedAt: z.string(),
});
export type SandboxEndpoints = z.infer<typeof SandboxEndpoints>;

/** `<home>/sandbox`: data directories of the databases, logs, endpoints.json, the pid file. */
export function sandboxDir(home: string): string {
  return join(home, "sandbox");
}

export function endpointsPath(home: string): string {
  return join(sandboxDir(home), "endpoints.json");
}

export function supervisorPidPath(home: string): string {
  return join(sandboxDir(home), "supervisor.pid");
}

export function supervisorLogPath(home: string): string {
  return join(sandboxDir(home), "supervisor.log");
}

/** The running sandbox's endpoints, or undefined when there is no (valid) endpoints.json. */
export async function readSandboxEndpoints(home: string): Promise<SandboxEndpoints | undefined> {
  let text: string;
  try {
    text = await readFile(endpointsPath(home), "utf8");
  } catch {
    return undefined;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  const parsed = SandboxEndpoints.safeParse(json);
  return parsed.success ? parsed.data : undefined;
}

/** Written to a temporary file and renamed, so a reader never sees half a file. */
export async function writeSandboxEndpoints(home: string, endpoints: SandboxEndpoints): Promise<void> {
  const path = endpointsPath(home);
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(SandboxEndpoints.parse(endpoints), null, 2)}\n`, { mode: 0o600 });
  await rename(tmp, path);
}
