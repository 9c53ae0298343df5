import { createHash } from "node:crypto";
import { ApiError } from "../errors.js";
import type { ServiceDefinition } from "../service.js";
import type { SecretConfig } from "../topology.js";

/**
 * Secrets Manager (JSON 1.1): secrets are regional, like the real service (a replica in
 * the recovery region is a separate secret). The `removeSecret` fault deletes one to
 * rehearse "the recovery region is missing its credentials".
 *
 * A replica (`primaryRegion` set) is what Secrets Manager replication makes: the primary's
 * DescribeSecret reports each replica's ReplicationStatus, the replica names its primary.
 * The `secret-out-of-sync` fault sets a replica's status to Failed.
 */
export type ReplicationStatus = "InSync" | "Failed" | "InProgress";

export interface SecretModel {
  region: string;
  name: string;
  arn: string;
  value: string;
  description: string | undefined;
  versionId: string;
  createdAt: Date;
  /** Day of the last GetSecretValue (AWS keeps the date only). */
  lastAccessedDate: Date | undefined;
  replica:
    | { primaryRegion: string; kmsKeyId: string; status: ReplicationStatus; message: string }
    | undefined;
}

const STATUS_MESSAGES: Record<ReplicationStatus, string> = {
  InSync: "Replication succeeded",
  InProgress: "Replication in progress",
  Failed: "Access to KMS is not allowed",
};

export type SecretsState = Map<string, SecretModel>;

const key = (region: string, name: string) => `${region}/${name}`;

export function createSecretsState(configs: SecretConfig[] | undefined, accountId: string): SecretsState {
  const state: SecretsState = new Map();
  for (const c of configs ?? []) putSecret(state, c, accountId);
  return state;
}

export function putSecret(state: SecretsState, c: SecretConfig, accountId: string): void {
  // AWS appends six random characters to secret ARNs (the same for a replica in another
  // region); a hash of the name keeps them stable across runs and regions.
  const suffix = createHash("sha256").update(c.name).digest("hex").slice(0, 6);
  state.set(key(c.region, c.name), {
    region: c.region,
    name: c.name,
    arn: `arn:aws:secretsmanager:${c.region}:${accountId}:secret:${c.name}-${suffix}`,
    value: c.value,
    description: c.description,
    versionId: createHash("sha256").update(c.value).digest("hex").slice(0, 32),
    createdAt: new Date(),
    lastAccessedDate: undefined,
    replica:
      c.primaryRegion && c.primaryRegion !== c.region
        ? {
            primaryRegion: c.primaryRegion,
            kmsKeyId: c.kmsKeyId ?? "alias/aws/secretsmanager",
            status: "InSync",
            message: STATUS_MESSAGES.InSync,
          }
        : undefined,
  });
}

export function removeSecret(state: SecretsState, region: string, name: string): boolean {
  return state.delete(key(region, name));
}

/** Sets a replica's replication status (the message defaults to AWS's usual one for it). */
export function setReplicationStatus(
  state: SecretsState,
  region: string,
  name: string,
  status: ReplicationStatus,
  message?: string,
): void {
  const replica = state.get(key(region, name))?.replica;
  if (!replica) throw new Error(`no replica of the secret ${name} in ${region}`);
  replica.status = status;
  replica.message = message ?? STATUS_MESSAGES[status];
}

/** The replicas of a primary secret, in every other region. */
export function replicasOf(state: SecretsState, primary: SecretModel): SecretModel[] {
  return [...state.values()].filter(
    (s) => s.name === primary.name && s.replica?.primaryRegion === primary.region,
  );
}

export function secretsService(state: SecretsState, accountId: string): ServiceDefinition {
  const find = (region: string, id: string): SecretModel => {
    const secret =
      state.get(key(region, id)) ?? [...state.values()].find((s) => s.region === region && s.arn === id);
    if (!secret) {
      throw new ApiError(
        "ResourceNotFoundException",
        "Secrets Manager can't find the specified secret.",
        400,
      );
    }
    return secret;
  };
  const secretArn = (region: string, id: string): string => {
    if (id.startsWith("arn:")) return id;
    return state.get(key(region, id))?.arn ?? `arn:aws:secretsmanager:${region}:${accountId}:secret:${id}`;
  };
  return {
    name: "secretsmanager",
    json: { target: "secretsmanager", version: "1.1", namespace: "com.amazonaws.secretsmanager" },
    errors: {
      missing: "InvalidParameterException",
      invalid: "InvalidParameterException",
      unknownOperation: "UnknownOperationException",
      throttling: "ThrottlingException",
    },
    // The secret's ARN (with its random suffix); one the region does not hold, by its name.
    iam: {
      resources: {
        DescribeSecret: (p, ctx) => [secretArn(ctx.region, p.string("SecretId"))],
        GetSecretValue: (p, ctx) => [secretArn(ctx.region, p.string("SecretId"))],
      },
    },
    mutating: new Set(),
    operations: {
      DescribeSecret: (p, ctx) => {
        const s = find(ctx.region, p.string("SecretId"));
        const replicas = replicasOf(state, s);
        return {
          ARN: s.arn,
          Name: s.name,
          Description: s.description,
          KmsKeyId: s.replica?.kmsKeyId,
          CreatedDate: s.createdAt,
          LastChangedDate: s.createdAt,
          LastAccessedDate: s.lastAccessedDate,
          VersionIdsToStages: { [s.versionId]: ["AWSCURRENT"] },
          // A replica names its primary; a primary with replicas names itself and lists them.
          PrimaryRegion: s.replica?.primaryRegion ?? (replicas.length > 0 ? s.region : undefined),
          ReplicationStatus:
            replicas.length > 0
              ? replicas.map((r) => ({
                  Region: r.region,
                  KmsKeyId: r.replica?.kmsKeyId,
                  Status: r.replica?.status,
                  StatusMessage: r.replica?.message,
                  LastAccessedDate: r.lastAccessedDate,
                }))
              : undefined,
        };
      },
      GetSecretValue: (p, ctx) => {
        const s = find(ctx.region, p.string("SecretId"));
        const now = new Date();
        s.lastAccessedDate = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
        return {
          ARN: s.arn,
          Name: s.name,
          VersionId: s.versionId,
          SecretString: s.value,
          VersionStages: ["AWSCURRENT"],
          CreatedDate: s.createdAt,
        };
      },
    },
  };
}
