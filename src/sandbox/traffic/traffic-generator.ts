import { createWriteStream, type WriteStream } from "node:fs";
import type { AckEntry, AttemptEntry, TrafficLogEntry } from "./traffic-log.js";

/**
 * A client population writing cases through the edge at a steady rate (default 20/s),
 * logging every attempt and every acknowledged write (JSONL, see traffic-log.ts).
 *
 * Open loop on purpose: a new request goes out every 1/rate s whether or not earlier
 * ones have answered, as independent clients would, so an outage shows up as failures
 * at the offered rate instead of a client politely waiting.
 */

export interface TrafficGeneratorOptions {
  /** Base URL clients use (the edge router). */
  targetUrl: string;
  /** JSONL log file (appended). */
  logPath: string;
  ratePerSecond?: number;
  /** A request with no answer after this long counts as failed. Default 2000 ms. */
  requestTimeoutMs?: number;
}

export interface TrafficGeneratorStats {
  attempts: number;
  acknowledged: number;
  failed: number;
  inFlight: number;
}

export class TrafficGenerator {
  private readonly options: Required<TrafficGeneratorOptions>;
  private timer: NodeJS.Timeout | undefined;
  private log: WriteStream | undefined;
  private seq = 0;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly counters = { attempts: 0, acknowledged: 0, failed: 0 };

  constructor(options: TrafficGeneratorOptions) {
    this.options = { ratePerSecond: 20, requestTimeoutMs: 2_000, ...options };
  }

  start(): void {
    if (this.timer) return;
    this.log = createWriteStream(this.options.logPath, { flags: "a" });
    const intervalMs = 1_000 / this.options.ratePerSecond;
    this.timer = setInterval(() => this.send(), intervalMs);
  }

  /** Stops sending, waits for requests still in flight, and flushes the log. */
  async stop(): Promise<TrafficGeneratorStats> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await Promise.all([...this.inFlight]);
    const log = this.log;
    this.log = undefined;
    if (log)
      await new Promise<void>((resolve, reject) =>
        log.end((error?: Error | null) => (error ? reject(error) : resolve())),
      );
    return this.stats();
  }

  stats(): TrafficGeneratorStats {
    return { ...this.counters, inFlight: this.inFlight.size };
  }

  private send(): void {
    const seq = ++this.seq;
    const request = this.attempt(seq).finally(() => this.inFlight.delete(request));
    this.inFlight.add(request);
  }

  private async attempt(seq: number): Promise<void> {
    this.counters.attempts++;
    const sentAt = Date.now();
    const entry: AttemptEntry = { kind: "attempt", seq, sentAt, doneAt: sentAt, ok: false };
    let ack: AckEntry | undefined;
    try {
      const response = await fetch(`${this.options.targetUrl}/cases`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ title: `case ${seq}`, clientSeq: seq, clientSentAt: sentAt }),
        signal: AbortSignal.timeout(this.options.requestTimeoutMs),
      });
      const body = (await response.json().catch(() => ({}))) as { id?: unknown; error?: unknown };
      entry.status = response.status;
      const region = response.headers.get("x-edge-region") ?? response.headers.get("x-region");
      if (region) entry.region = region;
      if (response.status === 201 && typeof body.id === "string") {
        entry.ok = true;
        ack = { kind: "ack", seq, caseId: body.id, ackAt: Date.now(), ...(region ? { region } : {}) };
      } else if (typeof body.error === "string") {
        entry.error = body.error;
      }
    } catch (error) {
      entry.error = describeFailure(error);
    }
    entry.doneAt = ack?.ackAt ?? Date.now();
    if (entry.ok) this.counters.acknowledged++;
    else this.counters.failed++;
    this.write(entry);
    if (ack) this.write(ack);
  }

  private write(entry: TrafficLogEntry): void {
    this.log?.write(`${JSON.stringify(entry)}\n`);
  }
}

/** fetch hides the socket error in `cause`; the code (ECONNREFUSED, …) is what matters. */
function describeFailure(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as Error & { cause?: { code?: string; message?: string } }).cause;
    if (error.name === "TimeoutError") return "timeout";
    return cause?.code ?? cause?.message ?? error.message;
  }
  return String(error);
}
