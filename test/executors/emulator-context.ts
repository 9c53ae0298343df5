import { afterAll, beforeAll } from "vitest";
import {
  createEmulator,
  defaultTopology,
  type Emulator,
  type EmulatorTopology,
} from "../../src/sandbox/emulator/index.js";
import { contextFor } from "./context.js";

/**
 * An emulator (the default topology, changed by `adjust`) and a real executor context
 * pointed at it, for the tests of a file: started before them, closed after. Read both
 * from the returned object inside the tests, once `beforeAll` has run.
 */
export function emulatorWithContext(adjust: (topology: EmulatorTopology) => void = () => {}): {
  emulator: Emulator;
  env: ReturnType<typeof contextFor>;
} {
  const held = {} as { emulator: Emulator; env: ReturnType<typeof contextFor> };
  beforeAll(async () => {
    const topology = defaultTopology();
    adjust(topology);
    held.emulator = await createEmulator({ topology, evaluationIntervalMs: 100_000 });
    held.env = contextFor(held.emulator.url);
  });
  afterAll(async () => {
    held.env?.destroy();
    await held.emulator?.close();
  });
  return held;
}
