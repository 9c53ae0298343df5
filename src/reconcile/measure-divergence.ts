import type { Client } from "pg";
import { redactUrl, withPostgres } from "../db/postgres.js";
import { ExecutorError } from "../executor.js";
import type { ReconciledLostWrite, ReconciledRpo } from "../journal/events.js";
import { parseDuration } from "../language/duration.js";
import {
  type DivergenceParams,
  HeartbeatTable,
  quoteIdent,
  type ReconciledTable,
} from "./divergence-spec.js";

/**
 * The writes an ungraceful failover lost, read from both databases once the old primary is
 * reachable again (fenced, not yet rebuilt) or restored from its snapshot.
 *
 * Heartbeats find the fork: the newest heartbeat of the old primary that the promoted
 * database also holds is the last thing that replicated. Application rows written after it
 * (less a lookback for transactions still open then) are compared key by key, so the lost
 * writes are exact, not estimated: a row is lost when the promoted database lacks that
 * version of it. The RPO is the newest commit on the old primary minus the newest of its
 * commits that replicated, over heartbeats and rows together (finer than heartbeats alone).
 *
 * Only reads, in read-only sessions: safe to repeat, safe on a fenced server.
 */

/** A key whose version on the old primary never reached the promoted database (journaled as is). */
export type LostWrite = ReconciledLostWrite;

export interface DivergenceReport {
  oldPrimary: string;
  promoted: string;
  /** Newest commit on the old primary minus the newest of its commits that replicated (ms). */
  rpoMs: number;
  lastCommittedAt: string;
  lastReplicatedAt: string;
  heartbeat: ReconciledRpo["heartbeat"];
  tables: ReconciledRpo["tables"];
  /** Oldest first. Conflicts are lost writes too, marked. */
  lostWrites: LostWrite[];
  /** The lost writes that can be applied to the promoted database without overwriting newer data. */
  replayPlan: { table: string; key: string; committedAt?: string; version?: string }[];
  conflicts: number;
}

const PAGE = 1000;
const DEFAULT_LOOKBACK_MS = 10_000;

interface Version {
  key: string;
  /** Microseconds since the epoch, as text (exact). */
  us?: string;
  version?: string;
}

export async function measureDivergence(p: DivergenceParams, signal: AbortSignal): Promise<DivergenceReport> {
  const heartbeat = HeartbeatTable.parse(p.heartbeat ?? {});
  const lookbackMs = (p.lookback ? parseDuration(p.lookback) : undefined) ?? DEFAULT_LOOKBACK_MS;
  return withPostgres(p.oldPrimary, signal, (old) =>
    withPostgres(p.promoted, signal, async (promoted) => {
      for (const c of [old, promoted]) await c.query("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY");
      const hbSpec: ReconciledTable = { name: heartbeat.name, key: heartbeat.key, updatedAt: heartbeat.at };
      const hb = await forkByHeartbeat(old, promoted, hbSpec, p.oldPrimary);
      const since = BigInt(hb.lastReplicatedUs) - BigInt(lookbackMs) * 1000n;
      let lastCommitted = BigInt(hb.lastWrittenUs);
      let lastReplicated = BigInt(hb.lastReplicatedUs);
      const compared: { spec: ReconciledTable; pairs: [Version, Version | undefined][] }[] = [];
      for (const spec of p.tables) {
        const pairs = await compareTable(old, promoted, spec, spec.updatedAt ? since : undefined);
        compared.push({ spec, pairs });
        for (const [mine, theirs] of pairs) {
          if (mine.us === undefined) continue;
          const us = BigInt(mine.us);
          if (us > lastCommitted) lastCommitted = us;
          if (theirs && sameVersion(mine, theirs) && us > lastReplicated) lastReplicated = us;
        }
      }
      const lostWrites: LostWrite[] = [];
      const tables: DivergenceReport["tables"] = [];
      for (const { spec, pairs } of compared) {
        let lost = 0;
        let conflicts = 0;
        for (const [mine, theirs] of pairs) {
          if (theirs && sameVersion(mine, theirs)) continue;
          lost++;
          const write: LostWrite = {
            table: spec.name,
            key: mine.key,
            ...(mine.us !== undefined ? { committedAt: isoOf(mine.us) } : {}),
            ...(mine.version !== undefined ? { version: mine.version } : {}),
          };
          if (theirs && writtenAfterFork(mine, theirs, lastReplicated)) {
            conflicts++;
            write.conflict = {
              ...(theirs.us !== undefined ? { rewrittenAt: isoOf(theirs.us) } : {}),
              ...(theirs.version !== undefined ? { version: theirs.version } : {}),
            };
          }
          lostWrites.push(write);
        }
        tables.push({ name: spec.name, key: spec.key, compared: pairs.length, lost, conflicts });
      }
      lostWrites.sort(
        (a, b) => (a.committedAt ?? "").localeCompare(b.committedAt ?? "") || a.key.localeCompare(b.key),
      );
      return {
        oldPrimary: redactUrl(p.oldPrimary),
        promoted: redactUrl(p.promoted),
        rpoMs: Number((lastCommitted - lastReplicated) / 1000n),
        lastCommittedAt: isoOf(String(lastCommitted)),
        lastReplicatedAt: isoOf(String(lastReplicated)),
        heartbeat: {
          table: heartbeat.name,
          lastWrittenAt: isoOf(hb.lastWrittenUs),
          lastReplicatedAt: isoOf(hb.lastReplicatedUs),
          rpoMs: Number((BigInt(hb.lastWrittenUs) - BigInt(hb.lastReplicatedUs)) / 1000n),
          lost: hb.lost,
        },
        tables,
        lostWrites,
        replayPlan: lostWrites
          .filter((w) => !w.conflict)
          .map(({ table, key, committedAt, version }) => ({
            table,
            key,
            ...(committedAt ? { committedAt } : {}),
            ...(version ? { version } : {}),
          })),
        conflicts: lostWrites.filter((w) => w.conflict).length,
      };
    }),
  );
}

/**
 * Newest heartbeat of the old primary and newest of those the promoted database holds,
 * walking the old primary's heartbeats back from the end a page at a time.
 */
async function forkByHeartbeat(
  old: Client,
  promoted: Client,
  spec: ReconciledTable,
  oldUrl: string,
): Promise<{ lastWrittenUs: string; lastReplicatedUs: string; lost: number }> {
  const table = quoteIdent(spec.name);
  const at = quoteIdent(spec.updatedAt!);
  const key = quoteIdent(spec.key);
  let before: string | undefined;
  let lastWrittenUs: string | undefined;
  let lost = 0;
  for (;;) {
    const rows = await readOrExplain(oldUrl, spec, () =>
      old.query<{ k: string; us: string }>(
        `SELECT ${key}::text AS k, ${microseconds(at)} AS us FROM ${table}
          ${before === undefined ? "" : `WHERE ${epochMicros(at)} < $2::bigint`}
          ORDER BY ${at} DESC LIMIT $1`,
        before === undefined ? [PAGE] : [PAGE, before],
      ),
    );
    if (rows.rows.length === 0) {
      if (lastWrittenUs === undefined)
        throw new ExecutorError(`no heartbeats in ${spec.name} on ${redactUrl(oldUrl)}`, "fatal");
      throw new ExecutorError(
        `none of the ${lost} heartbeats on ${redactUrl(oldUrl)} reached the promoted database: is it the same database's copy?`,
        "fatal",
      );
    }
    lastWrittenUs ??= rows.rows[0]!.us;
    const theirs = await versionsOn(
      promoted,
      spec,
      rows.rows.map((r) => r.k),
    );
    for (const r of rows.rows) {
      const other = theirs.get(r.k);
      if (other && other.us === r.us) return { lastWrittenUs, lastReplicatedUs: r.us, lost };
      lost++;
    }
    before = rows.rows.at(-1)!.us;
  }
}

/** Every row of `spec` on the old primary written at or after `sinceUs` (all rows without it), with the promoted database's version of it. */
async function compareTable(
  old: Client,
  promoted: Client,
  spec: ReconciledTable,
  sinceUs: bigint | undefined,
): Promise<[Version, Version | undefined][]> {
  const pairs: [Version, Version | undefined][] = [];
  let after: string | undefined;
  for (;;) {
    const conditions = [
      ...(sinceUs !== undefined ? [`${epochMicros(quoteIdent(spec.updatedAt!))} >= $2::bigint`] : []),
      ...(after !== undefined ? [`${quoteIdent(spec.key)}::text > $${sinceUs !== undefined ? 3 : 2}`] : []),
    ];
    const args: unknown[] = [
      PAGE,
      ...(sinceUs !== undefined ? [String(sinceUs)] : []),
      ...(after !== undefined ? [after] : []),
    ];
    const rows = await old.query<Record<string, string | null>>(
      `SELECT ${selectVersion(spec)} FROM ${quoteIdent(spec.name)}
        ${conditions.length ? `WHERE ${conditions.join(" AND ")}` : ""}
        ORDER BY ${quoteIdent(spec.key)}::text LIMIT $1`,
      args,
    );
    if (rows.rows.length === 0) return pairs;
    const mine = rows.rows.map(toVersion);
    const theirs = await versionsOn(
      promoted,
      spec,
      mine.map((v) => v.key),
    );
    for (const v of mine) pairs.push([v, theirs.get(v.key)]);
    after = mine.at(-1)!.key;
    if (rows.rows.length < PAGE) return pairs;
  }
}

async function versionsOn(db: Client, spec: ReconciledTable, keys: string[]): Promise<Map<string, Version>> {
  if (keys.length === 0) return new Map();
  const rows = await db.query<Record<string, string | null>>(
    `SELECT ${selectVersion(spec)} FROM ${quoteIdent(spec.name)} WHERE ${quoteIdent(spec.key)}::text = ANY($1::text[])`,
    [keys],
  );
  return new Map(rows.rows.map((r) => [r.k!, toVersion(r)]));
}

function selectVersion(spec: ReconciledTable): string {
  return [
    `${quoteIdent(spec.key)}::text AS k`,
    spec.updatedAt ? `${microseconds(quoteIdent(spec.updatedAt))} AS us` : "NULL AS us",
    spec.version ? `${quoteIdent(spec.version)}::text AS v` : "NULL AS v",
  ].join(", ");
}

function toVersion(r: Record<string, string | null>): Version {
  return { key: r.k!, ...(r.us != null ? { us: r.us } : {}), ...(r.v != null ? { version: r.v } : {}) };
}

/** Exact to the microsecond, as a bigint to compare with; `microseconds()` gives it as text to read. */
function epochMicros(column: string): string {
  return `(extract(epoch FROM ${column}) * 1000000)::bigint`;
}

function microseconds(column: string): string {
  return `${epochMicros(column)}::text`;
}

function sameVersion(a: Version, b: Version): boolean {
  return a.us === b.us && a.version === b.version;
}

/** The promoted database's version is newer than the fork: the new region wrote that key since. */
function writtenAfterFork(mine: Version, theirs: Version, forkUs: bigint): boolean {
  if (theirs.us !== undefined) return BigInt(theirs.us) > forkUs;
  return (
    theirs.version !== undefined &&
    mine.version !== undefined &&
    BigInt(theirs.version) > BigInt(mine.version)
  );
}

function isoOf(us: string): string {
  return new Date(Number(BigInt(us) / 1000n)).toISOString();
}

/** A missing table or column is the caller's configuration, said as such (not a retryable outage). */
async function readOrExplain<T>(url: string, spec: ReconciledTable, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === "42P01" || code === "42703")
      throw new ExecutorError(
        `${redactUrl(url)}: ${(err as Error).message} (the heartbeat table is ${spec.name}(${spec.key}, ${spec.updatedAt}); set heartbeat: { name, key, at })`,
        "fatal",
      );
    throw err;
  }
}
