import type { AckEntry, AttemptEntry, TrafficLogEntry } from "./traffic-log.js";

/**
 * What clients actually experienced, from the traffic log and the case ids present in
 * the database afterwards. Pure: no I/O, no clock.
 *
 * - Outage (client-observed RTO): from the first failed request (when it was sent: the
 *   service was already failing then) to the first success after the last failure (when
 *   its answer arrived: service restored). Successes in between (flapping) do not end it.
 * - Lost writes (true RPO): acknowledged writes whose case id is not in the database.
 */

export interface Outage {
  startedAt: number;
  /** Undefined while no request has succeeded since the last failure. */
  endedAt: number | undefined;
  durationMs: number | undefined;
  failedAttempts: number;
}

export interface TrafficAnalysis {
  attempts: number;
  succeeded: number;
  failed: number;
  outage: Outage | undefined;
  acknowledged: number;
  /** Acknowledged writes missing from the database, oldest first. */
  lostWrites: AckEntry[];
  /** Time between the first and the last lost write's acknowledgement (0 for one, undefined for none). */
  lostWindowMs: number | undefined;
  /** Requests served per region (from successful and failed responses that named one). */
  byRegion: Record<string, number>;
}

export function analyzeTraffic(
  entries: readonly TrafficLogEntry[],
  presentCaseIds: ReadonlySet<string>,
): TrafficAnalysis {
  const attempts = entries
    .filter((e): e is AttemptEntry => e.kind === "attempt")
    .sort((a, b) => a.sentAt - b.sentAt);
  const acks = entries.filter((e): e is AckEntry => e.kind === "ack").sort((a, b) => a.ackAt - b.ackAt);

  const byRegion: Record<string, number> = {};
  for (const attempt of attempts) {
    if (attempt.region !== undefined) byRegion[attempt.region] = (byRegion[attempt.region] ?? 0) + 1;
  }

  const lostWrites = acks.filter((ack) => !presentCaseIds.has(ack.caseId));
  const firstLost = lostWrites[0];
  const lastLost = lostWrites[lostWrites.length - 1];
  const succeeded = attempts.filter((a) => a.ok).length;
  return {
    attempts: attempts.length,
    succeeded,
    failed: attempts.length - succeeded,
    outage: findOutage(attempts),
    acknowledged: acks.length,
    lostWrites,
    lostWindowMs: firstLost && lastLost ? lastLost.ackAt - firstLost.ackAt : undefined,
    byRegion,
  };
}

function findOutage(attemptsBySentAt: readonly AttemptEntry[]): Outage | undefined {
  const failures = attemptsBySentAt.filter((a) => !a.ok);
  const firstFailure = failures[0];
  const lastFailure = failures[failures.length - 1];
  if (!firstFailure || !lastFailure) return undefined;
  const recovered = attemptsBySentAt
    .filter((a) => a.ok && a.sentAt > lastFailure.sentAt)
    .sort((a, b) => a.doneAt - b.doneAt)[0];
  return {
    startedAt: firstFailure.sentAt,
    endedAt: recovered?.doneAt,
    durationMs: recovered ? recovered.doneAt - firstFailure.sentAt : undefined,
    failedAttempts: failures.length,
  };
}
