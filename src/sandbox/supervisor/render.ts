import type { SandboxEndpoints } from "../endpoints.js";
import type { TrafficAnalysis } from "../traffic/traffic-analysis.js";
import { computeEndpointRows, computeStatusRows } from "./compute-status.js";
import { dataPlaneEndpointRows, dataPlaneStatusRows } from "./data-plane-status.js";
import { dnsEndpointRows, dnsStatusRows } from "./dns-status.js";
import { iamEndpointRows, iamStatusRows } from "./iam-status.js";
import { s3LambdaEndpointRows, s3LambdaStatusRows } from "./s3-lambda-status.js";
import type { SandboxStatus } from "./status.js";

/** Human-readable views of the sandbox for `runbook sandbox up | status | traffic`. */

function table(rows: [string, string][]): string[] {
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`);
}

const pairs = (record: Record<string, string>, sep = "  ") =>
  Object.entries(record)
    .map(([k, v]) => `${k} ${v}`)
    .join(sep);

export function renderEndpoints(e: SandboxEndpoints): string[] {
  const [a, b] = e.regions;
  const db = (region: string) => {
    const d = e.databases[region];
    return d ? `postgres://${d.user}:${d.password}@${d.host}:${d.port}/${d.database}` : "?";
  };
  return table([
    ["regions", `${a} (primary at start), ${b} (recovery)`],
    ["emulator", `${e.emulator}  (endpoint override of every emulated AWS service)`],
    ["credentials", `${e.credentials.accessKeyId} / ${e.credentials.secretAccessKey}  (sandbox-only)`],
    ["account", e.accountId],
    ...iamEndpointRows(e),
    ["ARC endpoints", e.arcClusterEndpoints.map((c) => `${c.endpoint} (${c.region})`).join(", ")],
    ["routing controls", pairs(e.routingControls, ", ")],
    ["safety rules", pairs(e.safetyRules, ", ")],
    ["global cluster", `${e.globalClusterIdentifier}: ${pairs(e.clusters, ", ")}`],
    ["databases", `${a} ${db(a)}, ${b} ${db(b)}`],
    ["case-api", pairs(e.caseApi, ", ")],
    ["edge", `${e.edge}  (clients go here; TTL ${e.edgeTtlMs} ms)`],
    [
      "alarms",
      Object.entries(e.alarms)
        .map(([name, { region }]) => `${name} (${region})`)
        .join(", "),
    ],
    ["secrets", e.secrets.join(", ")],
    ...computeEndpointRows(e),
    ...dnsEndpointRows(e),
    ...dataPlaneEndpointRows(e),
    ...s3LambdaEndpointRows(e),
    ["control", e.control],
  ]);
}

export function renderStatus(s: SandboxStatus): string[] {
  const regions = s.regions;
  const db = regions.map((r) => {
    const d = s.databases[r];
    if (!d) return `${r} ?`;
    const flags = [
      d.down ? "DOWN" : "",
      d.replayPaused ? "replay paused" : "",
      // A fenced old primary that is up holds what it never replicated until failback rebuilds it.
      d.role === "fenced" && !d.down ? "diverged: runbook reconcile <failover>" : "",
    ].filter(Boolean);
    return `${r} ${d.role} :${d.port}${flags.length ? ` (${flags.join(", ")})` : ""}`;
  });
  const apps = regions.map((r) => {
    const a = s.caseApi[r];
    return a ? `${r} ${a.down ? "DOWN" : "up"} (${a.requests} requests, ${a.errors5xx} 5xx)` : `${r} ?`;
  });
  return [
    `sandbox: up since ${s.startedAt} (pid ${s.pid})`,
    ...table([
      ["writer", `${s.writerRegion} (global cluster ${s.globalClusterStatus})`],
      [
        "routing controls",
        `${regions.map((r) => `${r} ${s.routingControls[r] ?? "?"}`).join(", ")}  → edge sends clients to ${s.edgeRegion ?? "nowhere (no control On)"}`,
      ],
      ["replication lag", s.replicationLagMs === null ? "unknown" : `${Math.round(s.replicationLagMs)} ms`],
      ["databases", db.join(", ")],
      ["case-api", apps.join(", ")],
      ...computeStatusRows(s),
      ...dnsStatusRows(s),
      ...dataPlaneStatusRows(s),
      ...s3LambdaStatusRows(s),
      ...iamStatusRows(s),
      [
        "alarms",
        Object.entries(s.alarms)
          .map(([name, a]) => `${name} ${a.state}`)
          .join(", "),
      ],
      ["API regions down", s.downRegions.length ? s.downRegions.join(", ") : "none"],
      [
        "faults",
        s.faults.length ? s.faults.map((f) => `${f.description} (since ${f.since})`).join("; ") : "none",
      ],
    ]),
  ];
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const clock = (epochMs: number) => new Date(epochMs).toISOString().slice(11, 23);

export interface TrafficSummary {
  analysis: TrafficAnalysis;
  ratePerSecond: number;
  elapsedMs: number;
  logPath: string;
  /** Region of the database checked for the acknowledged writes, or why it could not be read. */
  checkedAgainst: { region: string } | { error: string };
}

export function renderTrafficSummary(t: TrafficSummary): string[] {
  const a = t.analysis;
  const outage = a.outage;
  const outageLine = !outage
    ? "none (every request succeeded)"
    : outage.durationMs === undefined
      ? `${clock(outage.startedAt)} → not recovered yet (${outage.failedAttempts} failed requests)`
      : `${seconds(outage.durationMs)} (${clock(outage.startedAt)} → ${clock(outage.endedAt ?? 0)} UTC, ${outage.failedAttempts} failed requests)`;
  const lostLine =
    "error" in t.checkedAgainst
      ? `unknown (could not read the writer's database: ${t.checkedAgainst.error})`
      : a.lostWrites.length === 0
        ? `0 of ${a.acknowledged} (checked against the writer, ${t.checkedAgainst.region})`
        : `${a.lostWrites.length} of ${a.acknowledged} (acknowledged ${clock(a.lostWrites[0]?.ackAt ?? 0)} → ${clock(a.lostWrites.at(-1)?.ackAt ?? 0)} UTC, a ${a.lostWindowMs ?? 0} ms window; checked against the writer, ${t.checkedAgainst.region})`;
  return [
    `traffic: ${a.attempts} requests at ${t.ratePerSecond}/s over ${seconds(t.elapsedMs)}: ${a.succeeded} acknowledged, ${a.failed} failed`,
    ...table([
      [
        "served by",
        Object.keys(a.byRegion).length
          ? pairs(Object.fromEntries(Object.entries(a.byRegion).map(([k, v]) => [k, String(v)])), ", ")
          : "no region",
      ],
      ["client-observed outage", outageLine],
      ["acknowledged writes lost", lostLine],
      ["log", t.logPath],
    ]),
  ];
}
