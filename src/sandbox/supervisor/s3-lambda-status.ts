import type { Emulator, EmulatorTopology } from "../emulator/index.js";
import type { SandboxEndpoints } from "../endpoints.js";
import type { SandboxStatus } from "./status.js";

/**
 * The sandbox's S3 evidence buckets (region A's replicating to region B's) and its Lambda
 * outbox relays (one per region, their queue mapping enabled in the primary only) in
 * endpoints.json, status and their views: what a failover's pre-check reads, and the
 * one-region job it moves.
 */

type Row = [string, string];

export function s3LambdaEndpoints(
  topology: EmulatorTopology,
): Pick<SandboxEndpoints, "evidenceBuckets" | "outboxFunctions"> {
  return {
    evidenceBuckets: Object.fromEntries((topology.s3?.buckets ?? []).map((b) => [b.region, b.name])),
    outboxFunctions: Object.fromEntries((topology.lambda?.functions ?? []).map((f) => [f.region, f.name])),
  };
}

export function s3LambdaStatus(emulator: Emulator): Pick<SandboxStatus, "s3" | "lambda"> {
  return { s3: emulator.s3.status(), lambda: emulator.lambda.status() };
}

/** `sandbox up`'s lines for them. */
export function s3LambdaEndpointRows(e: SandboxEndpoints): Row[] {
  const [a, b] = e.regions;
  const buckets = e.evidenceBuckets ?? {};
  const functions = Object.values(e.outboxFunctions ?? {});
  return [
    ...(buckets[a] && buckets[b]
      ? [["S3", `${buckets[a]} replicating to ${buckets[b]} (versioned, Replication Time Control)`] as Row]
      : []),
    ...(functions.length
      ? [["Lambda", `${functions.join(", ")} (SQS event source mapping enabled in ${a} only)`] as Row]
      : []),
  ];
}

/** `sandbox status`'s lines: each replication's backlog, and the state of each function's mappings. */
export function s3LambdaStatusRows(s: SandboxStatus): Row[] {
  const replication = Object.entries(s.s3 ?? {}).flatMap(([name, bucket]) => {
    const r = bucket.replication;
    if (!r) return [];
    const flow = r.status !== "Enabled" ? `rule ${r.status}` : r.stalled ? "STALLED, " : "";
    return [
      `${name} → ${r.destinationBucket}: ${flow}${r.status === "Enabled" ? `${r.operationsPending} pending, latency ${r.replicationLatencySeconds} s` : ""}`,
    ];
  });
  const mappings = Object.entries(s.lambda ?? {}).map(
    ([name, f]) => `${name} ${f.mappings.map((m) => m.state).join("/") || "no mapping"}`,
  );
  return [
    ...(replication.length ? [["S3 replication", replication.join("; ")] as Row] : []),
    ...(mappings.length ? [["Lambda mappings", mappings.join(", ")] as Row] : []),
  ];
}
