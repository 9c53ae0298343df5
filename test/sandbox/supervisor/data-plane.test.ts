import { DescribeSecretCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dynamodbGlobalTableReady } from "../../../executors/dynamodb-global-table-ready.js";
import { createEmulator, type Emulator } from "../../../src/sandbox/emulator/index.js";
import type { PostgresPair } from "../../../src/sandbox/postgres/postgres-pair.js";
import {
  dataPlaneEndpointRows,
  dataPlaneEndpoints,
  dataPlaneStatusRows,
} from "../../../src/sandbox/supervisor/data-plane-status.js";
import {
  describeFault,
  faultSelector,
  parseClear,
  parseFault,
} from "../../../src/sandbox/supervisor/fault-catalog.js";
import { applyFault, type FaultTargets, liftFault } from "../../../src/sandbox/supervisor/fault-effects.js";
import { renderEndpoints, renderStatus } from "../../../src/sandbox/supervisor/render.js";
import { sandboxTopology } from "../../../src/sandbox/supervisor/sandbox-topology.js";
import { contextFor } from "../../executors/context.js";
import { runningSandbox } from "./running-sandbox.js";

const A = "us-east-1";
const B = "us-west-2";
const ctx = { regions: [A, B] as const, alarms: [], secrets: ["case-api/db"] };

describe("the secret-out-of-sync fault", () => {
  let emulator: Emulator;
  let targets: FaultTargets;
  beforeAll(async () => {
    const topology = sandboxTopology();
    emulator = await createEmulator({ topology, evaluationIntervalMs: 100_000 });
    // This fault acts on the emulator only: the databases and apps must not be touched.
    const untouchable = new Proxy(
      {},
      {
        get: (_, key) => {
          throw new Error(`secret-out-of-sync touched the ${String(key)} of the databases`);
        },
      },
    ) as PostgresPair;
    targets = {
      emulator,
      pair: untouchable,
      caseApi: () => {
        throw new Error("secret-out-of-sync touched a case-api");
      },
      topology,
    };
  });
  afterAll(() => emulator.close());

  const replication = async () =>
    (
      await new SecretsManagerClient({
        region: A,
        endpoint: emulator.url,
        credentials: { accessKeyId: "AKID", secretAccessKey: "s" },
        maxAttempts: 1,
      }).send(new DescribeSecretCommand({ SecretId: "case-api/db" }))
    ).ReplicationStatus;

  it("parses like missing-secret: the secret, and the replica's region (default B)", () => {
    const fault = parseFault("secret-out-of-sync", ["case-api/db"], ctx);
    expect(fault).toEqual({ name: "secret-out-of-sync", secret: "case-api/db", region: B });
    expect(parseFault("secret-out-of-sync", ["case-api/db", A], ctx)).toMatchObject({ region: A });
    expect(parseFault("secret-out-of-sync", ["other"], ctx)).toMatch(/unknown secret other/);
    expect(parseFault("secret-out-of-sync", [], ctx)).toBe(
      "usage: runbook sandbox fault secret-out-of-sync <name> [region]",
    );
    expect(parseFault("secret-out-of-sync", ["case-api/db", "mars-1"], ctx)).toMatch(/unknown region mars-1/);
    expect(parseClear("secret-out-of-sync", ["case-api/db"])).toEqual({
      name: "secret-out-of-sync",
      selector: "case-api/db",
    });
    if (typeof fault === "string") throw new Error(fault);
    expect(faultSelector(fault)).toBe("case-api/db");
    expect(describeFault(fault)).toBe(`secret-out-of-sync case-api/db in ${B} (replication Failed)`);
  });

  it("sets the replica's ReplicationStatus Failed, as the primary reports it, and lifts back to InSync", async () => {
    const fault = { name: "secret-out-of-sync" as const, secret: "case-api/db", region: B };
    await applyFault(fault, targets);
    expect(await replication()).toEqual([
      expect.objectContaining({ Region: B, Status: "Failed", StatusMessage: "Access to KMS is not allowed" }),
    ]);
    await liftFault({ fault, since: new Date().toISOString() }, targets);
    expect((await replication())?.[0]?.Status).toBe("InSync");
  });

  it("refuses the primary's region, and lifts cleanly after missing-secret deleted the replica", async () => {
    await expect(
      applyFault({ name: "secret-out-of-sync", secret: "case-api/db", region: A }, targets),
    ).rejects.toMatchObject({
      name: "FaultUsageError",
      message: expect.stringContaining(`no replica in ${A}`),
    });
    const outOfSync = { name: "secret-out-of-sync" as const, secret: "case-api/db", region: B };
    const missing = { name: "missing-secret" as const, secret: "case-api/db", region: B };
    await applyFault(outOfSync, targets);
    await applyFault(missing, targets);
    await liftFault({ fault: outOfSync, since: "" }, targets);
    await liftFault({ fault: missing, since: "" }, targets);
    // missing-secret put it back as the topology has it: a replica, InSync.
    expect(await replication()).toEqual([expect.objectContaining({ Region: B, Status: "InSync" })]);
  });
});

describe("the data plane in endpoints.json and status", () => {
  const sandbox = runningSandbox("data-plane");

  it("endpoints.json names the table, the key and the rules; sandbox up prints them", () => {
    expect(sandbox.endpoints).toMatchObject({
      dynamodbTable: "case-sessions",
      kmsAlias: "alias/case-data",
      eventRules: ["case-nightly-report"],
    });
    expect(dataPlaneEndpoints(sandboxTopology())).toEqual({
      dynamodbTable: "case-sessions",
      kmsAlias: "alias/case-data",
      eventRules: ["case-nightly-report"],
    });
    const printed = renderEndpoints(sandbox.endpoints).join("\n");
    expect(printed).toMatch(/DynamoDB +global table case-sessions \(a replica in each region\)/);
    expect(printed).toMatch(
      /KMS +multi-Region key alias\/case-data \(primary in us-east-1, replica in us-west-2\)/,
    );
    expect(printed).toMatch(/event rules +case-nightly-report \(enabled in us-east-1 only\)/);
    expect(dataPlaneEndpointRows({ ...sandbox.endpoints, eventRules: [] })).toHaveLength(2);
  });

  it("status shows replicas, keys, secret replication and where the job runs; reset restores them", async () => {
    const supervisor = sandbox.running.supervisor;
    const emulator = supervisor.emulator;
    const fresh = (await supervisor.status()).dataPlane;
    expect(fresh).toMatchObject({
      globalTables: {
        "case-sessions": { [A]: { replicaStatus: "ACTIVE" }, [B]: { replicaStatus: "ACTIVE" } },
      },
      kmsKeys: {
        "alias/case-data": {
          [A]: { multiRegionKeyType: "PRIMARY", keyState: "Enabled" },
          [B]: { multiRegionKeyType: "REPLICA", keyState: "Enabled" },
        },
      },
      secretReplication: { "case-api/db": { primaryRegion: A, replicas: { [B]: { status: "InSync" } } } },
      eventRules: { "case-nightly-report": { [A]: "ENABLED", [B]: "DISABLED" } },
    });

    await supervisor.fault("secret-out-of-sync", ["case-api/db"], false);
    emulator.dataPlane.setKeyState(B, "alias/case-data", "Disabled");
    emulator.dataPlane.setReplica("case-sessions", B, { status: "CREATING" });
    emulator.dataPlane.events.get(`${B}/case-nightly-report`)!.state = "ENABLED";
    const faulted = await supervisor.status();
    const rows = dataPlaneStatusRows(faulted);
    expect(rows).toEqual([
      ["global tables", expect.stringMatching(new RegExp(`^case-sessions: ${A} ACTIVE .*, ${B} CREATING `))],
      ["KMS keys", `alias/case-data: ${A} PRIMARY Enabled, ${B} REPLICA Disabled`],
      ["secret replication", `case-api/db: ${A} → ${B} Failed (Access to KMS is not allowed)`],
      ["event rules", `case-nightly-report enabled in ${A}, ${B}`],
    ]);
    expect(renderStatus(faulted).join("\n")).toContain("secret-out-of-sync case-api/db in us-west-2");
    expect(dataPlaneStatusRows({ ...faulted, dataPlane: undefined })).toEqual([]);

    await supervisor.reset();
    expect((await supervisor.status()).dataPlane).toEqual(fresh);
    expect((await supervisor.status()).faults).toEqual([]);
    // A failover's pre-check right after the reset finds the latency already published.
    const env = contextFor(sandbox.endpoints.emulator);
    try {
      const ready = await dynamodbGlobalTableReady.run(
        dynamodbGlobalTableReady.params.parse({
          region: B,
          tableName: "case-sessions",
          sourceRegion: A,
          maxReplicationLatency: "1s",
        }),
        env.ctx,
      );
      expect(ready.replicaStatus).toBe("ACTIVE");
    } finally {
      env.destroy();
    }
  });
});
