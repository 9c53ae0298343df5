import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEmulator, defaultTopology, type Emulator } from "../../src/sandbox/emulator/index.js";
import { EMULATOR_CREDENTIALS, emulatorProject, runUntilKilled } from "./emulator-project.js";
import { CLI, journalLines, runCli } from "./harness.js";

/**
 * The real CLI moving a one-region job (the outbox relay's queue mappings) against an
 * emulator in this process, SIGKILLed while the recovery region's mappings are Enabling: the
 * resume finds them moving toward Enabled and only waits, so the emulator saw exactly one
 * UpdateEventSourceMapping per mapping.
 */

const A = "us-east-1";
const B = "us-west-2";
const ACCOUNT = "111111111111";
const RUNBOOK = `apiVersion: runbook/v1
kind: Runbook
metadata:
  name: move-outbox
  description: The outbox relay runs in the recovery region only
  environment: sandbox
steps:
  - id: stop-primary-outbox
    type: lambda.event-source-mappings
    with: { region: ${A}, functionName: case-outbox-${A}, enabled: false }
  - id: start-recovery-outbox
    type: lambda.event-source-mappings
    with: { region: ${B}, functionName: case-outbox-${B}, enabled: true }
`;

describe("SIGKILL while event source mappings are Enabling, then resume", () => {
  let emulator: Emulator;

  beforeAll(async () => {
    if (!existsSync(CLI)) throw new Error("dist/cli.js is missing: run `npm run build` (npm test does it)");
    const topology = defaultTopology();
    const recovery = topology.lambda?.functions.find((f) => f.region === B);
    // Two mappings in the recovery region, and changes slow enough to be killed mid-wait.
    recovery?.eventSources.push({
      eventSourceArn: `arn:aws:sqs:${B}:${ACCOUNT}:case-outbox-retry`,
      enabled: false,
    });
    if (topology.lambda) topology.lambda.mappingTransitionMs = 4_000;
    emulator = await createEmulator({ topology, evaluationIntervalMs: 100_000 });
  });
  afterAll(() => emulator?.close());

  const updatesIn = (region: string) =>
    emulator
      .mutatingCalls()
      .filter((c) => c.operation === "UpdateEventSourceMapping" && c.region === region)
      .map((c) => (c.params as { UUID: string }).UUID);
  const statesIn = (fn: string) => emulator.lambda.status()[fn]?.mappings.map((m) => m.state);

  it("one UpdateEventSourceMapping per mapping in the emulator's call log; every mapping ends where it should", async () => {
    const cwd = emulatorProject("lambda", emulator.url, B, { "move-outbox": RUNBOOK });
    const plan = await runCli(["plan", "move-outbox", "--env", "emulator"], cwd, EMULATOR_CREDENTIALS);
    expect(plan.code).toBe(0);
    expect(plan.stdout).toContain(
      `Lambda UpdateEventSourceMapping Enabled=true for the mappings of case-outbox-${B}`,
    );

    const id = await runUntilKilled(
      cwd,
      "move-outbox",
      (journal) =>
        journal.some((e) => e.type === "step.intent" && e.stepId === "start-recovery-outbox") &&
        updatesIn(B).length === 2,
      "both recovery mappings updated",
    );
    // Killed mid-wait: both changes accepted, the mappings still Enabling.
    expect(statesIn(`case-outbox-${B}`)).toEqual(["Enabling", "Enabling"]);

    const resumed = await runCli(["resume", id, "--json"], cwd, EMULATOR_CREDENTIALS);
    expect(resumed.stderr).toBe("");
    expect(resumed.code).toBe(0);

    const recoveryMappings = emulator.lambda.status()[`case-outbox-${B}`]?.mappings.map((m) => m.uuid);
    expect(updatesIn(B).sort()).toEqual([...(recoveryMappings ?? [])].sort());
    expect(updatesIn(A)).toHaveLength(1);
    expect(statesIn(`case-outbox-${B}`)).toEqual(["Enabled", "Enabled"]);
    expect(statesIn(`case-outbox-${A}`)).toEqual(["Disabled"]);

    const events = journalLines(cwd, id) as {
      type: string;
      stepId?: string;
      data?: Record<string, unknown>;
    }[];
    expect(events.map((e) => e.type)).toContain("execution.resumed");
    expect(events.at(-1)?.type).toBe("execution.completed");
    const checked = events.filter((e) => e.type === "step.checked" && e.stepId === "start-recovery-outbox");
    // The resume asked check first: Enabling is not Enabled yet, so run, which only waited.
    expect(checked.map((e) => e.data?.inPlace)).toEqual([false]);
    expect(String(checked[0]?.data?.detail)).toMatch(/is Enabling/);
    const succeeded = events.find((e) => e.type === "step.succeeded" && e.stepId === "start-recovery-outbox");
    expect(succeeded?.data?.outputs).toMatchObject({ state: "Enabled", changed: [] });
    expect((await runCli(["verify", id], cwd)).code).toBe(0);
  }, 60_000);
});
