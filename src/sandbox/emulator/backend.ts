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
 * - `synchronization(region)` is synchronous and cheap too (Describe* calls): `pending-resync`
 *   for a member whose database does not replicate from the writer (a diverged old primary
 *   after a lossy failover), `connected` otherwise (the writer itself included).
 * - `rebuildSecondary(region)` resolves once that region's database is a replica of the
 *   writer again (its own diverged writes are gone); then `synchronization` says `connected`.
 *   The emulator calls it only from CreateDBCluster: removing and deleting the old cluster
 *   never touches the data, so what it lost can be read until the new one is created.
 */

export type ClusterRole = "writer" | "reader";

/** GlobalClusterMember.SynchronizationStatus, as AWS spells it. */
export type SynchronizationStatus = "connected" | "pending-resync";

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
  /** Whether `region`'s database replicates from the writer. */
  synchronization(region: string): SynchronizationStatus;
  /** Re-makes `region`'s database as a replica of the writer (its diverged writes are dropped). */
  rebuildSecondary(region: string): Promise<void>;
}

/** What the in-memory backend was asked to do, so tests can assert it. */
export interface BackendAction {
  kind: "promote" | "switchover" | "rebuild-secondary";
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
  /** How long promote/switchover/rebuildSecondary take, to observe intermediate API states. */
  actionDelayMs?: number;
}

/** A backend with no database: roles, lag and outages are plain fields tests can set. */
export class InMemoryGlobalClusterBackend implements GlobalClusterBackend {
  lagMs: number | undefined;
  actionDelayMs: number;
  /** If set, the next promote/switchover/rebuildSecondary throws this error (once). */
  failNextAction: Error | undefined;
  readonly actions: BackendAction[] = [];
  private writerRegion: string;
  private readonly regions: string[];
  private readonly endpoints: Record<string, BackendEndpoint>;
  private readonly down = new Set<string>();
  /** Regions whose database diverged from the writer (an old primary after a promotion). */
  private readonly diverged = new Set<string>();

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

  /** A promotion leaves the old writer diverged, as a lossy failover does (the Postgres backend fences it). */
  async promote(targetRegion: string, options: PromoteOptions): Promise<void> {
    this.actions.push({ kind: "promote", targetRegion, allowDataLoss: options.allowDataLoss });
    const oldWriter = this.writerRegion;
    await this.act(targetRegion);
    if (oldWriter !== targetRegion) this.diverged.add(oldWriter);
    this.diverged.delete(targetRegion);
  }

  /** A switchover keeps the old writer replicating (Aurora demotes it to a secondary). */
  async switchover(targetRegion: string): Promise<void> {
    this.actions.push({ kind: "switchover", targetRegion });
    await this.act(targetRegion);
    this.diverged.delete(targetRegion);
  }

  synchronization(region: string): SynchronizationStatus {
    return this.diverged.has(region) && region !== this.writerRegion ? "pending-resync" : "connected";
  }

  /** Tests set a diverged member directly, as a fault that happened before they looked. */
  setSynchronization(region: string, status: SynchronizationStatus): void {
    if (status === "pending-resync") this.diverged.add(region);
    else this.diverged.delete(region);
  }

  async rebuildSecondary(region: string): Promise<void> {
    this.actions.push({ kind: "rebuild-secondary", targetRegion: region });
    if (region === this.writerRegion) throw new Error(`${region} is the writer, not a secondary`);
    await this.act(region, () => {
      this.diverged.delete(region);
    });
  }

  private async act(targetRegion: string, effect: () => void = () => this.setWriter(targetRegion)) {
    if (!this.regions.includes(targetRegion)) throw new Error(`no member in ${targetRegion}`);
    if (this.actionDelayMs > 0) await new Promise((r) => setTimeout(r, this.actionDelayMs));
    const failure = this.failNextAction;
    if (failure) {
      this.failNextAction = undefined;
      throw failure;
    }
    effect();
  }

  private setWriter(region: string): void {
    this.writerRegion = region;
  }
}
