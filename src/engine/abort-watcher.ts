import type { AbortCriterionIR } from "../language/runbook.js";

/**
 * Watches abort criteria: each is probed on its interval while it is active, and at every
 * step boundary it covers. `failures` consecutive failed probes fire it, once.
 */

export type ProbeResult = { ok: true } | { ok: false; reason: string };

export interface AbortWatcherOptions {
  criteria: readonly AbortCriterionIR[];
  probe(criterion: AbortCriterionIR, signal: AbortSignal): Promise<ProbeResult>;
  /** Is the criterion's window open (its `during` steps running, or the main phase)? */
  isActive(criterion: AbortCriterionIR): boolean;
  fire(criterion: AbortCriterionIR, reason: string, stepId?: string): void;
}

export class AbortWatcher {
  private readonly failures = new Map<string, number>();
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly inflight = new Map<string, Promise<boolean>>();
  private readonly stopper = new AbortController();
  private fired = false;

  constructor(private readonly o: AbortWatcherOptions) {}

  start(): void {
    for (const c of this.o.criteria) {
      const timer = setInterval(() => {
        if (!this.fired && this.o.isActive(c)) void this.probeOnce(c);
      }, c.everyMs);
      timer.unref();
      this.timers.push(timer);
    }
  }

  /** Probe the criteria that cover `stepId` before it acts; true when one fired. */
  async atBoundary(stepId: string): Promise<boolean> {
    const relevant = this.o.criteria.filter((c) => !c.during || c.during.includes(stepId));
    if (relevant.length === 0 || this.fired) return this.fired;
    const results = await Promise.all(relevant.map((c) => this.probeOnce(c, stepId)));
    return results.some(Boolean);
  }

  stop(): void {
    for (const t of this.timers) clearInterval(t);
    this.stopper.abort();
  }

  private probeOnce(c: AbortCriterionIR, stepId?: string): Promise<boolean> {
    // One probe per criterion at a time: a slow probe is not stacked up by its own interval.
    const running = this.inflight.get(c.id);
    if (running) return running;
    const p = (async () => {
      const signal = AbortSignal.any([
        this.stopper.signal,
        AbortSignal.timeout(Math.max(1000, Math.min(c.everyMs, 30_000))),
      ]);
      let result: ProbeResult;
      try {
        result = await this.o.probe(c, signal);
      } catch (err) {
        if (this.stopper.signal.aborted) return false;
        result = { ok: false, reason: (err as Error).message };
      }
      if (result.ok) {
        this.failures.set(c.id, 0);
        return false;
      }
      const n = (this.failures.get(c.id) ?? 0) + 1;
      this.failures.set(c.id, n);
      if (n < c.failures || this.fired || this.stopper.signal.aborted) return false;
      this.fired = true;
      this.o.fire(c, result.reason, stepId);
      return true;
    })().finally(() => this.inflight.delete(c.id));
    this.inflight.set(c.id, p);
    return p;
  }
}
