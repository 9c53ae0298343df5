import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createEmulator,
  type Emulator,
  InMemoryGlobalClusterBackend,
} from "../../src/sandbox/emulator/index.js";
import { EMULATOR_CREDENTIALS, emulatorProject, runUntilKilled } from "./emulator-project.js";
import { journalLines, runCli } from "./harness.js";

/**
 * An aws.call killed while it waits for its change to take effect: resume settles it with
 * inPlaceWhen and waits again; the emulator's call log shows the change made exactly once.
 */

let emulator: Emulator;
const AWS = { ...EMULATOR_CREDENTIALS, AWS_REGION: "us-west-2" };

beforeAll(async () => {
  const backend = new InMemoryGlobalClusterBackend({ regions: ["us-east-1", "us-west-2"], lagMs: 50 });
  // A slow move (4 s), so the kill lands while the step waits for it.
  emulator = await createEmulator({ backend, rdsTransitionMs: 4000 });
});
afterAll(async () => {
  await emulator?.close();
});

const runbook = (target: string) => `apiVersion: runbook/v1
kind: Runbook
metadata: { name: move-writer, environment: nonprod }
objectives: { rto: 5m, rpo: 1m }
steps:
  - id: promote
    type: aws.call
    milestone: db_promoted
    with:
      service: rds
      command: FailoverGlobalCluster
      region: us-west-2
      input: { GlobalClusterIdentifier: case-global, TargetDbClusterIdentifier: "${target}", AllowDataLoss: true }
      inPlaceWhen:
        command: DescribeGlobalClusters
        input: { GlobalClusterIdentifier: case-global }
        expect: "(GlobalClusters[0].GlobalClusterMembers[?IsWriter].DBClusterArn | [0]) == '${target}'"
      waitFor:
        command: DescribeGlobalClusters
        input: { GlobalClusterIdentifier: case-global }
        until: "GlobalClusters[0].Status == 'available' && (GlobalClusters[0].GlobalClusterMembers[?IsWriter].DBClusterArn | [0]) == '${target}'"
        minDelay: 200ms
        maxDelay: 500ms
        timeout: 1m
        description: us-west-2 to be the writer
      outputs: { writer: "GlobalClusters[0].GlobalClusterMembers[?IsWriter].DBClusterArn | [0]" }
`;

describe("aws.call, SIGKILLed mid-wait", () => {
  it("resumes without a second FailoverGlobalCluster, and picks its outputs", async () => {
    const target = `arn:aws:rds:us-west-2:${emulator.accountId}:cluster:case-us-west-2`;
    const cwd = emulatorProject("aws-call", emulator.url, "us-west-2", { "move-writer": runbook(target) });
    const plan = await runCli(["plan", "move-writer", "--env", "emulator"], cwd, AWS);
    expect(plan.stdout).toContain(
      "rds FailoverGlobalCluster(GlobalClusterIdentifier=case-global, TargetDbClusterIdentifier=arn:aws:rds:us-west-2",
    );
    let calledAt = 0;
    const id = await runUntilKilled(
      cwd,
      "move-writer",
      () => {
        // Killed half a second after the call: it is polling DescribeGlobalClusters by then.
        if (
          !calledAt &&
          emulator.calls.some((c) => c.operation === "FailoverGlobalCluster" && c.outcome === "ok")
        )
          calledAt = Date.now();
        return calledAt > 0 && Date.now() - calledAt >= 500;
      },
      "the failover call, then half a second of waiting",
    );
    expect(journalLines(cwd, id).some((e) => e.type === "step.succeeded")).toBe(false);

    const resumed = await runCli(["resume", id, "--json"], cwd, AWS);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(emulator.calls.filter((c) => c.operation === "FailoverGlobalCluster")).toHaveLength(1);
    const events = journalLines(cwd, id) as {
      type: string;
      stepId?: string;
      data?: Record<string, unknown>;
    }[];
    const checked = events.find((e) => e.type === "step.checked");
    expect(checked?.data).toMatchObject({ inPlace: true });
    const succeeded = events.find((e) => e.type === "step.succeeded");
    expect(succeeded?.data?.outputs).toEqual({ writer: target });
    // The journal keeps the request as it was sent (redacted), so the timeline can say what was called.
    const intent = events.find((e) => e.type === "step.intent");
    expect(intent?.data?.params).toMatchObject({
      command: "FailoverGlobalCluster",
      input: { AllowDataLoss: true },
    });
    expect(events.some((e) => e.type === "milestone")).toBe(true);
  }, 60_000);
});
