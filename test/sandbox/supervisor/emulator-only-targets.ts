import type { Emulator, EmulatorTopology } from "../../../src/sandbox/emulator/index.js";
import type { PostgresPair } from "../../../src/sandbox/postgres/postgres-pair.js";
import type { FaultTargets } from "../../../src/sandbox/supervisor/fault-effects.js";

/**
 * Fault targets for a fault that acts on the emulator only: touching the databases or an
 * app throws, naming the fault, so a test proves it leaves them alone.
 */
export function emulatorOnlyTargets(
  emulator: Emulator,
  topology: EmulatorTopology,
  fault: string,
): FaultTargets {
  const untouchable = new Proxy(
    {},
    {
      get: (_, key) => {
        throw new Error(`${fault} touched the ${String(key)} of the databases`);
      },
    },
  ) as PostgresPair;
  return {
    emulator,
    pair: untouchable,
    caseApi: () => {
      throw new Error(`${fault} touched a case-api`);
    },
    topology,
  };
}
