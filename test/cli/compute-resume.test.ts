import { existsSync } from "node:fs";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createEmulator, defaultTopology, type Emulator } from "../../src/sandbox/emulator/index.js";
import { EMULATOR_CREDENTIALS, emulatorProject, runUntilKilled } from "./emulator-project.js";
import { CLI, journalLines, runCli } from "./harness.js";

/**
 * The real CLI scaling the recovery region's compute against an emulator in this process,
 * SIGKILLed while it waits for the tasks (or instances) to come up: the resume finds the
 * count already set and only waits, so the emulator saw exactly one UpdateService (and one
 * UpdateAutoScalingGroup).
 */

const REGION = "us-west-2";
const RUNBOOK = `apiVersion: runbook/v1
kind: Runbook
metadata:
  name: scale-recovery
  description: Scale the recovery region's compute before traffic moves there
  environment: sandbox
steps:
  - id: scale-api
    type: ecs.scale-service
    with: { region: ${REGION}, cluster: case, service: case-api, desiredCount: 6 }
  - id: scale-workers
    type: autoscaling.set-capacity
    with: { region: ${REGION}, group: case-workers-${REGION}, min: 2, desired: 4 }
`;

describe("SIGKILL while scaling compute, then resume", () => {
  let emulator: Emulator;

  beforeAll(async () => {
    if (!existsSync(CLI)) throw new Error("dist/cli.js is missing: run `npm run build` (npm test does it)");
    const topology = defaultTopology();
    // Slow enough to be killed mid-wait: 5 tasks 500 ms apart, instances 3 s to InService.
    if (topology.ecs) topology.ecs.taskStartMs = 500;
    if (topology.autoScaling) topology.autoScaling.instanceStartMs = 3_000;
    emulator = await createEmulator({ topology, evaluationIntervalMs: 100_000 });
  });
  beforeEach(() => {
    emulator.compute.reset();
    emulator.clearCalls();
  });
  afterAll(() => emulator?.close());

  const workdir = () => emulatorProject("compute", emulator.url, REGION, { "scale-recovery": RUNBOOK });
  const mutating = (operation: string) => emulator.mutatingCalls().filter((c) => c.operation === operation);
  /** Killed once `stepId` has started and its one mutating call reached the emulator: mid-wait. */
  const killWhen = (cwd: string, stepId: string, operation: string) =>
    runUntilKilled(
      cwd,
      "scale-recovery",
      (journal) =>
        journal.some((e) => e.type === "step.intent" && e.stepId === stepId) &&
        mutating(operation).length === 1,
      `${operation} sent by ${stepId}`,
    );

  async function resumeToTheEnd(cwd: string, id: string): Promise<void> {
    const resumed = await runCli(["resume", id, "--json"], cwd, EMULATOR_CREDENTIALS);
    expect(resumed.stderr).toBe("");
    expect(resumed.code).toBe(0);
    const types = journalLines(cwd, id).map((e) => e.type);
    expect(types).toContain("execution.resumed");
    expect(types.at(-1)).toBe("execution.completed");
  }

  it("killed while ECS tasks start: one UpdateService, and the service ends at 6/6", async () => {
    const cwd = workdir();
    const id = await killWhen(cwd, "scale-api", "UpdateService");
    const service = emulator.compute.summary().ecs.find((s) => s.region === REGION);
    // Killed mid-wait: the count was set, the tasks were still starting.
    expect(service?.desired).toBe(6);
    expect(service?.running).toBeLessThan(6);

    await resumeToTheEnd(cwd, id);
    expect(mutating("UpdateService")).toHaveLength(1);
    expect(mutating("UpdateAutoScalingGroup")).toHaveLength(1);
    const after = emulator.compute.summary();
    expect(after.ecs.find((s) => s.region === REGION)).toMatchObject({
      desired: 6,
      running: 6,
      rolloutState: "COMPLETED",
    });
    expect(after.autoScaling.find((g) => g.region === REGION)).toMatchObject({
      min: 2,
      desired: 4,
      inService: 4,
    });
    const checked = journalLines(cwd, id).filter(
      (e) => e.type === "step.checked" && e.stepId === "scale-api",
    );
    // The resume asked check first: not in place (only the wait was left), so run, which only waited.
    expect(checked.map((e) => (e as { data?: { inPlace?: boolean } }).data?.inPlace)).toEqual([false]);
  }, 60_000);

  it("killed while instances launch: one UpdateAutoScalingGroup", async () => {
    const cwd = workdir();
    const id = await killWhen(cwd, "scale-workers", "UpdateAutoScalingGroup");
    expect(emulator.compute.summary().autoScaling.find((g) => g.region === REGION)).toMatchObject({
      desired: 4,
      inService: 1,
      pending: 3,
    });
    await resumeToTheEnd(cwd, id);
    expect(mutating("UpdateService")).toHaveLength(1);
    expect(mutating("UpdateAutoScalingGroup")).toHaveLength(1);
    expect(emulator.compute.summary().autoScaling.find((g) => g.region === REGION)).toMatchObject({
      inService: 4,
    });
  }, 60_000);
});
