/**
 * Token buckets per service (or service+operation), switched on by the throttle fault.
 * A bucket holds at most one second's worth of tokens, so a burst above the configured
 * rate is refused the way AWS's request-rate limits refuse it.
 */
interface Bucket {
  rps: number;
  tokens: number;
  refilledAt: number;
}

export class Throttles {
  private readonly buckets = new Map<string, Bucket>();

  /** `rps` undefined switches throttling off for that key. */
  set(service: string, rps: number | undefined, operation?: string): void {
    const key = operation ? `${service}:${operation}` : service;
    if (rps === undefined) this.buckets.delete(key);
    else this.buckets.set(key, { rps, tokens: Math.max(1, rps), refilledAt: performance.now() });
  }

  /** Takes a token; false means the call must be answered with a throttling error. */
  take(service: string, operation: string): boolean {
    for (const key of [`${service}:${operation}`, service]) {
      const bucket = this.buckets.get(key);
      if (bucket && !this.takeFrom(bucket)) return false;
    }
    return true;
  }

  active(): Record<string, number> {
    return Object.fromEntries([...this.buckets].map(([k, b]) => [k, b.rps]));
  }

  private takeFrom(bucket: Bucket): boolean {
    const now = performance.now();
    const capacity = Math.max(1, bucket.rps);
    bucket.tokens = Math.min(capacity, bucket.tokens + ((now - bucket.refilledAt) / 1000) * bucket.rps);
    bucket.refilledAt = now;
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }
}
