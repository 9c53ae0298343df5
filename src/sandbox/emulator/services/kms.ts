import { createHash } from "node:crypto";
import { ApiError } from "../errors.js";
import { pageOf } from "../pagination.js";
import type { ParamReader } from "../params.js";
import type { RequestContext, ServiceDefinition } from "../service.js";
import type { MultiRegionKeyConfig } from "../topology.js";

/**
 * KMS (AWS JSON 1.1, `TrentService.*`): multi-Region keys. A primary key and its replicas
 * share one `mrk-` key id (and key material: a ciphertext from one region decrypts in
 * another, which is why a failover needs the replica); each is a regional resource with
 * its own ARN, state and aliases. Key ids are derived from the alias, so they survive a
 * reset. Encrypt/Decrypt exist to show what a disabled key does to the data plane; the
 * ciphertext is a readable sandbox envelope, not cryptography.
 */

export const KEY_STATES = [
  "Creating",
  "Enabled",
  "Disabled",
  "PendingDeletion",
  "PendingImport",
  "PendingReplicaDeletion",
  "Unavailable",
  "Updating",
] as const;
export type KeyState = (typeof KEY_STATES)[number];

export interface KmsKeyModel {
  region: string;
  keyId: string;
  arn: string;
  description: string;
  state: KeyState;
  createdAt: Date;
  multiRegionKeyType: "PRIMARY" | "REPLICA";
  deletionDate: Date | undefined;
}

export interface KmsAliasModel {
  region: string;
  name: string;
  arn: string;
  targetKeyId: string;
  createdAt: Date;
}

export interface KmsState {
  keys: Map<string, KmsKeyModel>;
  aliases: Map<string, KmsAliasModel>;
}

const at = (region: string, id: string) => `${region}/${id}`;
const ENVELOPE = "sandbox-kms-v1";

export function createKmsState(
  configs: readonly MultiRegionKeyConfig[] | undefined,
  accountId: string,
): KmsState {
  const state: KmsState = { keys: new Map(), aliases: new Map() };
  resetKms(state, configs, accountId);
  return state;
}

/** Back to the configured keys, all Enabled, with their aliases. */
export function resetKms(
  state: KmsState,
  configs: readonly MultiRegionKeyConfig[] | undefined,
  accountId: string,
): void {
  state.keys.clear();
  state.aliases.clear();
  const createdAt = new Date();
  for (const c of configs ?? []) {
    const keyId = `mrk-${createHash("sha256").update(`${accountId}/${c.alias}`).digest("hex").slice(0, 32)}`;
    for (const region of [c.primaryRegion, ...c.replicaRegions]) {
      state.keys.set(at(region, keyId), {
        region,
        keyId,
        arn: `arn:aws:kms:${region}:${accountId}:key/${keyId}`,
        description: c.description ?? "",
        state: "Enabled",
        createdAt,
        multiRegionKeyType: region === c.primaryRegion ? "PRIMARY" : "REPLICA",
        deletionDate: undefined,
      });
      state.aliases.set(at(region, c.alias), {
        region,
        name: c.alias,
        arn: `arn:aws:kms:${region}:${accountId}:${c.alias}`,
        targetKeyId: keyId,
        createdAt,
      });
    }
  }
}

const notFound = (message: string) => new ApiError("NotFoundException", message, 400);

/**
 * The key a `KeyId` names in the caller's region: a key id, a key ARN, an alias name or an
 * alias ARN (aliases only where AWS accepts them). Anything else is NotFoundException,
 * worded as KMS words it.
 */
export function resolveKey(
  state: KmsState,
  region: string,
  accountId: string,
  id: string,
  allowAlias = true,
): KmsKeyModel {
  let resource = id;
  if (id.startsWith("arn:")) {
    const [, , service, arnRegion, account, rest] = id.split(":");
    if (service !== "kms" || arnRegion !== region || account !== accountId || !rest)
      throw notFound(`Invalid arn ${arnRegion ?? id}`);
    resource = rest.startsWith("key/") ? rest.slice(4) : rest;
  }
  if (resource.startsWith("alias/")) {
    if (!allowAlias) throw notFound(`Invalid keyId ${id}`);
    const alias = state.aliases.get(at(region, resource));
    const key = alias && state.keys.get(at(region, alias.targetKeyId));
    if (!key) throw notFound(`Alias arn:aws:kms:${region}:${accountId}:${resource} is not found.`);
    return key;
  }
  const key = state.keys.get(at(region, resource));
  if (!key) throw notFound(`Key 'arn:aws:kms:${region}:${accountId}:key/${resource}' does not exist`);
  return key;
}

/** Setting a key's state as its lifecycle operations would (PendingDeletion: 7 days from now). */
export function setKeyState(key: KmsKeyModel, state: KeyState): void {
  key.state = state;
  key.deletionDate = state === "PendingDeletion" ? new Date(Date.now() + 7 * 86_400_000) : undefined;
}

const invalidState = (key: KmsKeyModel) =>
  new ApiError(
    "KMSInvalidStateException",
    key.state === "PendingDeletion" ? `${key.arn} is pending deletion.` : `${key.arn} is ${key.state}.`,
    400,
  );

/** What a cryptographic operation requires: an Enabled key. */
function usable(key: KmsKeyModel): KmsKeyModel {
  if (key.state === "Disabled") throw new ApiError("DisabledException", `${key.arn} is disabled.`, 400);
  if (key.state !== "Enabled") throw invalidState(key);
  return key;
}

function metadata(state: KmsState, key: KmsKeyModel, accountId: string) {
  const related = [...state.keys.values()].filter((k) => k.keyId === key.keyId);
  const primary = related.find((k) => k.multiRegionKeyType === "PRIMARY");
  return {
    AWSAccountId: accountId,
    KeyId: key.keyId,
    Arn: key.arn,
    CreationDate: key.createdAt,
    Enabled: key.state === "Enabled",
    Description: key.description,
    KeyUsage: "ENCRYPT_DECRYPT",
    KeyState: key.state,
    DeletionDate: key.deletionDate,
    Origin: "AWS_KMS",
    KeyManager: "CUSTOMER",
    CustomerMasterKeySpec: "SYMMETRIC_DEFAULT",
    KeySpec: "SYMMETRIC_DEFAULT",
    EncryptionAlgorithms: ["SYMMETRIC_DEFAULT"],
    MultiRegion: true,
    MultiRegionConfiguration: {
      MultiRegionKeyType: key.multiRegionKeyType,
      PrimaryKey: primary ? { Arn: primary.arn, Region: primary.region } : undefined,
      ReplicaKeys: related
        .filter((k) => k.multiRegionKeyType === "REPLICA")
        .map((k) => ({ Arn: k.arn, Region: k.region })),
    },
  };
}

export function kmsService(state: KmsState, accountId: string): ServiceDefinition {
  const key = (p: ParamReader, ctx: RequestContext, allowAlias = true) =>
    resolveKey(state, ctx.region, accountId, p.string("KeyId"), allowAlias);

  /** A key the request cannot name is authorised on `*` (the operation then says NotFound). */
  const keyArn = (p: ParamReader, ctx: RequestContext): string[] => {
    try {
      return [key(p, ctx).arn];
    } catch {
      return [];
    }
  };

  const listAliases = (p: ParamReader, ctx: RequestContext) => {
    const only = p.has("KeyId") ? key(p, ctx, false).keyId : undefined;
    const aliases = [...state.aliases.values()]
      .filter((a) => a.region === ctx.region && (only === undefined || a.targetKeyId === only))
      .sort((x, y) => x.name.localeCompare(y.name));
    const { page, next } = pageOf(
      aliases,
      p.optionalString("Marker"),
      p.optionalNumber("Limit") ?? 50,
      () => new ApiError("InvalidMarkerException", "The marker is not valid.", 400),
    );
    return {
      Aliases: page.map((a) => ({
        AliasName: a.name,
        AliasArn: a.arn,
        TargetKeyId: a.targetKeyId,
        CreationDate: a.createdAt,
        LastUpdatedDate: a.createdAt,
      })),
      Truncated: next !== undefined,
      ...(next ? { NextMarker: next } : {}),
    };
  };

  const encrypt = (p: ParamReader, ctx: RequestContext) => {
    const k = usable(key(p, ctx));
    const plaintext = p.string("Plaintext");
    const envelope = Buffer.from(`${ENVELOPE}:${k.keyId}:${plaintext}`).toString("base64");
    return { CiphertextBlob: envelope, KeyId: k.arn, EncryptionAlgorithm: "SYMMETRIC_DEFAULT" };
  };

  const decrypt = (p: ParamReader, ctx: RequestContext) => {
    const [tag, keyId, plaintext] = Buffer.from(p.string("CiphertextBlob"), "base64")
      .toString("utf8")
      .split(":");
    if (tag !== ENVELOPE || !keyId || plaintext === undefined)
      throw new ApiError("InvalidCiphertextException", "", 400);
    // A multi-Region replica decrypts what its primary encrypted: same key id, same material.
    const k = state.keys.get(at(ctx.region, keyId));
    if (!k) throw new ApiError("InvalidCiphertextException", "", 400);
    if (p.has("KeyId") && key(p, ctx).keyId !== keyId)
      throw new ApiError(
        "IncorrectKeyException",
        "The key ID in the request does not identify a CMK that can perform this operation.",
        400,
      );
    usable(k);
    return { KeyId: k.arn, Plaintext: plaintext, EncryptionAlgorithm: "SYMMETRIC_DEFAULT" };
  };

  const enable = (enabled: boolean) => (p: ParamReader, ctx: RequestContext) => {
    const k = key(p, ctx, false);
    if (k.state !== "Enabled" && k.state !== "Disabled") throw invalidState(k);
    setKeyState(k, enabled ? "Enabled" : "Disabled");
    return {};
  };

  return {
    name: "kms",
    json: { target: "TrentService", version: "1.1", namespace: "com.amazonaws.kms" },
    errors: {
      missing: "ValidationException",
      invalid: "ValidationException",
      unknownOperation: "UnknownOperationException",
      throttling: "ThrottlingException",
    },
    // IAM authorises on the key's ARN, whatever the request named it by (alias, key id).
    iam: {
      resources: {
        DescribeKey: keyArn,
        EnableKey: keyArn,
        DisableKey: keyArn,
        Encrypt: keyArn,
        Decrypt: (p, ctx) => {
          if (p.has("KeyId")) return keyArn(p, ctx);
          const keyId = Buffer.from(p.optionalString("CiphertextBlob") ?? "", "base64")
            .toString("utf8")
            .split(":")[1];
          const k = keyId ? state.keys.get(at(ctx.region, keyId)) : undefined;
          return k ? [k.arn] : [];
        },
      },
    },
    mutating: new Set(["EnableKey", "DisableKey"]),
    operations: {
      DescribeKey: (p, ctx) => ({ KeyMetadata: metadata(state, key(p, ctx), accountId) }),
      ListAliases: listAliases,
      ListKeys: (_p, ctx) => ({
        Keys: [...state.keys.values()]
          .filter((k) => k.region === ctx.region)
          .map((k) => ({ KeyId: k.keyId, KeyArn: k.arn })),
        Truncated: false,
      }),
      EnableKey: enable(true),
      DisableKey: enable(false),
      Encrypt: encrypt,
      Decrypt: decrypt,
    },
  };
}
