import type { Route53RecoveryClusterClient } from "@aws-sdk/client-route53-recovery-cluster";
import { classifyError, type ExecutorContext, ExecutorError } from "../executor.js";

/**
 * ARC's data plane is five regional cluster endpoints; any one of them can answer. The
 * guidance is to try them in random order with a short timeout each, so a down or
 * blackholed endpoint costs at most that timeout. Conflicts (safety rules) and access
 * errors are the answer, not an endpoint failure: they stop the search at once.
 */

export interface ClusterEndpoint {
  endpoint: string;
  region: string;
}

export async function onAnyClusterEndpoint<T>(
  endpoints: readonly ClusterEndpoint[],
  timeoutMs: number,
  ctx: ExecutorContext,
  call: (client: Route53RecoveryClusterClient, signal: AbortSignal) => Promise<T>,
  /** An endpoint that just answered: tried first (reading back a change should not meet a dead one again). */
  preferred?: string,
): Promise<{ value: T; endpoint: string; failures: string[] }> {
  const order = shuffle([...endpoints]).sort(
    (a, b) => Number(b.endpoint === preferred) - Number(a.endpoint === preferred),
  );
  const failures: string[] = [];
  for (const ep of order) {
    const client = await ctx.aws.client("route53-recovery-cluster", ep.region, {
      endpoint: ep.endpoint,
      requestTimeoutMs: timeoutMs,
    });
    const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(timeoutMs)]);
    try {
      return { value: await call(client, signal), endpoint: ep.endpoint, failures };
    } catch (err) {
      if (ctx.signal.aborted) throw err;
      const c = classifyError(err);
      if (c.class === "conflict" || (c.class === "fatal" && !isNetworkish(err))) throw err;
      failures.push(`${ep.endpoint}: ${signal.aborted ? `no answer within ${timeoutMs} ms` : c.message}`);
      ctx.logger.warn(
        { endpoint: ep.endpoint, error: c.message },
        "ARC cluster endpoint failed; trying the next",
      );
    }
  }
  throw new ExecutorError(`every ARC cluster endpoint failed:\n  ${failures.join("\n  ")}`, "retryable");
}

function isNetworkish(err: unknown): boolean {
  const e = err as { name?: string; code?: string; $metadata?: { httpStatusCode?: number } };
  return (
    e.name === "TimeoutError" ||
    e.name === "AbortError" ||
    Boolean(e.code) ||
    (e.$metadata?.httpStatusCode ?? 0) >= 500
  );
}

function shuffle<T>(xs: T[]): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [xs[i], xs[j]] = [xs[j]!, xs[i]!];
  }
  return xs;
}
