import type { Clock } from "../../src/schedule/clock.js";

/** A clock the test moves: sleepers wake in time order, each at its own instant. */
export class ManualClock implements Clock {
  private t: number;
  private sleepers: { at: number; wake: () => void }[] = [];

  constructor(start: string | Date) {
    this.t = new Date(start).getTime();
  }

  now(): Date {
    return new Date(this.t);
  }

  sleepUntil(at: Date, signal: AbortSignal): Promise<void> {
    if (signal.aborted || at.getTime() <= this.t) return Promise.resolve();
    return new Promise((resolve) => {
      const sleeper = {
        at: at.getTime(),
        wake: () => {
          this.sleepers = this.sleepers.filter((s) => s !== sleeper);
          signal.removeEventListener("abort", sleeper.wake);
          resolve();
        },
      };
      this.sleepers.push(sleeper);
      signal.addEventListener("abort", sleeper.wake, { once: true });
    });
  }

  /** Instants someone is sleeping until, earliest first. */
  pending(): string[] {
    return this.sleepers.map((s) => new Date(s.at).toISOString()).sort();
  }

  /** Moves time forward to `to`, waking every sleeper due on the way at its own instant. */
  async advanceTo(to: string | Date): Promise<void> {
    const target = new Date(to).getTime();
    for (;;) {
      await settle();
      const due = this.sleepers.filter((s) => s.at <= target).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.t = due.at;
      due.wake();
    }
    this.t = target;
    await settle();
  }
}

/** Lets promise chains and pending I/O callbacks run. */
export async function settle(rounds = 10): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((r) => setImmediate(r));
}
