import type { DbAddress, PostgresServer } from "./postgres-server.js";

/**
 * Who is what in a PostgresPair: each region's server, its role, and whether it is down
 * or paused. Pure bookkeeping: the pair changes it only after the real operation
 * (promote, fence, stop, …) has succeeded, so it never claims more than is true.
 */

/** `fenced`: a former primary, still up but read-only and no longer the writer. */
export type RegionRole = "primary" | "standby" | "fenced";

export interface RegionState {
  region: string;
  role: RegionRole;
  address: DbAddress;
  /** Stopped by `stopRegion` (or not started yet). */
  down: boolean;
  /** For a standby: replay paused and stream detached (see standby-control.ts). */
  replayPaused: boolean;
}

export interface Member {
  server: PostgresServer;
  state: Omit<RegionState, "address">;
}

export class PairTopology {
  /** The region whose server the writer endpoint points at. */
  writerRegion: string;
  private readonly members: Map<string, Member>;

  constructor(
    readonly regions: readonly [string, string],
    servers: readonly [PostgresServer, PostgresServer],
  ) {
    const [regionA, regionB] = regions;
    this.writerRegion = regionA;
    this.members = new Map([
      [
        regionA,
        { server: servers[0], state: { region: regionA, role: "primary", down: true, replayPaused: false } },
      ],
      [
        regionB,
        { server: servers[1], state: { region: regionB, role: "standby", down: true, replayPaused: false } },
      ],
    ]);
  }

  all(): Member[] {
    return [...this.members.values()];
  }

  member(region: string): Member {
    const member = this.members.get(region);
    if (!member) throw new Error(`unknown region ${region} (known: ${this.regions.join(", ")})`);
    return member;
  }

  writer(): Member {
    return this.member(this.writerRegion);
  }

  standby(): Member | undefined {
    return this.all().find((m) => m.state.role === "standby");
  }

  requireStandby(): Member {
    const standby = this.standby();
    if (!standby) throw new Error("there is no standby");
    return standby;
  }

  other(region: string): Member {
    const other = this.regions.find((r) => r !== region);
    if (other === undefined || !this.regions.includes(region)) throw new Error(`unknown region ${region}`);
    return this.member(other);
  }

  /** Region A writes, region B is its standby (possibly with faults that heal in place). */
  isInitial(): boolean {
    const [regionA, regionB] = this.regions;
    return (
      this.writerRegion === regionA &&
      this.member(regionA).state.role === "primary" &&
      this.member(regionB).state.role === "standby"
    );
  }

  snapshot(): RegionState[] {
    return this.regions.map((region) => {
      const { state, server } = this.member(region);
      return { ...state, address: server.address };
    });
  }
}
