import { z } from "zod";
import { defineExecutor, fatal, retryable } from "../src/executor.js";
import { parseDuration } from "../src/language/duration.js";
import { Duration } from "../src/language/schema.js";
import { sleep } from "./wait.js";

const params = z.strictObject({
  url: z.string().min(1),
  method: z.enum(["GET", "HEAD", "POST", "PUT"]).optional(),
  headers: z.record(z.string(), z.string()).optional(),
  body: z.string().optional(),
  expectStatus: z.union([z.number().int(), z.array(z.number().int()).min(1)]).optional(),
  bodyContains: z.string().optional(),
  consecutive: z.number().int().min(1).optional().describe("Successes in a row needed (default 1)"),
  interval: Duration.optional().describe("Delay between requests when consecutive > 1 (default 1s)"),
  timeout: Duration.optional().describe("Per request (default 5s)"),
});

/**
 * One attempt = requests until `consecutive` successes in a row; the first miss fails the
 * attempt as retryable, so "wait until healthy" is written with the step's `retry`.
 */
export const httpCheck = defineExecutor({
  type: "http.check",
  summary: "Probe an HTTP endpoint for a status and body (health checks, synthetic checks)",
  params,
  idempotent: true,
  readOnly: true,
  describe: (p) =>
    `${p.method ?? "GET"} ${p.url} expecting ${[p.expectStatus ?? 200].flat().join("/")}${p.bodyContains ? ` and "${p.bodyContains}"` : ""}${(p.consecutive ?? 1) > 1 ? `, ${p.consecutive} times in a row` : ""}`,
  async run(p, ctx) {
    let url: URL;
    try {
      url = new URL(p.url);
    } catch {
      throw fatal(`not a URL: ${p.url}`);
    }
    const expected = [p.expectStatus ?? 200].flat();
    const timeoutMs = parseDuration(p.timeout ?? "5s") ?? 5000;
    const intervalMs = parseDuration(p.interval ?? "1s") ?? 1000;
    const needed = p.consecutive ?? 1;
    let status = 0;
    let latencyMs = 0;
    for (let ok = 0; ok < needed; ) {
      if (ok > 0) await sleep(intervalMs, ctx.signal);
      const started = performance.now();
      let res: Response;
      try {
        res = await fetch(url, {
          method: p.method ?? "GET",
          ...(p.headers ? { headers: p.headers } : {}),
          ...(p.body !== undefined ? { body: p.body } : {}),
          signal: AbortSignal.any([ctx.signal, AbortSignal.timeout(timeoutMs)]),
        });
      } catch (err) {
        if (ctx.signal.aborted) throw err;
        const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name;
        throw retryable(`${p.method ?? "GET"} ${p.url} failed: ${cause}`, err);
      }
      // Always read the body: an unread body keeps the connection busy.
      const text = await res.text();
      latencyMs = Math.round(performance.now() - started);
      status = res.status;
      if (!expected.includes(status))
        throw retryable(`${p.url} answered ${status}, expected ${expected.join("/")}`);
      if (p.bodyContains !== undefined && !text.includes(p.bodyContains)) {
        throw retryable(`${p.url} answered ${status} without "${p.bodyContains}" in the body`);
      }
      ok++;
    }
    return { status, latencyMs };
  },
});
