import { dirname } from "node:path";
import { makeStandbyFrom, replicationConninfo } from "./base-backup.js";
import { removeRelocatedData, removeRelocatedDataSync } from "./data-location.js";
import { HeartbeatWriter } from "./heartbeat-writer.js";
import { bootstrapPair, newServerPair, type PairStartTimings } from "./pair-bootstrap.js";
import { type Member, PairTopology, type RegionState } from "./pair-topology.js";
import { stopServerSync } from "./postgres-binaries.js";
import { postmastersFor } from "./postgres-processes.js";
import {
  APP_CREDENTIALS,
  type DbAddress,
  type DbCredentials,
  DEFAULT_CREDENTIALS,
  type PostgresServer,
} from "./postgres-server.js";
import {
  heartbeatRpoMs,
  latestHeartbeatAt,
  replayLagMs as measureReplayLag,
  poll,
  waitForReplayCatchUp,
  waitForStreaming,
} from "./replication-queries.js";
import { pauseReplay, promoteStandby, resumeReplay } from "./standby-control.js";
import { fenceStoppedServer, fenceWrites, unfenceWrites } from "./write-fence.js";

export type { PairStartTimings } from "./pair-bootstrap.js";
export type { RegionRole, RegionState } from "./pair-topology.js";

/**
 * Two real PostgreSQL servers standing in for a two-region database: region A starts as
 * the primary, region B as its streaming standby. Roles change through the operations a
 * failover runbook performs (promote, fence, rebuild), and faults are real (a killed
 * server, a standby that stopped receiving and replaying WAL).
 */

export interface PostgresPairOptions {
  /**
   * Directory holding `pg-a/`, `pg-b/` and their logs; created if missing. When the
   * postgres OS user cannot enter it (a private checkout, as root), they live in a cache
   * folder instead, named by a `postgres-data` symlink here (data-location.ts).
   */
  baseDir: string;
  /** Names of the two regions (default "A" and "B"); the first starts as primary. */
  regions?: [string, string];
  /** Superuser login (administration, replication, heartbeats). */
  credentials?: DbCredentials;
  /** The application's non-superuser login, created at start (default `app`/`sandbox`). */
  appCredentials?: DbCredentials;
  heartbeatIntervalMs?: number;
}

export class PostgresPair {
  readonly baseDir: string;
  readonly regions: readonly [string, string];
  readonly credentials: DbCredentials;
  readonly appCredentials: DbCredentials;
  private readonly heartbeatIntervalMs: number;
  private topo: PairTopology | undefined;
  private heartbeat: HeartbeatWriter | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  /** Stops the servers if the process exits without `stop()`: pg_ctl daemonised them. */
  private readonly exitHook = () => {
    for (const member of this.topo?.all() ?? []) stopServerSync(member.server.dataDir);
    removeRelocatedDataSync(this.baseDir);
  };

  constructor(options: PostgresPairOptions) {
    this.baseDir = options.baseDir;
    this.regions = options.regions ?? ["A", "B"];
    this.credentials = options.credentials ?? DEFAULT_CREDENTIALS;
    this.appCredentials = options.appCredentials ?? APP_CREDENTIALS;
    this.heartbeatIntervalMs = options.heartbeatIntervalMs ?? 100;
  }

  /**
   * Fresh data directories every time: region A initialised and started, B copied from
   * it. Starting again stops the previous servers first (their directories are reused).
   */
  start(): Promise<PairStartTimings> {
    return this.exclusive(async () => {
      await this.stopAll();
      return this.startFresh();
    });
  }

  /**
   * Stops the heartbeat and both servers, and checks with `ps` that nothing is left. Data
   * relocated out of `baseDir` is removed: nothing of a sandbox stays behind in the cache.
   */
  stop(): Promise<void> {
    return this.exclusive(async () => {
      await this.stopAll();
      await removeRelocatedData(this.baseDir);
    });
  }

  /** Where the data directories and logs are: `baseDir`, or the cache folder they were relocated to. */
  dataRoot(): string {
    return dirname(this.started().writer().server.dataDir);
  }

  /**
   * Back to the initial topology (A primary, B streaming standby, no faults). Faults heal
   * in place; after a failover the histories have diverged, so the pair is rebuilt fresh.
   */
  reset(): Promise<void> {
    return this.exclusive(async () => {
      const topo = this.started();
      if (!topo.isInitial()) {
        await this.stopAll();
        await this.startFresh();
        return;
      }
      for (const member of topo.all()) {
        if (member.state.down) await this.startMember(member);
        if (member.state.replayPaused) await this.resumeMember(member);
      }
      await waitForStreaming(topo.writer().server, topo.requireStandby().server.name);
    });
  }

  /** The writer's address (where the writer endpoint points). */
  primary(): DbAddress {
    return this.started().writer().server.address;
  }

  /** The streaming standby's address, if there is one. */
  standby(): DbAddress | undefined {
    return this.started().standby()?.server.address;
  }

  /** The writer's region. */
  writer(): string {
    return this.started().writerRegion;
  }

  address(region: string): DbAddress {
    return this.server(region).address;
  }

  server(region: string): PostgresServer {
    return this.started().member(region).server;
  }

  topology(): RegionState[] {
    return this.started().snapshot();
  }

  isRegionDown(region: string): boolean {
    return this.started().member(region).state.down;
  }

  /**
   * Promotes `region`'s standby with `pg_promote()` and makes it the writer. Does not
   * fence the old primary (a separate runbook step): until `fence`, both accept writes.
   * Returns how long `pg_promote` took (ms).
   */
  promote(region: string): Promise<number> {
    return this.exclusive(async () => {
      const topo = this.started();
      const member = topo.member(region);
      if (member.state.role !== "standby")
        throw new Error(`region ${region} is ${member.state.role}, not a standby`);
      if (member.state.down) throw new Error(`region ${region} is down`);
      // A paused startup process notices a promotion only at its next 1 s wake-up.
      // Resuming first keeps promotion fast and loses nothing more: the stream stays
      // detached, so there is nothing left to replay.
      if (member.state.replayPaused) await member.server.query("SELECT pg_wal_replay_resume()");
      const durationMs = await promoteStandby(member.server);
      await unfenceWrites(member.server); // in case it inherited a fence; a writer must write
      member.state.role = "primary";
      member.state.replayPaused = false;
      topo.writerRegion = region;
      return durationMs;
    });
  }

  /** The old primary stops accepting writes (see write-fence.ts for why read-only). */
  fence(region: string): Promise<void> {
    return this.exclusive(async () => {
      const member = this.started().member(region);
      if (member.state.down) await fenceStoppedServer(member.server);
      else await fenceWrites(member.server);
      member.state.role = "fenced";
    });
  }

  /** Replay lag of the standby behind the writer (ms); undefined when it cannot be measured. */
  async replayLagMs(): Promise<number | undefined> {
    const topo = this.started();
    const writer = topo.writer();
    const standby = topo.standby();
    if (!standby || standby.state.down || writer.state.down) return undefined;
    try {
      return await measureReplayLag(writer.server, standby.server);
    } catch {
      return undefined;
    }
  }

  /** Newest heartbeat visible in `region` (RPO: old primary's last vs the promoted one's). */
  latestHeartbeatAt(region: string): Promise<Date | undefined> {
    return latestHeartbeatAt(this.server(region));
  }

  /**
   * After `promote(newRegion)`: how much of the old primary's history the promoted server
   * lacks, in ms of heartbeats (see replication-queries.ts). The old primary must be up.
   */
  heartbeatRpoMs(oldRegion: string, newRegion: string): Promise<number> {
    return heartbeatRpoMs(this.server(oldRegion), this.server(newRegion));
  }

  /** Replication fault: the standby stops receiving and replaying (see standby-control.ts). */
  pauseReplay(): Promise<void> {
    return this.exclusive(async () => {
      const standby = this.started().requireStandby();
      await pauseReplay(standby.server);
      standby.state.replayPaused = true;
    });
  }

  resumeReplay(): Promise<void> {
    return this.exclusive(async () => this.resumeMember(this.started().requireStandby()));
  }

  /** Region-down fault: the server is killed (`pg_ctl stop -m immediate`), as in a lost region. */
  stopRegion(region: string): Promise<void> {
    return this.exclusive(async () => {
      const member = this.started().member(region);
      await member.server.stop("immediate");
      member.state.down = true;
    });
  }

  /** Brings a region's server back in the role it had (a fenced one comes back fenced). */
  startRegion(region: string): Promise<void> {
    return this.exclusive(async () => this.startMember(this.started().member(region)));
  }

  /** Waits until the standby has replayed everything the writer has written so far. */
  async waitForReplication(timeoutMs = 30_000): Promise<void> {
    const topo = this.started();
    await waitForReplayCatchUp(topo.writer().server, topo.requireStandby().server, timeoutMs);
  }

  /**
   * After a failover: the other region (the old primary, fenced or down) is wiped and
   * re-made as a streaming standby of `fromRegion`, the current writer. Failback needs it.
   */
  rebuildStandby(fromRegion: string): Promise<void> {
    return this.exclusive(async () => {
      const topo = this.started();
      if (fromRegion !== topo.writerRegion) throw new Error(`region ${fromRegion} is not the writer`);
      const source = topo.member(fromRegion);
      const target = topo.other(fromRegion);
      await target.server.stop("fast");
      await makeStandbyFrom(source.server, target.server);
      await target.server.start();
      target.state = { region: target.state.region, role: "standby", down: false, replayPaused: false };
      await waitForStreaming(source.server, target.server.name);
    });
  }

  private async startFresh(): Promise<PairStartTimings> {
    // A rebuild (reset after a failover) keeps the ports: a function deployed with the
    // databases' addresses in its config (runbook deploy) must still reach them.
    const old = this.topo;
    const previous = old
      ? ([old.member(old.regions[0]).server.port, old.member(old.regions[1]).server.port] as const)
      : undefined;
    const [a, b] = await newServerPair(this.baseDir, this.credentials, previous);
    const topo = new PairTopology(this.regions, [a, b]);
    this.topo = topo;
    process.on("exit", this.exitHook);
    const timings = await bootstrapPair(a, b, this.appCredentials);
    for (const member of topo.all()) member.state.down = false;
    this.heartbeat = new HeartbeatWriter(
      () => topo.writer().server.address,
      this.credentials,
      this.heartbeatIntervalMs,
    );
    this.heartbeat.start();
    // Lag and lost writes are measured in heartbeats: a replication fault applied right after
    // a (re)start must find the standby holding some, or it would measure nothing.
    const heartbeat = this.heartbeat;
    await poll("a first heartbeat", 10_000, async () => heartbeat.stats().written > 0);
    await waitForReplayCatchUp(topo.writer().server, topo.requireStandby().server);
    return timings;
  }

  private async stopAll(): Promise<void> {
    await this.heartbeat?.stop();
    this.heartbeat = undefined;
    const members = this.topo?.all() ?? [];
    await Promise.all(members.map((m) => m.server.stop("fast")));
    for (const member of members) {
      member.state.down = true;
      const left = await postmastersFor(member.server.dataDir);
      if (left.length > 0)
        throw new Error(`postgres still running for ${member.server.dataDir}: pid ${left[0]?.pid}`);
    }
    process.off("exit", this.exitHook);
  }

  private async startMember(member: Member): Promise<void> {
    if (!member.state.down) return;
    await member.server.start();
    member.state.down = false;
    // A restart forgets a replay pause; the detached stream (in the config) persists.
    if (member.state.role === "standby" && member.state.replayPaused) {
      await member.server.query("SELECT pg_wal_replay_pause()");
    }
  }

  private async resumeMember(member: Member): Promise<void> {
    const writer = this.started().writer();
    await resumeReplay(member.server, replicationConninfo(writer.server, member.server.name));
    member.state.replayPaused = false;
  }

  private started(): PairTopology {
    if (!this.topo) throw new Error("the PostgresPair has not been started");
    return this.topo;
  }

  /** Topology changes run one at a time, in call order. */
  private exclusive<T>(operation: () => Promise<T>): Promise<T> {
    const result = this.queue.then(operation, operation);
    this.queue = result.catch(() => {});
    return result;
  }
}
