import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminClient, type Emulator } from "../../../src/sandbox/emulator/index.js";
import { clientConfig, REGION_A, REGION_B, startEmulator } from "./helpers.js";

describe("Secrets Manager replication through the real SDK", () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startEmulator();
  });
  afterAll(() => emulator.close());

  const secrets = (region: string) => new SecretsManagerClient(clientConfig(emulator.url, region));
  const describeIn = (region: string) =>
    secrets(region).send(new DescribeSecretCommand({ SecretId: "case-api/db" }));

  it("the primary reports its replica InSync; the replica names its primary", async () => {
    const primary = await describeIn(REGION_A);
    expect(primary.PrimaryRegion).toBe(REGION_A);
    expect(primary.ReplicationStatus).toEqual([
      {
        Region: REGION_B,
        KmsKeyId: "alias/case-data",
        Status: "InSync",
        StatusMessage: "Replication succeeded",
      },
    ]);
    const replica = await describeIn(REGION_B);
    expect(replica).toMatchObject({ PrimaryRegion: REGION_A, KmsKeyId: "alias/case-data" });
    expect(replica.ReplicationStatus).toBeUndefined();
    expect(replica.ARN?.split(":").at(-1)).toBe(primary.ARN?.split(":").at(-1));
  });

  it("reading the replica shows as its LastAccessedDate, a date without time, in the primary's view", async () => {
    await secrets(REGION_B).send(new GetSecretValueCommand({ SecretId: "case-api/db" }));
    const seen = (await describeIn(REGION_A)).ReplicationStatus?.[0]?.LastAccessedDate;
    expect(seen).toBeInstanceOf(Date);
    expect(seen?.toISOString()).toBe(`${new Date().toISOString().slice(0, 10)}T00:00:00.000Z`);
  });

  it("the secretReplication fault sets the replica Failed with a message, and lifts back to InSync", async () => {
    const admin = adminClient(emulator.url);
    await admin.fault({ kind: "secretReplication", region: REGION_B, name: "case-api/db", status: "Failed" });
    expect((await describeIn(REGION_A)).ReplicationStatus?.[0]).toMatchObject({
      Region: REGION_B,
      Status: "Failed",
      StatusMessage: "Access to KMS is not allowed",
    });
    await admin.fault({
      kind: "secretReplication",
      region: REGION_B,
      name: "case-api/db",
      status: "InProgress",
      message: "Replicating version 3",
    });
    expect((await describeIn(REGION_A)).ReplicationStatus?.[0]).toMatchObject({
      Status: "InProgress",
      StatusMessage: "Replicating version 3",
    });
    await admin.fault({ kind: "secretReplication", region: REGION_B, name: "case-api/db" });
    expect((await describeIn(REGION_A)).ReplicationStatus?.[0]?.Status).toBe("InSync");
    // The primary is not a replica of anything.
    await expect(
      admin.fault({ kind: "secretReplication", region: REGION_A, name: "case-api/db", status: "Failed" }),
    ).rejects.toThrow(`no replica of the secret case-api/db in ${REGION_A}`);
    // Another process's JSON is untrusted: a status AWS does not have is refused.
    const bad = await fetch(`${emulator.url}/_sandbox/fault`, {
      method: "POST",
      body: JSON.stringify({
        kind: "secretReplication",
        region: REGION_B,
        name: "case-api/db",
        status: "Bad",
      }),
    });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain("secretReplication needs region, name, optional status");
  });

  it("a deleted replica leaves the primary's ReplicationStatus; put back as a replica, it is InSync again", async () => {
    expect(emulator.removeSecret(REGION_B, "case-api/db")).toBe(true);
    const primary = await describeIn(REGION_A);
    expect(primary.ReplicationStatus).toBeUndefined();
    expect(primary.PrimaryRegion).toBeUndefined();
    emulator.putSecret(REGION_B, "case-api/db", '{"username":"app","password":"sandbox"}', {
      primaryRegion: REGION_A,
      kmsKeyId: "alias/case-data",
    });
    expect((await describeIn(REGION_A)).ReplicationStatus?.map((r) => `${r.Region} ${r.Status}`)).toEqual([
      `${REGION_B} InSync`,
    ]);
    expect(emulator.dataPlane.status().secretReplication).toEqual({
      "case-api/db": {
        primaryRegion: REGION_A,
        replicas: { [REGION_B]: { status: "InSync", statusMessage: "Replication succeeded" } },
      },
    });
  });
});
