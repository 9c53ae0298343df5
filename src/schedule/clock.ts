/**
 * Time as the scheduler sees it. The real clock sleeps in slices of at most a minute and
 * looks at the wall clock again after each, so a suspended laptop or a clock step does not
 * push a drill days late; tests pass a clock they move by hand.
 */
export interface Clock {
  now(): Date;
  /** Resolves at `at` (at once if it has passed) or as soon as `signal` aborts; never rejects. */
  sleepUntil(at: Date, signal: AbortSignal): Promise<void>;
}

const SLICE_MS = 60_000;

export const systemClock: Clock = {
  now: () => new Date(),
  async sleepUntil(at, signal) {
    while (!signal.aborted) {
      const ms = at.getTime() - Date.now();
      if (ms <= 0) return;
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          signal.removeEventListener("abort", done);
          resolve();
        };
        const timer = setTimeout(done, Math.min(ms, SLICE_MS));
        signal.addEventListener("abort", done, { once: true });
      });
    }
  },
};
