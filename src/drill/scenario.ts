import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { UsageError, ValidationError } from "../errors.js";
import { issuesToDiagnostics } from "../language/issues.js";
import { Duration } from "../language/schema.js";
import { keysAt } from "../language/schema-keys.js";
import { SourceMap } from "../language/source-map.js";
import { readSourceText } from "../language/source-text.js";
import { findProject } from "../project/project-config.js";

/**
 * A game-day scenario: what goes wrong in the sandbox before the runbook runs, and what
 * the runbook is expected to do about it. Files in drills/scenarios/<name>.yaml; teams add
 * their own next to the library's.
 */

const Step = z.union([
  z.strictObject({ fault: z.string().min(1), args: z.array(z.string()).optional() }),
  z.strictObject({ wait: Duration }),
]);

export const ScenarioDocument = z.strictObject({
  apiVersion: z.literal("runbook/v1"),
  kind: z.literal("DrillScenario"),
  metadata: z.strictObject({
    name: z.string().regex(/^[a-z][a-z0-9-]*$/),
    description: z.string().optional(),
  }),
  /** The expected outcome unless `--expect` says otherwise. */
  expect: z.enum(["completed", "aborted", "blocked"]),
  /** For `blocked`: steps that must not have started (traffic must not have moved). */
  notStarted: z.array(z.string()).optional(),
  /** Faults applied, in order, before the runbook starts (`runbook sandbox fault --help`). */
  faults: z.array(Step).default([]),
  /** Inputs for the runbook (e.g. a tightened lag budget so the game day takes seconds). */
  inputs: z.record(z.string(), z.string()).optional(),
  /** Kill the engine (SIGKILL) once this step has started, then resume: nothing may happen twice. */
  crashDuring: z.string().optional(),
  /** Client traffic through the edge during the drill (default true). */
  traffic: z.boolean().optional(),
});
export type Scenario = z.infer<typeof ScenarioDocument>;

export function scenarioDir(cwd: string): string {
  return join(findProject(cwd).root, "drills", "scenarios");
}

export function listScenarios(cwd: string): string[] {
  const dir = scenarioDir(cwd);
  return existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => f.endsWith(".yaml"))
        .map((f) => f.slice(0, -5))
        .sort()
    : [];
}

export function loadScenario(name: string, cwd: string): Scenario {
  const file = join(scenarioDir(cwd), `${name}.yaml`);
  if (!existsSync(file)) {
    const known = listScenarios(cwd);
    throw new UsageError(
      `no scenario "${name}"`,
      known.length ? `Scenarios: ${known.join(", ")}` : "Scenarios live in drills/scenarios/<name>.yaml",
    );
  }
  const map = new SourceMap(file, readSourceText(file));
  const parsed = ScenarioDocument.safeParse(map.value(), { reportInput: true });
  if (!parsed.success)
    throw new ValidationError(
      issuesToDiagnostics(parsed.error.issues, map, [], (p) => keysAt(ScenarioDocument, p)),
    );
  if (parsed.data.metadata.name !== name) {
    throw new ValidationError([
      map.diagnostic(["metadata", "name"], `metadata.name must equal the file name "${name}"`),
    ]);
  }
  return parsed.data;
}
