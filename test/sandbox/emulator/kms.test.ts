import {
  DecryptCommand,
  DescribeKeyCommand,
  DisabledException,
  DisableKeyCommand,
  EnableKeyCommand,
  EncryptCommand,
  KMSClient,
  KMSInvalidStateException,
  ListAliasesCommand,
  ListKeysCommand,
  NotFoundException,
} from "@aws-sdk/client-kms";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { adminClient, defaultTopology, type Emulator } from "../../../src/sandbox/emulator/index.js";
import { clientConfig, REGION_A, REGION_B, startEmulator } from "./helpers.js";

const ACCOUNT = "111111111111";

describe("KMS multi-Region keys (JSON 1.1) through the real SDK", () => {
  let emulator: Emulator;
  beforeAll(async () => {
    const topology = defaultTopology();
    topology.kmsKeys = [
      ...(topology.kmsKeys ?? []),
      { alias: "alias/case-audit", primaryRegion: REGION_A, replicaRegions: [REGION_B] },
    ];
    emulator = await startEmulator({ topology });
  });
  afterAll(() => emulator.close());
  beforeEach(() => {
    emulator.dataPlane.reset();
    emulator.clearCalls();
  });

  const kms = (region: string) => new KMSClient(clientConfig(emulator.url, region));
  const describeKey = async (region: string, KeyId: string) =>
    (await kms(region).send(new DescribeKeyCommand({ KeyId }))).KeyMetadata;

  it("DescribeKey takes an alias, an alias ARN, a key id or a key ARN, and tells replica from primary", async () => {
    const replica = await describeKey(REGION_B, "alias/case-data");
    const keyId = replica?.KeyId ?? "";
    expect(keyId).toMatch(/^mrk-[0-9a-f]{32}$/);
    expect(replica).toMatchObject({
      AWSAccountId: ACCOUNT,
      Arn: `arn:aws:kms:${REGION_B}:${ACCOUNT}:key/${keyId}`,
      Enabled: true,
      KeyState: "Enabled",
      KeyUsage: "ENCRYPT_DECRYPT",
      KeySpec: "SYMMETRIC_DEFAULT",
      MultiRegion: true,
      MultiRegionConfiguration: {
        MultiRegionKeyType: "REPLICA",
        PrimaryKey: { Arn: `arn:aws:kms:${REGION_A}:${ACCOUNT}:key/${keyId}`, Region: REGION_A },
        ReplicaKeys: [{ Arn: `arn:aws:kms:${REGION_B}:${ACCOUNT}:key/${keyId}`, Region: REGION_B }],
      },
    });
    expect(replica?.CreationDate).toBeInstanceOf(Date);
    for (const id of [keyId, replica?.Arn ?? "", `arn:aws:kms:${REGION_B}:${ACCOUNT}:alias/case-data`])
      expect((await describeKey(REGION_B, id))?.Arn).toBe(replica?.Arn);
    const primary = await describeKey(REGION_A, "alias/case-data");
    expect(primary?.KeyId).toBe(keyId);
    expect(primary?.MultiRegionConfiguration?.MultiRegionKeyType).toBe("PRIMARY");
  });

  it("answers NotFoundException as KMS words it", async () => {
    const notFound = async (region: string, KeyId: string) => {
      const error = await kms(region)
        .send(new DescribeKeyCommand({ KeyId }))
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(NotFoundException);
      return (error as Error).message;
    };
    expect(await notFound(REGION_B, "alias/nope")).toBe(
      `Alias arn:aws:kms:${REGION_B}:${ACCOUNT}:alias/nope is not found.`,
    );
    expect(await notFound(REGION_B, "mrk-00000000000000000000000000000000")).toBe(
      `Key 'arn:aws:kms:${REGION_B}:${ACCOUNT}:key/mrk-00000000000000000000000000000000' does not exist`,
    );
    // The primary's ARN does not name a key in the replica's region.
    const primaryArn = (await describeKey(REGION_A, "alias/case-data"))?.Arn ?? "";
    expect(await notFound(REGION_B, primaryArn)).toBe(`Invalid arn ${REGION_A}`);
  });

  it("ListAliases and ListKeys list the region's own", async () => {
    const keyId = (await describeKey(REGION_B, "alias/case-data"))?.KeyId;
    const aliases = await kms(REGION_B).send(new ListAliasesCommand({}));
    expect(aliases.Aliases?.map((a) => a.AliasName)).toEqual(["alias/case-audit", "alias/case-data"]);
    expect(aliases.Aliases?.[1]).toMatchObject({
      AliasArn: `arn:aws:kms:${REGION_B}:${ACCOUNT}:alias/case-data`,
      TargetKeyId: keyId,
    });
    expect(aliases.Truncated).toBe(false);
    const first = await kms(REGION_B).send(new ListAliasesCommand({ Limit: 1 }));
    expect(first).toMatchObject({ Truncated: true, Aliases: [{ AliasName: "alias/case-audit" }] });
    const second = await kms(REGION_B).send(new ListAliasesCommand({ Limit: 1, Marker: first.NextMarker }));
    expect(second).toMatchObject({ Truncated: false, Aliases: [{ AliasName: "alias/case-data" }] });
    await expect(kms(REGION_B).send(new ListAliasesCommand({ Marker: "x" }))).rejects.toMatchObject({
      name: "InvalidMarkerException",
    });
    expect((await kms(REGION_B).send(new ListAliasesCommand({ KeyId: keyId }))).Aliases).toHaveLength(1);
    await expect(kms(REGION_B).send(new ListAliasesCommand({ KeyId: "mrk-nope" }))).rejects.toBeInstanceOf(
      NotFoundException,
    );
    expect((await kms(REGION_A).send(new ListKeysCommand({}))).Keys).toContainEqual({
      KeyId: keyId,
      KeyArn: `arn:aws:kms:${REGION_A}:${ACCOUNT}:key/${keyId}`,
    });
  });

  it("a replica decrypts what its primary encrypted; a disabled key refuses with DisabledException", async () => {
    const plaintext = new TextEncoder().encode("case 42");
    const encrypted = await kms(REGION_A).send(
      new EncryptCommand({ KeyId: "alias/case-data", Plaintext: plaintext }),
    );
    const decrypted = await kms(REGION_B).send(
      new DecryptCommand({ CiphertextBlob: encrypted.CiphertextBlob }),
    );
    expect(new TextDecoder().decode(decrypted.Plaintext)).toBe("case 42");
    expect(decrypted.KeyId).toMatch(new RegExp(`^arn:aws:kms:${REGION_B}:`));

    const replicaArn = (await describeKey(REGION_B, "alias/case-data"))?.Arn;
    await kms(REGION_B).send(new DisableKeyCommand({ KeyId: replicaArn }));
    expect(await describeKey(REGION_B, "alias/case-data")).toMatchObject({
      KeyState: "Disabled",
      Enabled: false,
    });
    const error = await kms(REGION_B)
      .send(new DecryptCommand({ CiphertextBlob: encrypted.CiphertextBlob }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DisabledException);
    expect((error as Error).message).toBe(`${replicaArn} is disabled.`);
    // Only the replica is disabled: keys are regional.
    expect((await describeKey(REGION_A, "alias/case-data"))?.KeyState).toBe("Enabled");
    await kms(REGION_B).send(new EnableKeyCommand({ KeyId: replicaArn }));
    expect((await describeKey(REGION_B, "alias/case-data"))?.Enabled).toBe(true);
    expect(emulator.mutatingCalls().map((c) => c.operation)).toEqual(["DisableKey", "EnableKey"]);
    // EnableKey and DisableKey take a key id or ARN, not an alias.
    await expect(
      kms(REGION_B).send(new EnableKeyCommand({ KeyId: "alias/case-data" })),
    ).rejects.toMatchObject({
      name: "NotFoundException",
      message: "Invalid keyId alias/case-data",
    });
    await expect(
      kms(REGION_B).send(new DecryptCommand({ CiphertextBlob: new TextEncoder().encode("garbage") })),
    ).rejects.toMatchObject({ name: "InvalidCiphertextException" });
  });

  it("a key pending deletion has a DeletionDate and refuses to be used or enabled", async () => {
    await adminClient(emulator.url).fault({
      kind: "kmsKeyState",
      region: REGION_B,
      keyId: "alias/case-data",
      state: "PendingDeletion",
    });
    const key = await describeKey(REGION_B, "alias/case-data");
    expect(key).toMatchObject({ KeyState: "PendingDeletion", Enabled: false });
    expect(key?.DeletionDate?.getTime()).toBeGreaterThan(Date.now());
    const plaintext = new TextEncoder().encode("x");
    const error = await kms(REGION_B)
      .send(new EncryptCommand({ KeyId: "alias/case-data", Plaintext: plaintext }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KMSInvalidStateException);
    expect((error as Error).message).toBe(`${key?.Arn} is pending deletion.`);
    await expect(kms(REGION_B).send(new EnableKeyCommand({ KeyId: key?.KeyId }))).rejects.toBeInstanceOf(
      KMSInvalidStateException,
    );
    await adminClient(emulator.url).fault({
      kind: "kmsKeyState",
      region: REGION_B,
      keyId: "alias/case-data",
    });
    expect((await describeKey(REGION_B, "alias/case-data"))?.KeyState).toBe("Enabled");
    await expect(
      adminClient(emulator.url).fault({ kind: "kmsKeyState", region: REGION_B, keyId: "alias/x" }),
    ).rejects.toThrow(/no KMS key alias\/x/);
  });

  it("throttles on demand, with the code the SDK retries", async () => {
    emulator.throttle("kms", 0.001);
    try {
      await describeKey(REGION_B, "alias/case-data");
      await expect(describeKey(REGION_B, "alias/case-data")).rejects.toMatchObject({
        name: "ThrottlingException",
        $metadata: { httpStatusCode: 429 },
      });
    } finally {
      emulator.throttle("kms", undefined);
    }
  });
});
