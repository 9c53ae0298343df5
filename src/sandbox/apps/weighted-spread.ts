/**
 * Route 53 weighted routing over the healthy regions, as the sandbox's edge applies it.
 *
 * Healthy = the region's ARC routing control is On (in AWS, a health check tied to the
 * routing control). Among the healthy regions that have a weighted record, each gets
 * weight / total of the answers; if all of them weigh 0, they share evenly (Route 53's
 * rule for an all-zero group). A healthy region without a record is not in DNS at all,
 * unless no healthy region has one: then, and with no weighted records, the first
 * healthy region takes everything (the sandbox's behaviour before weights existed).
 */

export interface WeightedRecords {
  ttlSeconds: number;
  /** Weight by set identifier (= region). */
  weights: Record<string, number>;
}

/** Each region's share (0..1) of the answers, for the given On regions and records. */
export function effectiveSplit(
  on: readonly string[],
  records: WeightedRecords | undefined,
): Record<string, number> {
  const candidates = records ? on.filter((r) => records.weights[r] !== undefined) : [];
  if (candidates.length === 0) return on[0] === undefined ? {} : { [on[0]]: 1 };
  const weights = candidates.map((r) => records?.weights[r] ?? 0);
  const even = weights.every((w) => w === 0);
  const total = even ? candidates.length : weights.reduce((a, b) => a + b, 0);
  return Object.fromEntries(candidates.map((r, i) => [r, (even ? 1 : (weights[i] ?? 0)) / total]));
}

/**
 * Picks the region of each request by `effectiveSplit`, as a smooth weighted round robin:
 * every client gets one answer and, over any run of requests, the shares are exact. Real
 * resolvers draw weighted answers at random; a deterministic spread keeps a 10/90 split
 * 10/90 in a 100-request window, so a drill's figures reflect the weights, not the dice.
 */
export class WeightedSpread {
  private credit = new Map<string, number>();
  private signature = "";

  pick(on: readonly string[], records: WeightedRecords | undefined): string | undefined {
    const split = Object.entries(effectiveSplit(on, records));
    if (split.length <= 1) return split[0]?.[0];
    const signature = JSON.stringify(split);
    if (signature !== this.signature) {
      this.signature = signature;
      this.credit = new Map();
    }
    let best: string | undefined;
    for (const [region, share] of split) {
      const credit = (this.credit.get(region) ?? 0) + share;
      this.credit.set(region, credit);
      if (best === undefined || credit > (this.credit.get(best) ?? 0)) best = region;
    }
    if (best !== undefined) this.credit.set(best, (this.credit.get(best) ?? 0) - 1);
    return best;
  }
}
