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
  /** Regions whose emulated API endpoints drop every call. */
  downRegions: string[];
  faults: { name: string; description: string; since: string }[];
}
