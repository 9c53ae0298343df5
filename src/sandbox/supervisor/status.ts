import type { DataPlaneStatus, LambdaStatus, S3Status } from "../emulator/index.js";

/**
 * What `GET /status` on the supervisor's control API answers, and `runbook sandbox
 * status --json` prints: the live topology (who writes, where traffic goes, how far the
 * standby lags) and the faults in force.
 */
export interface SandboxStatus {
  up: true;
  pid: number;
  startedAt: string;
  regions: [string, string];
  /** Region of the PostgreSQL server that accepts writes (where the writer endpoint points). */
  writerRegion: string;
  /** The emulated global cluster's status (`available`, `failing-over`, …). */
  globalClusterStatus: string;
  /** ARC routing control state per region (`On` / `Off`). */
  routingControls: Record<string, string>;
  /** Where the edge sends clients once its TTL expires (null: no routing control On). */
  edgeRegion: string | null;
  /** The standby's replay lag (ms); null when it cannot be measured (a server down, no standby). */
  replicationLagMs: number | null;
  databases: Record<string, { role: string; down: boolean; replayPaused: boolean; port: number }>;
  caseApi: Record<
    string,
    { url: string; down: boolean; requests: number; errors5xx: number; byStatus: Record<number, number> }
  >;
  alarms: Record<string, { region: string; state: string }>;
  /** case-api's ECS service per region: tasks running and pending against the desired count. */
  ecs: Record<
    string,
    {
      cluster: string;
      service: string;
      running: number;
      pending: number;
      desired: number;
      rolloutState: string;
    }
  >;
  /** The Auto Scaling group per region: instances InService (and Pending) against the desired capacity. */
  autoScaling: Record<
    string,
    { group: string; inService: number; pending: number; desired: number; min: number; max: number }
  >;
  /**
   * The weighted record the edge resolves: weights per set identifier (= region) as the zone
   * holds them, their TTL, whether the last change is still PENDING, and the share (percent)
   * of clients the edge gives each region now (the On regions, by the answered weights).
   */
  route53?: {
    hostedZoneId: string;
    recordName: string;
    ttlSeconds: number;
    weights: Record<string, number>;
    change: "PENDING" | "INSYNC";
    edgeSplit: Record<string, number>;
  };
  /**
   * DynamoDB replicas (status, latency of writes arriving), KMS keys per region (type and
   * KeyState), secret replication (status per replica) and each EventBridge rule's State
   * per region; absent from a supervisor started before them.
   */
  dataPlane?: DataPlaneStatus;
  /** S3 buckets by name: region, versioning, and each replication's pending operations and latency (seconds) now. */
  s3?: S3Status;
  /** Lambda functions by name: region and the State of each event source mapping (where the job runs). */
  lambda?: LambdaStatus;
  /** The sandbox's IAM: enforcement, the principals' ARNs, the deny faults (absent from a supervisor started before it). */
  iam?: {
    enforced: boolean;
    accounts: { workload: string; recovery: string };
    principals: Record<string, string>;
    /** Inline policy names per principal. */
    policies: Record<string, string[]>;
    denies: { action: string; principals: string[] }[];
  };
  /** Regions whose emulated API endpoints drop every call. */
  downRegions: string[];
  faults: { name: string; description: string; since: string }[];
}
