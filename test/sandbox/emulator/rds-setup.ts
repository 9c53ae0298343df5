import { RDSClient } from "@aws-sdk/client-rds";
import { type Emulator, InMemoryGlobalClusterBackend } from "../../../src/sandbox/emulator/index.js";
import { clientConfig, REGION_A, REGION_B, startEmulator } from "./helpers.js";

export const GLOBAL = "case-global";
export const CLUSTER_A = `case-${REGION_A}`;
export const CLUSTER_B = `case-${REGION_B}`;
export const ARN_B = `arn:aws:rds:${REGION_B}:111111111111:cluster:${CLUSTER_B}`;

let emulator: Emulator | undefined;

/** Call from afterEach: each test gets a fresh emulator from setup(). */
export async function closeEmulator(): Promise<void> {
  await emulator?.close();
  emulator = undefined;
}

export async function setup(
  options: { lagMs?: number; actionDelayMs?: number; mode?: "global" | "read-replica" } = {},
) {
  const backend = new InMemoryGlobalClusterBackend({
    regions: [REGION_A, REGION_B],
    endpoints: {
      [REGION_A]: { host: "127.0.0.1", port: 25432 },
      [REGION_B]: { host: "127.0.0.1", port: 25433 },
    },
    lagMs: options.lagMs ?? 50,
    actionDelayMs: options.actionDelayMs ?? 0,
  });
  emulator = await startEmulator({
    backend,
    topology: {
      regions: [REGION_A, REGION_B],
      database: {
        globalClusterIdentifier: GLOBAL,
        clusters: { [REGION_A]: CLUSTER_A, [REGION_B]: CLUSTER_B },
        mode: options.mode ?? "global",
      },
    },
  });
  const url = emulator.url;
  return { backend, emulator, rds: (region = REGION_B) => new RDSClient(clientConfig(url, region)) };
}
