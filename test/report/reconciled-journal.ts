import { join } from "node:path";
import type { EventData, ReconciledLostWrite } from "../../src/journal/events.js";
import { JournalWriter } from "../../src/journal/journal.js";
import { gateApproved, JournalBuilder, okStep, start } from "../fixtures/journal-builder.js";
import { DECLARED, intent, milestone, RPO, RTO, succeeded, T0 } from "../fixtures/scenario-steps.js";
import { homeWith } from "./helpers.js";

/**
 * An ungraceful failover of case-api: the old primary was unreachable, so the RPO measured
 * at promotion (8.6 s) is an upper bound. Ten minutes after the end, `runbook reconcile`
 * read the recovered old primary and appended the exact figure through the real writer.
 */
export const RECONCILED_ID = "failover-case-api-20261127T031200Z-7e57";
export const ENDED_AT = "2026-11-27T03:13:34.500Z";
/** Ten minutes after the execution ended. */
export const RECONCILED_AT = "2026-11-27T03:23:34.500Z";
export const SCRIPT_KEY = "<script>alert(1)</script>";
export const LOST_WRITES = 120;

export function ungracefulFailover(
  o: { rpo?: { value: number; unit: string }; completed?: boolean } = {},
): string {
  const b = new JournalBuilder(T0);
  start(b, {
    executionId: RECONCILED_ID,
    environment: "prod",
    mode: "run",
    operator: "alice",
    declaredAt: DECLARED,
    rtoMs: RTO,
    rpoMs: RPO,
  });
  okStep(b, "precheck-replica", "postgres.check-replication", 1, 2.4);
  gateApproved(b, "approve-failover", 2.5, 41, "alice");
  okStep(b, "fence-writes", "arc.set-routing-controls", 42, 44);
  milestone(b, 44, "writes_fenced", "fence-writes");
  intent(b, 44.1, "promote-db", "rds.failover-global-cluster");
  intent(b, 44.1, "scale-recovery", "exec");
  succeeded(b, 75, "scale-recovery", 30_900);
  const rpo = o.rpo ?? { value: 8600, unit: "ms" };
  b.at(80).append("measure", { name: "rpo_observed_ms", ...rpo }, "promote-db");
  succeeded(b, 80.2, "promote-db", 36_100);
  milestone(b, 80.2, "db_promoted", "promote-db");
  succeeded(b, 80.3, "promote-and-scale", 0);
  okStep(b, "shift-traffic", "arc.set-routing-controls", 80.5, 83);
  milestone(b, 83, "traffic_shifted", "shift-traffic");
  okStep(b, "validate", "http.probe", 83.2, 94);
  milestone(b, 94, "service_restored", "validate");
  if (o.completed !== false) b.at(94.5).append("execution.completed", {});
  return b.text();
}

/** 120 lost writes, oldest first: the first is a key with markup in it, two were rewritten since. */
export function lostWrites(n = LOST_WRITES): ReconciledLostWrite[] {
  const base = Date.parse("2026-11-27T03:12:37.000Z");
  return Array.from({ length: n }, (_, i) => {
    const key = i === 0 ? SCRIPT_KEY : i === 1 ? "a|b`c" : `case-${1000 + i}`;
    const w: ReconciledLostWrite = {
      table: i % 6 === 5 ? "notes" : "cases",
      key,
      committedAt: new Date(base + i * 20).toISOString(),
    };
    if (i === 2 || i === 3) w.conflict = { rewrittenAt: new Date(base + 60_000 + i * 1000).toISOString() };
    return w;
  });
}

export function reconciledRpo(over: Partial<EventData["rpo.reconciled"]> = {}): EventData["rpo.reconciled"] {
  const writes = lostWrites();
  return {
    rpoMs: 2430,
    boundMs: 8600,
    lastCommittedAt: "2026-11-27T03:12:39.430Z",
    lastReplicatedAt: "2026-11-27T03:12:37.000Z",
    heartbeat: {
      table: "heartbeat",
      lastWrittenAt: "2026-11-27T03:12:39.000Z",
      lastReplicatedAt: "2026-11-27T03:12:37.000Z",
      rpoMs: 2000,
      lost: 2,
    },
    oldPrimary: "postgres://app:***@10.0.1.5:5432/cases",
    promoted: "postgres://app:***@10.1.1.5:5432/cases",
    tables: [
      { name: "cases", key: "id", compared: 400, lost: 100, conflicts: 2 },
      { name: "notes", key: "id", compared: 90, lost: 20, conflicts: 0 },
    ],
    lostWrites: writes,
    lostWritesTotal: writes.length,
    conflicts: 2,
    replayCount: writes.length - 2,
    operator: "alice",
    host: "ic-laptop-1",
    ...over,
  };
}

/** Appends as `runbook reconcile` does: reopen the journal with the real writer, on a given clock. */
export function appendReconciliation(path: string, at: string, data = reconciledRpo()): void {
  const { writer } = JournalWriter.reopen(path, () => new Date(at));
  try {
    writer.append("rpo.reconciled", data);
  } finally {
    writer.close();
  }
}

/** A runbook home holding the failover, reconciled ten minutes after its end. */
export function reconciledHome(
  data = reconciledRpo(),
  journal = ungracefulFailover(),
): { home: string; path: string } {
  const home = homeWith({ [RECONCILED_ID]: journal });
  const path = join(home, "executions", RECONCILED_ID, "journal.jsonl");
  appendReconciliation(path, RECONCILED_AT, data);
  return { home, path };
}
