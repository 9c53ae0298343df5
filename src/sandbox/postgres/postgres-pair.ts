import { chmod, mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { makeStandbyFrom, replicationConninfo } from "./base-backup.js";
import { freeLoopbackPort } from "./free-port.js";
import { HEARTBEAT_SCHEMA_SQL, HeartbeatWriter } from "./heartbeat-writer.js";
import { postmastersFor } from "./postgres-processes.js";
import {
  type DbAddress,
  type DbCredentials,
  DEFAULT_CREDENTIALS,
  PostgresServer,
} from "./postgres-server.js";
import {
  latestHeartbeatAt,
  replayLagMs as measureReplayLag,
  waitForReplayCatchUp,
  waitForStreaming,
} from "./replication-queries.js";
import { pauseReplay, promoteStandby, resumeReplay } from "./standby-control.js";
import { fenceStoppedServer, fenceWrites, unfenceWrites } from "./write-fence.js";

/**
 * Two real PostgreSQL servers standing in for a two-region database: "region A" starts
 * as the primary, "region B" as its streaming standby. Roles change through the same
 * operations a failover runbook performs (promote, fence, rebuild), and faults are real
 * (a stopped server, a standby that stopped replaying).
 */

/** A former primary after `fence`: up, read-only, no longer the writer. */
export type RegionRole = "primary" | "standby" | "fenced";

export interface RegionState {
  region: string;
  role: RegionRole;
  address: DbAddress;
  /** Stopped by `stopRegion` (or never started). */
  down: boolean;
  /** For a standby: replay paused and stream detached (see standby-control.ts). */
  replayPaused: boolean;
}

export interface PostgresPairOptions {
  /** Directory holding `pg-a/`, `pg-b/` and their logs; created if missing. */
  baseDir: string;
  /** Names of the two regions (default "A" and "B"); the first starts as primary. */
  regions?: [string, string];
  credentials?: DbCredentials;
  heartbeatIntervalMs?: number;
}

/** How long `start()` took, by phase (ms). */
export interface PairStartTimings {
  initialiseMs: number;
  primaryStartMs: number;
  baseBackupMs: number;
  standbyStartMs: number;
  streamingMs: number;
  totalMs: number;
}

interface Member {
  server: PostgresServer;
  state: Omit<RegionState, "address">;
}

export class PostgresPair {
  readonly baseDir: string;
  readonly regions: readonly [string, string];
  readonly credentials: DbCredentials;
  private readonly heartbeatIntervalMs: number;
  private members = new Map<string, Member>();
  private writerRegion: string;
  private heartbeat: HeartbeatWriter | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(options: PostgresPairOptions) {
    this.baseDir = options.baseDir;
    this.regions = options.regions ?? ["A", "B"];
    this.credentials = options.credentials ?? DEFAULT_CREDENTIALS;
    this.heartbeatIntervalMs = options.heartbeatIntervalMs ?? 100;
    this.writerRegion = this.regions[0];
  }

  /** Fresh data directories every time: region A initialised and started, B copied from it. */
  start(): Promise<PairStartTimings> {
    return this.exclusive(() => this.startFresh());
  }

  /** Stops the heartbeat and both servers, and checks with `ps` that nothing is left. */
  stop(): Promise<void> {
    return this.exclusive(() => this.stopAll());
  }

  /** Back to the initial topology (A primary, B streaming standby, no faults). */
  reset(): Promise<void> {
    return this.exclusive(async () => {
      if (this.isInitialTopology()) {
        for (const region of this.regions) {
          const member = this.member(region);
          if (member.state.down) await this.startMember(member);
          if (member.state.replayPaused) await this.resumeMember(member);
        }
        await waitForStreaming(this.member(this.regions[0]).server, this.member(this.regions[1]).server.name);
        return;
      }
      // A failover diverged the two histories: rebuild from scratch rather than pretend.
      await this.stopAll();
      await this.startFresh();
    });
  }

  /** The writer's address (where the writer endpoint points). */
  primary(): DbAddress {
    return this.member(this.writerRegion).server.address;
  }

  /** The streaming standby's address, if there is one. */
  standby(): DbAddress | undefined {
    const standby = this.standbyMember();
    return standby?.server.address;
  }

  writer(): string {
    return this.writerRegion;
  }

  address(region: string): DbAddress {
    return this.member(region).server.address;
  }

  server(region: string): PostgresServer {
    return this.member(region).server;
  }

  topology(): RegionState[] {
    return this.regions.map((region) => {
      const member = this.member(region);
      return { ...member.state, address: member.server.address };
    });
  }

  isRegionDown(region: string): boolean {
    return this.member(region).state.down;
  }

  /**
   * Promotes `region`'s standby with `pg_promote()` and makes it the writer. Does not
   * fence the old primary (a separate runbook step): until `fence`, both accept writes.
   * Returns how long the promotion took (ms).
   */
  promote(region: string): Promise<number> {
    return this.exclusive(async () => {
      const member = this.member(region);
      if (member.state.role !== "standby")
        throw new Error(`region ${region} is ${member.state.role}, not a standby`);
      if (member.state.down) throw new Error(`region ${region} is down`);
      // A paused startup process notices the promotion only on its next 1 s wake-up;
      // resuming first keeps promotion fast and loses nothing more: the stream stays
      // detached, so there is no WAL left to replay.
      if (member.state.replayPaused) await member.server.query("SELECT pg_wal_replay_resume()");
      const durationMs = await promoteStandby(member.server);
      // The fence belongs to the old role; a writer must accept writes.
      await unfenceWrites(member.server);
      member.state.role = "primary";
      member.state.replayPaused = false;
      this.writerRegion = region;
      return durationMs;
    });
  }

  /** The old primary stops accepting writes (see write-fence.ts for why read-only). */
  fence(region: string): Promise<void> {
    return this.exclusive(async () => {
      const member = this.member(region);
      if (member.state.down) await fenceStoppedServer(member.server);
      else await fenceWrites(member.server);
      member.state.role = "fenced";
    });
  }

  /** Replay lag of the standby behind the writer (ms); undefined when it cannot be measured. */
  async replayLagMs(): Promise<number | undefined> {
    const writer = this.member(this.writerRegion);
    const standby = this.standbyMember();
    if (!standby || standby.state.down || writer.state.down) return undefined;
    try {
      return await measureReplayLag(writer.server, standby.server);
    } catch {
      return undefined;
    }
  }

  /** Newest heartbeat visible in `region` (for RPO: old primary's last vs promoted's last). */
  latestHeartbeatAt(region: string): Promise<Date | undefined> {
    return latestHeartbeatAt(this.member(region).server);
  }

  pauseReplay(): Promise<void> {
    return this.exclusive(async () => {
      const standby = this.requireStandby();
      await pauseReplay(standby.server);
      standby.state.replayPaused = true;
    });
  }

  resumeReplay(): Promise<void> {
    return this.exclusive(async () => this.resumeMember(this.requireStandby()));
  }

  /** Region-down fault: the server is killed (`pg_ctl stop -m immediate`), like a lost region. */
  stopRegion(region: string): Promise<void> {
    return this.exclusive(async () => {
      const member = this.member(region);
      await member.server.stop("immediate");
      member.state.down = true;
    });
  }

  startRegion(region: string): Promise<void> {
    return this.exclusive(async () => this.startMember(this.member(region)));
  }

  /** Waits until the standby has replayed everything the writer has written so far. */
  async waitForReplication(timeoutMs = 30_000): Promise<void> {
    const standby = this.requireStandby();
    await waitForReplayCatchUp(this.member(this.writerRegion).server, standby.server, timeoutMs);
  }

  /**
   * After a failover: the other region (the old primary, fenced or down) is wiped and
   * re-made as a streaming standby of `fromRegion`, the current writer. Failback needs it.
   */
  rebuildStandby(fromRegion: string): Promise<void> {
    return this.exclusive(async () => {
      const source = this.member(fromRegion);
      if (fromRegion !== this.writerRegion) throw new Error(`region ${fromRegion} is not the writer`);
      const target = this.member(this.otherRegion(fromRegion));
      await target.server.stop("fast");
      await makeStandbyFrom(source.server, target.server);
      await target.server.start();
      target.state = { region: target.state.region, role: "standby", down: false, replayPaused: false };
      await waitForStreaming(source.server, target.server.name);
    });
  }

  private async startFresh(): Promise<PairStartTimings> {
    const t0 = performance.now();
    await mkdir(this.baseDir, { recursive: true });
    // The servers run as the `postgres` OS user, which must be able to enter baseDir.
    await chmod(this.baseDir, 0o755);
    const [regionA, regionB] = this.regions;
    const [portA, portB] = await Promise.all([freeLoopbackPort(), freeLoopbackPort()]);
    const a = this.newServer("pg-a", portA);
    const b = this.newServer("pg-b", portB === portA ? await freeLoopbackPort() : portB);
    this.members = new Map([
      [regionA, { server: a, state: { region: regionA, role: "primary", down: true, replayPaused: false } }],
      [regionB, { server: b, state: { region: regionB, role: "standby", down: true, replayPaused: false } }],
    ]);
    this.writerRegion = regionA;
    await Promise.all([
      rm(a.dataDir, { recursive: true, force: true }),
      rm(b.dataDir, { recursive: true, force: true }),
    ]);

    await a.initialise();
    const t1 = performance.now();
    await a.start();
    this.member(regionA).state.down = false;
    await a.query(HEARTBEAT_SCHEMA_SQL);
    const t2 = performance.now();
    await makeStandbyFrom(a, b);
    const t3 = performance.now();
    await b.start();
    this.member(regionB).state.down = false;
    const t4 = performance.now();
    await waitForStreaming(a, b.name);
    const t5 = performance.now();

    this.heartbeat = new HeartbeatWriter(
      () => this.member(this.writerRegion).server.address,
      this.credentials,
      this.heartbeatIntervalMs,
    );
    this.heartbeat.start();
    return {
      initialiseMs: Math.round(t1 - t0),
      primaryStartMs: Math.round(t2 - t1),
      baseBackupMs: Math.round(t3 - t2),
      standbyStartMs: Math.round(t4 - t3),
      streamingMs: Math.round(t5 - t4),
      totalMs: Math.round(performance.now() - t0),
    };
  }

  private async stopAll(): Promise<void> {
    await this.heartbeat?.stop();
    this.heartbeat = undefined;
    await Promise.all([...this.members.values()].map((m) => m.server.stop("fast")));
    for (const member of this.members.values()) {
      member.state.down = true;
      const left = await postmastersFor(member.server.dataDir);
      if (left.length > 0)
        throw new Error(`postgres still running for ${member.server.dataDir}: pid ${left[0]?.pid}`);
    }
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
    const writer = this.member(this.writerRegion);
    await resumeReplay(member.server, replicationConninfo(writer.server, member.server.name));
    member.state.replayPaused = false;
  }

  private isInitialTopology(): boolean {
    const [regionA, regionB] = this.regions;
    return (
      this.members.size === 2 &&
      this.writerRegion === regionA &&
      this.member(regionA).state.role === "primary" &&
      this.member(regionB).state.role === "standby"
    );
  }

  private newServer(name: string, port: number): PostgresServer {
    return new PostgresServer({
      name,
      dataDir: join(this.baseDir, name),
      logFile: join(this.baseDir, `${name}.log`),
      port,
      credentials: this.credentials,
    });
  }

  private member(region: string): Member {
    const member = this.members.get(region);
    if (!member)
      throw new Error(`unknown region ${region} (known: ${this.regions.join(", ")}); is the pair started?`);
    return member;
  }

  private standbyMember(): Member | undefined {
    return [...this.members.values()].find((m) => m.state.role === "standby");
  }

  private requireStandby(): Member {
    const standby = this.standbyMember();
    if (!standby) throw new Error("there is no standby");
    return standby;
  }

  private otherRegion(region: string): string {
    const other = this.regions.find((r) => r !== region);
    if (other === undefined || !this.regions.includes(region)) throw new Error(`unknown region ${region}`);
    return other;
  }

  /** Topology changes run one at a time, in call order. */
  private exclusive<T>(operation: () => Promise<T>): Promise<T> {
    const result = this.queue.then(operation, operation);
    this.queue = result.catch(() => {});
    return result;
  }
}
