/**
 * The data plane behind the emulated Aurora global cluster.
 *
 * The emulator owns the *API* (identifiers, statuses, state transitions, errors); the
 * backend owns the *data* (which server accepts writes, how far the standby lags, what a
 * promotion loses). In the sandbox the backend is two real PostgreSQL servers in
 * streaming replication; in the emulator's own tests it is `InMemoryGlobalClusterBackend`.
 *
 * Contract for implementers:
 * - `members()` is synchronous and cheap: the emulator calls it on every Describe* call.
 *   It lists one member per region of the global cluster, exactly one of them `writer`.
 * - `promote`/`switchover` resolve once the target region's server accepts writes and the
 *   old primary is fenced (no longer accepts writes). After they resolve, `members()`
 *   must report the target region as `writer`. They may throw; the emulator then leaves
 *   the API state unchanged and reports the global cluster `available` again.
 */

export type ClusterRole = "writer" | "reader";

export interface BackendEndpoint {
  host: string;
  port: number;
}

export interface GlobalClusterMember {
  /** AWS region name of this member, e.g. `us-east-1`. */
  region: string;
  role: ClusterRole;
  /** Real address of this region's database server (the writer endpoint when `role` is writer). */
  endpoint: BackendEndpoint;
}

export interface PromoteOptions {
  /**
   * `true` for an unplanned failover (`FailoverGlobalCluster --allow-data-loss`): promote
   * the standby as it is, even if it has not received everything, and fence the old
   * primary if it can be reached. `false`: the emulator only calls this when the old
   * primary's region is up (AWS refuses otherwise).
   */
  allowDataLoss: boolean;
}

export interface GlobalClusterBackend {
  /** Current members and their roles. */
  members(): GlobalClusterMember[];
  /**
   * Replication lag from the primary to the secondary, in milliseconds, or `undefined`
   * when it cannot be measured (e.g. the primary is unreachable).
   */
  replicationLagMs(): Promise<number | undefined>;
  /** Whether the database in `region` is unreachable (independent of emulator API faults). */
  isRegionDown(region: string): boolean;
  /** Makes `targetRegion` the writer for real; the old primary is fenced. */
  promote(targetRegion: string, options: PromoteOptions): Promise<void>;
  /** Planned role swap without data loss: drain, promote `targetRegion`, demote the old writer. */
  switchover(targetRegion: string): Promise<void>;
}

/** What the in-memory backend was asked to do, so tests can assert it. */
export interface BackendAction {
  kind: "promote" | "switchover";
  targetRegion: string;
  allowDataLoss?: boolean;
}

export interface InMemoryBackendOptions {
  /** Regions in order; the first one starts as writer. */
  regions: string[];
  /** Address reported for each region; defaults to 127.0.0.1 with ports 15432, 15433, … */
  endpoints?: Record<string, BackendEndpoint>;
  /** Initial replication lag. */
  lagMs?: number;
  /** How long promote/switchover take, to observe intermediate API states. */
  actionDelayMs?: number;
}

/** A backend with no database: roles, lag and outages are plain fields tests can set. */
export class InMemoryGlobalClusterBackend implements GlobalClusterBackend {
  lagMs: number | undefined;
  actionDelayMs: number;
  /** If set, the next promote/switchover throws this error (once). */
  failNextAction: Error | undefined;
  readonly actions: BackendAction[] = [];
  private writerRegion: string;
  private readonly regions: string[];
  private readonly endpoints: Record<string, BackendEndpoint>;
  private readonly down = new Set<string>();

  constructor(options: InMemoryBackendOptions) {
    const first = options.regions[0];
    if (first === undefined) throw new Error("InMemoryGlobalClusterBackend needs at least one region");
    this.regions = [...options.regions];
    this.writerRegion = first;
    this.lagMs = options.lagMs ?? 0;
    this.actionDelayMs = options.actionDelayMs ?? 0;
    this.endpoints = Object.fromEntries(
      this.regions.map((r, i) => [r, options.endpoints?.[r] ?? { host: "127.0.0.1", port: 15432 + i }]),
    );
  }

  members(): GlobalClusterMember[] {
    return this.regions.map((region) => ({
      region,
      role: region === this.writerRegion ? "writer" : "reader",
      endpoint: this.endpoints[region] ?? { host: "127.0.0.1", port: 0 },
    }));
  }

  async replicationLagMs(): Promise<number | undefined> {
    return this.down.has(this.writerRegion) ? undefined : this.lagMs;
  }

  isRegionDown(region: string): boolean {
    return this.down.has(region);
  }

  setRegionDown(region: string, down: boolean): void {
    if (down) this.down.add(region);
    else this.down.delete(region);
  }

  async promote(targetRegion: string, options: PromoteOptions): Promise<void> {
    this.actions.push({ kind: "promote", targetRegion, allowDataLoss: options.allowDataLoss });
    await this.act(targetRegion);
  }

  async switchover(targetRegion: string): Promise<void> {
    this.actions.push({ kind: "switchover", targetRegion });
    await this.act(targetRegion);
  }

  private async act(targetRegion: string): Promise<void> {
    if (!this.regions.includes(targetRegion)) throw new Error(`no member in ${targetRegion}`);
    if (this.actionDelayMs > 0) await new Promise((r) => setTimeout(r, this.actionDelayMs));
    const failure = this.failNextAction;
    if (failure) {
      this.failNextAction = undefined;
      throw failure;
    }
    this.writerRegion = targetRegion;
  }
}
