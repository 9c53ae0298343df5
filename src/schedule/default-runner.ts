import type { DrillRunner } from "../drill/drill-types.js";
import { ExitCode, RunbookError } from "../errors.js";

/**
 * The one place the scheduler meets the real drill runner (`src/drill/run-drill.ts`). It is
 * loaded on the first fire, not at start-up, so a scheduler whose drills are days away
 * starts (and stops) without loading the engine. The module may offer
 * `createDrillRunner(options)` or `runDrill(request, stop[, options])`; both are accepted.
 */

export class DrillRunnerUnavailableError extends RunbookError {
  readonly exitCode = ExitCode.failed;
}

/** What the drill runner needs from the command: where it runs, and where its log goes. */
export interface DrillContext {
  cwd: string;
  env: Record<string, string | undefined>;
  cliPath?: string;
  log?: (line: string) => void;
}

interface RunDrillModule {
  createDrillRunner?: (options: DrillContext) => DrillRunner;
  runDrill?: (
    ...args: Parameters<DrillRunner> | [...Parameters<DrillRunner>, DrillContext]
  ) => ReturnType<DrillRunner>;
}

// Until src/drill/run-drill.ts is committed the specifier is a variable, out of the bundler's
// and the compiler's sight. Once it is, this line becomes:
//   const load = (): Promise<RunDrillModule> => import("../drill/run-drill.js");
const RUN_DRILL_MODULE = "../drill/run-drill.js";
const load = (): Promise<RunDrillModule> => import(RUN_DRILL_MODULE);

async function loadRunner(context: DrillContext): Promise<DrillRunner> {
  let mod: RunDrillModule;
  try {
    mod = await load();
  } catch (error) {
    throw new DrillRunnerUnavailableError(`the drill runner is not available: ${(error as Error).message}`);
  }
  if (typeof mod.createDrillRunner === "function") return mod.createDrillRunner(context);
  const runDrill = mod.runDrill;
  if (typeof runDrill === "function") return (request, stop) => runDrill(request, stop, context);
  throw new DrillRunnerUnavailableError(
    "the drill runner module exports neither createDrillRunner nor runDrill",
  );
}

/** A DrillRunner that loads the real one when first called (and again after a failed load). */
export function defaultRunner(context: DrillContext): DrillRunner {
  let loaded: Promise<DrillRunner> | undefined;
  return async (request, stop) => {
    loaded ??= loadRunner(context).catch((error) => {
      loaded = undefined;
      throw error;
    });
    return (await loaded)(request, stop);
  };
}
