import type { DrillRunner } from "../drill/drill-types.js";
import { ExitCode, RunbookError } from "../errors.js";

/**
 * The one place the scheduler meets the real drill runner (`src/drill/run-drill.ts`, which
 * exports `runDrill: DrillRunner`). It is loaded on the first fire, not at start-up, so a
 * scheduler whose drills are days away starts (and stops) without loading the engine.
 */

export class DrillRunnerUnavailableError extends RunbookError {
  readonly exitCode = ExitCode.failed;
}

// Until src/drill/run-drill.ts exists the specifier is a variable, out of the bundler's and
// the compiler's sight. When it lands, this line becomes:
//   const load = (): Promise<{ runDrill?: DrillRunner }> => import("../drill/run-drill.js");
const RUN_DRILL_MODULE = "../drill/run-drill.js";
const load = (): Promise<{ runDrill?: DrillRunner }> => import(RUN_DRILL_MODULE);

let loaded: Promise<DrillRunner> | undefined;

export function loadDefaultRunner(): Promise<DrillRunner> {
  loaded ??= load().then(
    (mod) => {
      if (typeof mod.runDrill !== "function")
        throw new DrillRunnerUnavailableError("the drill runner module does not export runDrill");
      return mod.runDrill;
    },
    (error: Error) => {
      loaded = undefined;
      throw new DrillRunnerUnavailableError(`the drill runner is not available: ${error.message}`);
    },
  );
  return loaded;
}

/** A DrillRunner that loads the real one when first called. */
export const defaultRunner: DrillRunner = async (request, stop) => (await loadDefaultRunner())(request, stop);
