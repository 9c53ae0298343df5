import type { ListenerMode } from "./listener.js";
import type { AlarmStateValue } from "./services/cloudwatch-alarms.js";

/**
 * Game-day faults, as data: the admin API receives them as JSON from another process,
 * the Emulator object applies them directly.
 */
export type FaultRequest =
  | { kind: "regionDown"; region: string; down: boolean }
  | { kind: "arcEndpoint"; index: number; mode: ListenerMode; delayMs?: number }
  | { kind: "throttle"; service: string; rps?: number; operation?: string }
  | { kind: "removeSecret"; region: string; name: string }
  | { kind: "alarmState"; region: string; alarmName: string; state?: AlarmStateValue };

const MODES: readonly string[] = ["up", "down", "blackhole", "slow"];
const STATES: readonly string[] = ["OK", "ALARM", "INSUFFICIENT_DATA"];

/** Checks untrusted JSON; returns the fault or a message saying what is wrong. */
export function parseFault(value: unknown): FaultRequest | string {
  if (typeof value !== "object" || value === null) return "fault must be a JSON object";
  const f = value as Record<string, unknown>;
  const str = (k: string) => typeof f[k] === "string";
  switch (f.kind) {
    case "regionDown":
      return str("region") && typeof f.down === "boolean"
        ? (f as FaultRequest)
        : "regionDown needs region and down";
    case "arcEndpoint":
      return typeof f.index === "number" && MODES.includes(f.mode as string)
        ? (f as FaultRequest)
        : "arcEndpoint needs index and mode (up|down|blackhole|slow)";
    case "throttle":
      return str("service") && (f.rps === undefined || typeof f.rps === "number")
        ? (f as FaultRequest)
        : "throttle needs service and optional rps";
    case "removeSecret":
      return str("region") && str("name") ? (f as FaultRequest) : "removeSecret needs region and name";
    case "alarmState":
      return str("region") &&
        str("alarmName") &&
        (f.state === undefined || STATES.includes(f.state as string))
        ? (f as FaultRequest)
        : "alarmState needs region, alarmName and optional state";
    default:
      return `unknown fault kind ${String(f.kind)}`;
  }
}
