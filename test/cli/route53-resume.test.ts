import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CASE_ZONE,
  caseHostedZone,
  createEmulator,
  defaultTopology,
  type Emulator,
} from "../../src/sandbox/emulator/index.js";
import { EMULATOR_CREDENTIALS, emulatorProject, runUntilKilled } from "./emulator-project.js";
import { CLI, journalLines, runCli } from "./harness.js";

/**
 * The real CLI shifting Route 53 weights against an emulator in this process, SIGKILLed
 * while it waits for the change to be INSYNC: the resume finds the weights already set and
 * its own change still PENDING, so it only waits. The emulator saw one ChangeResourceRecordSets.
 */

const RUNBOOK = `apiVersion: runbook/v1
kind: Runbook
metadata:
  name: shift-weights
  description: Send 90% of the clients to the recovery region
  environment: sandbox
steps:
  - id: shift
    type: route53.set-weights
    with:
      zoneName: ${CASE_ZONE.zoneName}
      recordName: ${CASE_ZONE.recordName}
      weights: { us-east-1: 10, us-west-2: 90 }
`;

describe("SIGKILL while waiting for a Route 53 change, then resume", () => {
  let emulator: Emulator;
  const credentials = EMULATOR_CREDENTIALS;

  beforeAll(async () => {
    if (!existsSync(CLI)) throw new Error("dist/cli.js is missing: run `npm run build` (npm test does it)");
    const regions: [string, string] = ["us-east-1", "us-west-2"];
    // PENDING for 4 s: long enough to be killed mid-wait.
    emulator = await createEmulator({
      topology: {
        ...defaultTopology(regions),
        route53: { hostedZones: [caseHostedZone(regions)], changePropagationMs: 4_000 },
      },
      evaluationIntervalMs: 100_000,
    });
  });
  afterAll(() => emulator?.close());

  const changes = () => emulator.mutatingCalls().filter((c) => c.operation === "ChangeResourceRecordSets");
  /** Mid-wait: the step has the change's id (a kill between the call and that is another test's case). */
  const changeIdRecorded = (cwd: string) => {
    const dir = join(cwd, ".runbook", "executions");
    return readdirSync(dir).some((id) => {
      try {
        const file = join(dir, id, "steps", "shift", "route53-change.json");
        return Boolean(JSON.parse(readFileSync(file, "utf8")).changeId);
      } catch {
        return false;
      }
    });
  };

  it("one ChangeResourceRecordSets in the emulator's call log, and the step's outputs after the resume", async () => {
    const cwd = emulatorProject("route53", emulator.url, "us-east-1", { "shift-weights": RUNBOOK });
    const plan = await runCli(["plan", "shift-weights", "--env", "emulator"], cwd, credentials);
    expect(plan.code).toBe(0);
    expect(plan.stdout).toMatch(/Route 53 ChangeResourceRecordSets on api\.case\.internal in case\.internal/);

    const id = await runUntilKilled(
      cwd,
      "shift-weights",
      (journal) =>
        journal.some((e) => e.type === "step.intent" && e.stepId === "shift") && changeIdRecorded(cwd),
      "ChangeResourceRecordSets sent and its id recorded",
    );
    // Killed mid-wait: the zone has the new weights, the change is still propagating.
    expect(emulator.route53.configured(CASE_ZONE.recordName)).toMatchObject({
      weights: { "us-east-1": 10, "us-west-2": 90 },
      change: "PENDING",
    });

    const resumed = await runCli(["resume", id, "--json"], cwd, credentials);
    expect(resumed.stderr).toBe("");
    expect(resumed.code).toBe(0);
    expect(changes()).toHaveLength(1);
    expect(changes()[0]?.outcome).toBe("ok");
    const events = journalLines(cwd, id) as {
      type: string;
      stepId?: string;
      data?: Record<string, unknown>;
    }[];
    expect(events.map((e) => e.type)).toContain("execution.resumed");
    expect(events.at(-1)?.type).toBe("execution.completed");
    const checked = events.filter((e) => e.type === "step.checked" && e.stepId === "shift");
    expect(checked.map((e) => e.data?.inPlace)).toEqual([false]);
    expect(String(checked[0]?.data?.detail)).toMatch(/still PENDING/);
    const succeeded = events.find((e) => e.type === "step.succeeded" && e.stepId === "shift");
    const outputs = succeeded?.data?.outputs as Record<string, unknown>;
    expect(outputs.changeId).toMatch(/^\/change\/C/);
    expect(outputs.ttlSeconds).toBe(1);
    expect(Date.parse(String(outputs.oldAnswerUntil)) - Date.parse(String(outputs.insyncAt))).toBe(1000);
    expect(
      events.some((e) => e.type === "measure" && e.data?.name === "dns_ttl_ms" && e.data?.value === 1000),
    ).toBe(true);
    expect(emulator.route53.configured(CASE_ZONE.recordName)?.change).toBe("INSYNC");
  }, 60_000);
});
