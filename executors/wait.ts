import { z } from "zod";
import { defineExecutor } from "../src/executor.js";
import { formatDuration, parseDuration } from "../src/language/duration.js";
import { Duration } from "../src/language/schema.js";

export const wait = defineExecutor({
  type: "wait",
  summary: "Wait for a fixed time (e.g. DNS TTLs to expire, caches to drain)",
  params: z.strictObject({ duration: Duration }),
  idempotent: true,
  describe: (p) => `wait ${formatDuration(parseDuration(p.duration) ?? 0)}`,
  async run(p, ctx) {
    const ms = parseDuration(p.duration) ?? 0;
    if (ms > 0) await sleep(ms, ctx.signal);
    return { waitedMs: ms };
  },
});

export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
