import type { DrillRunner } from "../drill/drill-types.js";
import { ExitCode, RunbookError } from "../errors.js";

/**
 * The one place the scheduler meets the real drill runner (`src/drill/run-drill.ts`). It is
 * loaded on the first fire, not at start-up, so a scheduler whose drills are days away
 * starts (and stops) without loading the engine, the sandbox client or the SDK.
 */

export class DrillRunnerUnavailableError extends RunbookError {
  readonly exitCode = ExitCode.failed;
}

/** What the drill runner needs from the command: where it runs, and where its log goes. */
export interface DrillContext {
  cwd: string;
  env: Record<string, string | undefined>;
  /** The CLI's entry file: the drill runner starts the sandbox as a process of it. */
  cliPath?: string;
  log?: (line: string) => void;
}

const load = () => import("../drill/run-drill.js");

async function loadRunner(context: DrillContext): Promise<DrillRunner> {
  let mod: Awaited<ReturnType<typeof load>>;
  try {
    mod = await load();
  } catch (error) {
    throw new DrillRunnerUnavailableError(`the drill runner cannot be loaded: ${(error as Error).message}`);
  }
  return mod.createDrillRunner(context);
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
