/**
 * The game-day faults `runbook sandbox fault <name> [args…] [--clear]` offers, as data:
 * the CLI lists them in its help and rejects unknown names before contacting anything;
 * the supervisor parses the arguments (it knows the regions, alarms and secrets) and
 * applies them. Parsing is pure: it returns the fault or a message saying what is wrong.
 */

/** Wrong fault arguments: the control API answers 400 and the CLI exits 2. */
export class FaultUsageError extends Error {
  override readonly name = "FaultUsageError";
}

export type ArcEndpointMode = "down" | "blackhole" | "slow" | "up";

export type SandboxFault =
  | { name: "region-down"; region: string }
  | { name: "db-primary-down" }
  | { name: "replication-pause" }
  | { name: "arc-endpoints"; count: number; mode: ArcEndpointMode; delayMs: number }
  | { name: "missing-secret"; secret: string; region: string }
  | { name: "secret-out-of-sync"; secret: string; region: string }
  | { name: "alarm"; alarm: string; state: "ALARM" | "OK" }
  | { name: "throttle"; service: string; rps: number }
  | { name: "capacity-shortage"; region: string }
  | { name: "replication-stall"; region: string }
  | { name: "deny"; action: string; principal: string | undefined };

export type FaultName = SandboxFault["name"];

/** What `--clear` undoes: one instance of a fault, or (no selector) every instance of it. */
export interface FaultClear {
  name: FaultName;
  /** The region, secret, alarm or service to clear; undefined clears them all. */
  selector: string | undefined;
}

export interface FaultContext {
  regions: readonly [string, string];
  alarms: readonly string[];
  secrets: readonly string[];
}

export interface FaultSpec {
  name: FaultName;
  usage: string;
  description: string;
}

export const FAULTS: readonly FaultSpec[] = [
  {
    name: "region-down",
    usage: "region-down <region>",
    description:
      "the region's case-api and database stop, and the emulator drops every call signed for it (ARC endpoints in it too)",
  },
  {
    name: "db-primary-down",
    usage: "db-primary-down",
    description: "the writer's PostgreSQL server is killed (its region's API and app stay up)",
  },
  {
    name: "replication-pause",
    usage: "replication-pause",
    description: "the standby stops receiving and replaying WAL: real, growing replication lag",
  },
  {
    name: "arc-endpoints",
    usage: "arc-endpoints <k> down|blackhole|slow|up [delay-ms]",
    description:
      "the first k of the five ARC cluster endpoints refuse connections, never answer, or answer after delay-ms (default 3000)",
  },
  {
    name: "missing-secret",
    usage: "missing-secret <name> [region]",
    description: "the secret is deleted in the region (default: region B, the recovery region)",
  },
  {
    name: "secret-out-of-sync",
    usage: "secret-out-of-sync <name> [region]",
    description:
      "the secret's replica in the region (default: region B) stops replicating: the primary reports its ReplicationStatus Failed",
  },
  {
    name: "alarm",
    usage: "alarm <name> ALARM|OK",
    description: "the CloudWatch alarm is pinned in that state until cleared",
  },
  {
    name: "throttle",
    usage: "throttle <service> <rps>",
    description:
      "the service (rds, monitoring, route53-recovery-cluster, states, secretsmanager, sts, dynamodb, kms, events, …: its signing name) answers its throttling error above rps requests/s (ThrottlingException, Throttling, SlowDown or TooManyRequestsException, as that service does)",
  },
  {
    name: "capacity-shortage",
    usage: "capacity-shortage <region>",
    description:
      "no compute left in the region: new ECS tasks stay PENDING (unable to place a task), new Auto Scaling instances fail (InsufficientInstanceCapacity)",
  },
  {
    name: "deny",
    usage: "deny <action> [principal]",
    description:
      "an explicit Deny of the IAM action (e.g. rds:FailoverGlobalCluster, or a pattern like rds:Failover*) for the principal (operator, approver, outsider, runbook-arc; default: all of them): SimulatePrincipalPolicy says explicitDeny and the calls get AccessDenied, enforcement on or off",
  },
  {
    name: "replication-stall",
    usage: "replication-stall [bucket-region]",
    description:
      "S3 replication from the region's evidence bucket (default: region A) stops: OperationsPendingReplication grows by 20/s and ReplicationLatency with the oldest pending operation's age",
  },
];

export function isFaultName(name: string): name is FaultName {
  return FAULTS.some((f) => f.name === name);
}

/** The help text's list of faults. */
export function faultHelp(): string {
  const width = Math.max(...FAULTS.map((f) => f.usage.length));
  return FAULTS.map((f) => `  ${f.usage.padEnd(width)}  ${f.description}`).join("\n");
}

const ARC_MODES: readonly string[] = ["down", "blackhole", "slow", "up"];

export function parseFault(name: string, args: readonly string[], ctx: FaultContext): SandboxFault | string {
  if (!isFaultName(name)) return `unknown fault ${name} (one of ${FAULTS.map((f) => f.name).join(", ")})`;
  const usage = `usage: runbook sandbox fault ${FAULTS.find((f) => f.name === name)?.usage}`;
  const [first, second, third] = args;
  switch (name) {
    case "region-down":
    case "capacity-shortage":
      if (args.length !== 1 || first === undefined) return usage;
      if (!ctx.regions.includes(first)) return `unknown region ${first} (one of ${ctx.regions.join(", ")})`;
      return { name, region: first };
    case "replication-stall": {
      if (args.length > 1) return usage;
      const region = first ?? ctx.regions[0];
      if (!ctx.regions.includes(region)) return `unknown region ${region} (one of ${ctx.regions.join(", ")})`;
      return { name, region };
    }
    case "db-primary-down":
    case "replication-pause":
      return args.length === 0 ? { name } : usage;
    case "arc-endpoints": {
      if (args.length < 2 || args.length > 3 || first === undefined || second === undefined) return usage;
      const count = Number(first);
      if (!Number.isInteger(count) || count < 1 || count > 5) return `k must be 1 to 5 (got ${first})`;
      if (!ARC_MODES.includes(second)) return `mode must be down, blackhole, slow or up (got ${second})`;
      const delayMs = third === undefined ? 3_000 : Number(third);
      if (!Number.isFinite(delayMs) || delayMs < 0) return `delay-ms must be a number (got ${third})`;
      return { name, count, mode: second as ArcEndpointMode, delayMs };
    }
    case "missing-secret":
    case "secret-out-of-sync": {
      if (args.length < 1 || args.length > 2 || first === undefined) return usage;
      if (!ctx.secrets.includes(first)) return `unknown secret ${first} (one of ${ctx.secrets.join(", ")})`;
      const region = second ?? ctx.regions[1];
      if (!ctx.regions.includes(region)) return `unknown region ${region} (one of ${ctx.regions.join(", ")})`;
      return { name, secret: first, region };
    }
    case "alarm":
      if (args.length !== 2 || first === undefined || second === undefined) return usage;
      if (!ctx.alarms.includes(first)) return `unknown alarm ${first} (one of ${ctx.alarms.join(", ")})`;
      if (second !== "ALARM" && second !== "OK") return `state must be ALARM or OK (got ${second})`;
      return { name, alarm: first, state: second };
    case "deny":
      if (args.length < 1 || args.length > 2 || first === undefined) return usage;
      if (!/^[a-z0-9-]+:[A-Za-z0-9*?]+$/.test(first))
        return `action must be <service prefix>:<Action> as IAM names it, e.g. rds:FailoverGlobalCluster (got ${first})`;
      return { name, action: first, principal: second };
    case "throttle": {
      if (args.length !== 2 || first === undefined || second === undefined) return usage;
      const rps = Number(second);
      if (!Number.isFinite(rps) || rps < 0) return `rps must be a number ≥ 0 (got ${second})`;
      return { name, service: first, rps };
    }
  }
}

/**
 * `--clear` takes the selector (region, secret, alarm or service) if the fault has one;
 * the rest of the arguments are ignored, so the command that set a fault, repeated with
 * `--clear`, lifts it.
 */
export function parseClear(name: string, args: readonly string[]): FaultClear | string {
  if (!isFaultName(name)) return `unknown fault ${name} (one of ${FAULTS.map((f) => f.name).join(", ")})`;
  const selectable = [
    "region-down",
    "missing-secret",
    "secret-out-of-sync",
    "alarm",
    "throttle",
    "capacity-shortage",
    "replication-stall",
    "deny",
  ].includes(name);
  return { name, selector: selectable ? args[0] : undefined };
}

/** The selector a fault is cleared by (undefined: the fault has a single instance). */
export function faultSelector(fault: SandboxFault): string | undefined {
  switch (fault.name) {
    case "region-down":
    case "capacity-shortage":
    case "replication-stall":
      return fault.region;
    case "missing-secret":
    case "secret-out-of-sync":
      return fault.secret;
    case "alarm":
      return fault.alarm;
    case "throttle":
      return fault.service;
    case "deny":
      return fault.action;
    default:
      return undefined;
  }
}

/** One line saying what a fault does, for status. */
export function describeFault(fault: SandboxFault): string {
  switch (fault.name) {
    case "region-down":
      return `region-down ${fault.region}`;
    case "db-primary-down":
    case "replication-pause":
      return fault.name;
    case "arc-endpoints":
      return `arc-endpoints ${fault.count} ${fault.mode}${fault.mode === "slow" ? ` ${fault.delayMs}ms` : ""}`;
    case "missing-secret":
      return `missing-secret ${fault.secret} in ${fault.region}`;
    case "secret-out-of-sync":
      return `secret-out-of-sync ${fault.secret} in ${fault.region} (replication Failed)`;
    case "alarm":
      return `alarm ${fault.alarm} ${fault.state}`;
    case "throttle":
      return `throttle ${fault.service} ${fault.rps}/s`;
    case "capacity-shortage":
      return `capacity-shortage ${fault.region}`;
    case "replication-stall":
      return `replication-stall ${fault.region} (S3 replication from its evidence bucket stopped)`;
    case "deny":
      return `deny ${fault.action} to ${fault.principal ?? "every sandbox principal"}`;
  }
}
