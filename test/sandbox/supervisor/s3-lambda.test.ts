import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { s3ReplicationReady } from "../../../executors/s3-replication-ready.js";
import { classifyError } from "../../../src/executor.js";
import { createEmulator, type Emulator } from "../../../src/sandbox/emulator/index.js";
import {
  describeFault,
  faultHelp,
  faultSelector,
  parseClear,
  parseFault,
} from "../../../src/sandbox/supervisor/fault-catalog.js";
import { applyFault, type FaultTargets, liftFault } from "../../../src/sandbox/supervisor/fault-effects.js";
import { renderEndpoints, renderStatus } from "../../../src/sandbox/supervisor/render.js";
import {
  s3LambdaEndpointRows,
  s3LambdaEndpoints,
  s3LambdaStatusRows,
} from "../../../src/sandbox/supervisor/s3-lambda-status.js";
import { sandboxTopology } from "../../../src/sandbox/supervisor/sandbox-topology.js";
import type { SandboxStatus } from "../../../src/sandbox/supervisor/status.js";
import { contextFor } from "../../executors/context.js";
import { emulatorOnlyTargets } from "./emulator-only-targets.js";
import { runningSandbox } from "./running-sandbox.js";

const A = "us-east-1";
const B = "us-west-2";
const SOURCE = `case-evidence-${A}`;
const DESTINATION = `case-evidence-${B}`;
const ctx = { regions: [A, B] as const, alarms: [], secrets: [] };

describe("the replication-stall fault", () => {
  let emulator: Emulator;
  let targets: FaultTargets;
  beforeAll(async () => {
    const topology = sandboxTopology();
    emulator = await createEmulator({ topology, evaluationIntervalMs: 100_000 });
    targets = emulatorOnlyTargets(emulator, topology, "replication-stall");
  });
  afterAll(() => emulator.close());

  it("parses the bucket's region (default A); --clear takes it as the selector", () => {
    const fault = parseFault("replication-stall", [], ctx);
    expect(fault).toEqual({ name: "replication-stall", region: A });
    expect(parseFault("replication-stall", [B], ctx)).toEqual({ name: "replication-stall", region: B });
    expect(parseFault("replication-stall", ["mars-1"], ctx)).toMatch(/^unknown region mars-1/);
    expect(parseFault("replication-stall", [A, "now"], ctx)).toBe(
      "usage: runbook sandbox fault replication-stall [bucket-region]",
    );
    expect(parseClear("replication-stall", [A])).toEqual({ name: "replication-stall", selector: A });
    expect(parseClear("replication-stall", [])).toEqual({ name: "replication-stall", selector: undefined });
    if (typeof fault === "string") throw new Error(fault);
    expect(faultSelector(fault)).toBe(A);
    expect(describeFault(fault)).toBe(
      `replication-stall ${A} (S3 replication from its evidence bucket stopped)`,
    );
    expect(faultHelp()).toMatch(
      /replication-stall \[bucket-region\] +S3 replication from the region's evidence bucket/,
    );
  });

  it("stops replication from the region's bucket: the readiness probe fails, retryable; lifted, it drains", async () => {
    const fault = { name: "replication-stall" as const, region: A };
    await applyFault(fault, targets);
    expect(emulator.s3.status()[SOURCE]?.replication?.stalled).toBe(true);
    await new Promise((r) => setTimeout(r, 1_100));
    await emulator.sampleMetricSources();
    const env = contextFor(emulator.url);
    try {
      const probe = s3ReplicationReady.params.parse({
        region: A,
        bucket: SOURCE,
        destinationBucket: DESTINATION,
        maxPendingOperations: 15,
      });
      const err = classifyError(await s3ReplicationReady.run(probe, env.ctx).catch((e: unknown) => e));
      expect(err.class).toBe("retryable");
      expect(err.message).toMatch(/OperationsPendingReplication is \d+ .*needs ≤ 15/);
    } finally {
      env.destroy();
    }
    await liftFault({ fault, since: new Date().toISOString() }, targets);
    await new Promise((r) => setTimeout(r, 300));
    expect(emulator.s3.status()[SOURCE]?.replication).toMatchObject({ stalled: false });
    expect(emulator.s3.status()[SOURCE]?.replication?.operationsPending).toBeLessThanOrEqual(5);
  });

  it("refuses the recovery region, whose bucket replicates nowhere", async () => {
    await expect(applyFault({ name: "replication-stall", region: B }, targets)).rejects.toMatchObject({
      name: "FaultUsageError",
      message: `${DESTINATION} has no replication configuration (buckets that replicate: ${SOURCE})`,
    });
  });
});

describe("S3 and Lambda in the views", () => {
  it("status rows: each replication's backlog (STALLED when it is), where each outbox mapping runs", () => {
    const status = {
      regions: [A, B],
      s3: {
        [SOURCE]: {
          region: A,
          versioning: "Enabled",
          replication: {
            destinationBucket: DESTINATION,
            ruleId: "r",
            status: "Enabled",
            stalled: true,
            operationsPending: 240,
            replicationLatencySeconds: 14,
          },
        },
        [DESTINATION]: { region: B, versioning: "Enabled" },
      },
      lambda: {
        [`case-outbox-${A}`]: {
          region: A,
          mappings: [{ uuid: "u1", eventSourceArn: "q", state: "Enabled" }],
        },
        [`case-outbox-${B}`]: {
          region: B,
          mappings: [{ uuid: "u2", eventSourceArn: "q", state: "Enabling" }],
        },
      },
    } as unknown as SandboxStatus;
    expect(s3LambdaStatusRows(status)).toEqual([
      ["S3 replication", `${SOURCE} → ${DESTINATION}: STALLED, 240 pending, latency 14 s`],
      ["Lambda mappings", `case-outbox-${A} Enabled, case-outbox-${B} Enabling`],
    ]);
    expect(s3LambdaStatusRows({ ...status, s3: undefined, lambda: undefined })).toEqual([]);
  });
});

describe("S3 and Lambda in endpoints.json and status of a running sandbox", () => {
  const sandbox = runningSandbox("s3-lambda");

  it("endpoints.json names the buckets and functions per region; sandbox up prints them", () => {
    const names = {
      evidenceBuckets: { [A]: SOURCE, [B]: DESTINATION },
      outboxFunctions: { [A]: `case-outbox-${A}`, [B]: `case-outbox-${B}` },
    };
    expect(sandbox.endpoints).toMatchObject(names);
    expect(s3LambdaEndpoints(sandboxTopology())).toEqual(names);
    const printed = renderEndpoints(sandbox.endpoints).join("\n");
    expect(printed).toMatch(
      new RegExp(`S3 +${SOURCE} replicating to ${DESTINATION} \\(versioned, Replication Time Control\\)`),
    );
    expect(printed).toMatch(
      new RegExp(
        `Lambda +case-outbox-${A}, case-outbox-${B} \\(SQS event source mapping enabled in ${A} only\\)`,
      ),
    );
    expect(s3LambdaEndpointRows({ ...sandbox.endpoints, evidenceBuckets: {}, outboxFunctions: {} })).toEqual(
      [],
    );
  });

  it("status shows the replication and the mappings; the fault shows, and reset restores them", async () => {
    const supervisor = sandbox.running.supervisor;
    const fresh = await supervisor.status();
    expect(fresh.s3?.[SOURCE]).toMatchObject({
      region: A,
      versioning: "Enabled",
      replication: { destinationBucket: DESTINATION, status: "Enabled", stalled: false },
    });
    expect(fresh.lambda).toEqual({
      [`case-outbox-${A}`]: { region: A, mappings: [expect.objectContaining({ state: "Enabled" })] },
      [`case-outbox-${B}`]: { region: B, mappings: [expect.objectContaining({ state: "Disabled" })] },
    });
    const mapping = supervisor.emulator.lambda.state.mappings.find((m) => m.region === B);
    if (mapping) mapping.enabled = true;

    expect(await supervisor.fault("replication-stall", [], false)).toBe(
      `fault on: replication-stall ${A} (S3 replication from its evidence bucket stopped)`,
    );
    const faulted = await supervisor.status();
    const printed = renderStatus(faulted).join("\n");
    expect(printed).toMatch(new RegExp(`S3 replication +${SOURCE} → ${DESTINATION}: STALLED, \\d+ pending`));
    expect(printed).toMatch(
      new RegExp(`Lambda mappings +case-outbox-${A} Enabled, case-outbox-${B} Enabled`),
    );
    expect(faulted.faults.map((f) => f.name)).toEqual(["replication-stall"]);

    await supervisor.reset();
    const after = await supervisor.status();
    expect(after.faults).toEqual([]);
    expect(after.s3?.[SOURCE]?.replication?.stalled).toBe(false);
    expect(after.lambda).toEqual(fresh.lambda);
  });
});
