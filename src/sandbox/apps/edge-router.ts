import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import { closeServer, listenOnLoopback, sendJson } from "./http-json.js";
import { type WeightedRecords, WeightedSpread } from "./weighted-spread.js";

/**
 * The sandbox's "DNS + load balancer": a reverse proxy that sends each client request to
 * the region whose routing control is On, as Route 53 failover records backed by ARC
 * routing controls would.
 *
 * Like a resolver, it caches the answer for `ttlMs`: after a routing control flips,
 * clients keep going to the old region until the cached answer expires. That delay is
 * part of the client-observed RTO, so it is modelled, not skipped. If the lookup itself
 * fails, the last answer is kept (resolvers serve what they have), and with no answer
 * at all, or no region On, clients get 503.
 *
 * With Route 53 weighted records (`weightedRecords`: set identifier = region), requests
 * are spread among the On regions by their weights (weighted-spread.ts). The weighted
 * answer is cached for its own TTL, as a resolver caches it: after a weight change, clients
 * may keep the old split for up to that TTL.
 */

export interface EdgeRouterOptions {
  /** Base URL of each region's case-api, e.g. `{ "us-east-1": "http://127.0.0.1:4100" }`. */
  regions: Record<string, string>;
  /** Which region is On now (undefined: none). Asked at most once per TTL. */
  activeRegion?: () => Promise<string | undefined>;
  /** Instead of `activeRegion`: every region whose routing control is On, in preference order. */
  activeRegions?: () => Promise<string[]>;
  /** The weighted answer for the edge's name (undefined: no weighted records). Asked at most once per its TTL. */
  weightedRecords?: () => Promise<WeightedRecords | undefined>;
  /** How long a routing decision is cached (ms); 0 asks on every request. Default 1000. */
  ttlMs?: number;
  /** Upstream request timeout (ms). Default 5000. */
  upstreamTimeoutMs?: number;
  port?: number;
  now?: () => number;
}

export interface EdgeRouterStats {
  requests: number;
  byRegion: Record<string, number>;
  noActiveRegion: number;
  upstreamFailures: number;
  lookups: number;
  /** Reads of the weighted answer (at most one per its TTL). */
  dnsLookups: number;
}

interface Decision {
  regions: string[];
  expiresAt: number;
}

export class EdgeRouter {
  private readonly options: EdgeRouterOptions;
  private readonly ttlMs: number;
  private readonly now: () => number;
  private readonly server: Server;
  private port: number;
  private decision: Decision | undefined;
  private lookup: Promise<string[]> | undefined;
  private records: { value: WeightedRecords | undefined; expiresAt: number } | undefined;
  private recordsLookup: Promise<WeightedRecords | undefined> | undefined;
  private readonly spread = new WeightedSpread();
  private readonly counters: EdgeRouterStats = {
    requests: 0,
    byRegion: {},
    noActiveRegion: 0,
    upstreamFailures: 0,
    lookups: 0,
    dnsLookups: 0,
  };

  constructor(options: EdgeRouterOptions) {
    this.options = options;
    this.ttlMs = options.ttlMs ?? 1_000;
    this.now = options.now ?? Date.now;
    this.port = options.port ?? 0;
    this.server = createServer((request, response) => void this.handle(request, response));
  }

  async start(): Promise<string> {
    this.port = await listenOnLoopback(this.server, this.port);
    return this.url;
  }

  stop(): Promise<void> {
    return closeServer(this.server);
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  stats(): EdgeRouterStats {
    return { ...this.counters, byRegion: { ...this.counters.byRegion } };
  }

  /** The region requests go to now, honouring the TTL (concurrent misses share one lookup). */
  async route(): Promise<string | undefined> {
    const [on, records] = await Promise.all([this.onRegions(), this.weightedAnswer()]);
    return this.spread.pick(on, records);
  }

  private onRegions(): Promise<string[]> {
    const cached = this.decision;
    if (cached && this.now() < cached.expiresAt) return Promise.resolve(cached.regions);
    if (!this.lookup) {
      this.counters.lookups++;
      const { activeRegions, activeRegion } = this.options;
      const ask = activeRegions
        ? activeRegions()
        : (activeRegion?.() ?? Promise.resolve(undefined)).then((r) => (r === undefined ? [] : [r]));
      this.lookup = ask
        .then(
          (regions) => {
            this.decision = { regions, expiresAt: this.now() + this.ttlMs };
            return regions;
          },
          () => cached?.regions ?? [],
        )
        .finally(() => {
          this.lookup = undefined;
        });
    }
    return this.lookup;
  }

  /** The weighted records, re-read at most once per their TTL (a failed read keeps the last answer). */
  private weightedAnswer(): Promise<WeightedRecords | undefined> {
    const ask = this.options.weightedRecords;
    const cached = this.records;
    if (!ask || (cached && this.now() < cached.expiresAt)) return Promise.resolve(cached?.value);
    if (!this.recordsLookup) {
      this.counters.dnsLookups++;
      this.recordsLookup = ask()
        .then(
          (value) => {
            this.records = { value, expiresAt: this.now() + (value?.ttlSeconds ?? 0) * 1000 };
            return value;
          },
          () => cached?.value,
        )
        .finally(() => {
          this.recordsLookup = undefined;
        });
    }
    return this.recordsLookup;
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    this.counters.requests++;
    const region = await this.route();
    const base = region === undefined ? undefined : this.options.regions[region];
    if (region === undefined || base === undefined) {
      this.counters.noActiveRegion++;
      request.resume();
      sendJson(response, 503, { error: "no region is active" });
      return;
    }
    this.counters.byRegion[region] = (this.counters.byRegion[region] ?? 0) + 1;
    this.forward(request, response, region, base);
  }

  private forward(request: IncomingMessage, response: ServerResponse, region: string, base: string): void {
    const target = new URL(request.url ?? "/", base);
    const upstream = httpRequest(
      target,
      {
        method: request.method,
        headers: {
          ...request.headers,
          host: target.host,
          "x-forwarded-for": request.socket.remoteAddress ?? "",
        },
        timeout: this.options.upstreamTimeoutMs ?? 5_000,
      },
      (upstreamResponse) => {
        response.writeHead(upstreamResponse.statusCode ?? 502, {
          ...upstreamResponse.headers,
          "x-edge-region": region,
        });
        upstreamResponse.pipe(response);
      },
    );
    upstream.on("timeout", () => upstream.destroy(new Error("upstream timed out")));
    upstream.on("error", (error) => {
      this.counters.upstreamFailures++;
      if (response.headersSent) response.destroy(error);
      else
        sendJson(
          response,
          502,
          { error: "region unreachable", region, detail: error.message },
          { "x-edge-region": region },
        );
    });
    request.pipe(upstream);
  }
}
