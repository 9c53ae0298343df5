import type {
  GlobalClusterBackend,
  GlobalClusterMember,
  PromoteOptions,
  SynchronizationStatus,
} from "../emulator/backend.js";
import type { PostgresPair } from "./postgres-pair.js";

/**
 * The emulated Aurora global cluster's data plane, backed by a real PostgresPair: the
 * writer endpoint is a real server, the lag is measured replay lag, and a promotion with
 * data loss loses exactly the writes the standby had not received.
 */
export class PostgresGlobalClusterBackend implements GlobalClusterBackend {
  constructor(
    private readonly pair: PostgresPair,
    private readonly options: { catchUpTimeoutMs?: number } = {},
  ) {}

  members(): GlobalClusterMember[] {
    const writer = this.pair.writer();
    return this.pair.topology().map((member) => ({
      region: member.region,
      role: member.region === writer ? "writer" : "reader",
      endpoint: member.address,
    }));
  }

  replicationLagMs(): Promise<number | undefined> {
    return this.pair.replayLagMs();
  }

  isRegionDown(region: string): boolean {
    return this.pair.isRegionDown(region);
  }

  /**
   * Unplanned failover. The old primary is fenced first when it can be reached (so no
   * write lands on it after the standby's history forks), or fenced in its configuration
   * when its region is down (so it comes back read-only, never as a second writer).
   * With `allowDataLoss: false` the standby must first replay everything the fenced
   * primary wrote; a paused replay is resumed for that, and a standby that cannot catch
   * up within the timeout makes the call fail rather than lose data.
   */
  async promote(targetRegion: string, options: PromoteOptions): Promise<void> {
    const oldWriter = this.pair.writer();
    if (targetRegion === oldWriter) return;
    this.requireStandby(targetRegion);
    const oldWriterDown = this.pair.isRegionDown(oldWriter);
    if (!options.allowDataLoss && oldWriterDown) {
      throw new Error(
        `the writer region ${oldWriter} is down: only a failover that allows data loss is possible`,
      );
    }
    await this.pair.fence(oldWriter);
    if (!options.allowDataLoss) await this.drainInto(targetRegion);
    await this.pair.promote(targetRegion);
  }

  /**
   * Planned role swap: fence the writer, let the standby replay everything, promote it,
   * then rebuild the old writer as a streaming standby of the new one, so the cluster
   * keeps two members in replication as Aurora's switchover does.
   */
  async switchover(targetRegion: string): Promise<void> {
    const oldWriter = this.pair.writer();
    if (targetRegion === oldWriter) return;
    this.requireStandby(targetRegion);
    if (this.pair.isRegionDown(oldWriter)) throw new Error(`the writer region ${oldWriter} is down`);
    await this.pair.fence(oldWriter);
    await this.drainInto(targetRegion);
    await this.pair.promote(targetRegion);
    await this.pair.rebuildStandby(targetRegion);
  }

  /**
   * A fenced member is a former primary that no longer replicates: after a lossy failover
   * its history forked from the writer's (diverged), whether it is up or down.
   */
  synchronization(region: string): SynchronizationStatus {
    const member = this.pair.topology().find((m) => m.region === region);
    return member?.role === "fenced" ? "pending-resync" : "connected";
  }

  /**
   * Re-joins `region` as a streaming standby of the writer: its data directory is re-made
   * from the writer's (PostgresPair.rebuildStandby), so the writes only it had are gone. The
   * emulator calls this only from CreateDBCluster, after reconciliation had its chance.
   */
  async rebuildSecondary(region: string): Promise<void> {
    const writer = this.pair.writer();
    if (region === writer) throw new Error(`${region} is the writer, not a secondary`);
    if (!this.pair.topology().some((m) => m.region === region)) throw new Error(`no member in ${region}`);
    await this.pair.rebuildStandby(writer);
  }

  private async drainInto(targetRegion: string): Promise<void> {
    const target = this.pair.topology().find((m) => m.region === targetRegion);
    if (target?.replayPaused) await this.pair.resumeReplay();
    await this.pair.waitForReplication(this.options.catchUpTimeoutMs ?? 30_000);
  }

  private requireStandby(region: string): void {
    const member = this.pair.topology().find((m) => m.region === region);
    if (!member) throw new Error(`no member in ${region}`);
    if (member.role !== "standby")
      throw new Error(`the member in ${region} is ${member.role}, not a standby`);
    if (member.down) throw new Error(`the member in ${region} is down`);
  }
}
