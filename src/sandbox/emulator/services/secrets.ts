import { createHash } from "node:crypto";
import { ApiError } from "../errors.js";
import type { ServiceDefinition } from "../service.js";
import type { SecretConfig } from "../topology.js";

/**
 * Secrets Manager (JSON 1.1): secrets are regional, like the real service (a replica in
 * the recovery region is a separate secret). The `removeSecret` fault deletes one to
 * rehearse "the recovery region is missing its credentials".
 */
export interface SecretModel {
  region: string;
  name: string;
  arn: string;
  value: string;
  description: string | undefined;
  versionId: string;
  createdAt: Date;
}

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
  });
}

export function removeSecret(state: SecretsState, region: string, name: string): boolean {
  return state.delete(key(region, name));
}

export function secretsService(state: SecretsState): ServiceDefinition {
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
  return {
    name: "secretsmanager",
    json: { target: "secretsmanager", version: "1.1", namespace: "com.amazonaws.secretsmanager" },
    errors: {
      missing: "InvalidParameterException",
      invalid: "InvalidParameterException",
      unknownOperation: "UnknownOperationException",
      throttling: "ThrottlingException",
    },
    mutating: new Set(),
    operations: {
      DescribeSecret: (p, ctx) => {
        const s = find(ctx.region, p.string("SecretId"));
        return {
          ARN: s.arn,
          Name: s.name,
          Description: s.description,
          CreatedDate: s.createdAt,
          LastChangedDate: s.createdAt,
          VersionIdsToStages: { [s.versionId]: ["AWSCURRENT"] },
        };
      },
      GetSecretValue: (p, ctx) => {
        const s = find(ctx.region, p.string("SecretId"));
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
