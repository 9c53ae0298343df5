import { z } from "zod";
import { operationError } from "../src/aws/sdk-operation.js";
import { defineExecutor, fatal, retryable } from "../src/executor.js";
import { allow, isKnown, regionsOf, resourceArn } from "../src/iam/arn.js";

/** Key states that end by themselves; any other non-Enabled state needs a person. */
const PASSING = new Set(["Creating", "Updating"]);

/**
 * The KMS key the recovery region decrypts with is there and usable: it exists in the
 * region, it is a multi-Region key (the replica, or the primary itself, so ciphertext from
 * the other region decrypts), and its KeyState is Enabled. Read-only: a pre-check or an
 * abort probe. "Secrets and data only decryptable in the primary region" is a classic
 * failed failover.
 */
export const kmsKeyReady = defineExecutor({
  type: "kms.key-ready",
  summary: "Check that a KMS multi-Region key (replica) exists and is Enabled in a region",
  params: z.strictObject({
    region: z.string().min(1).describe("The recovery region"),
    keyId: z.string().min(1).describe("alias/<name>, a key id (mrk-…), a key ARN or an alias ARN"),
  }),
  aws: true,
  permissions(p, scope) {
    // IAM authorizes DescribeKey on the key, never on an alias: through an alias (or an id
    // known only at run time) that is any key of the region.
    const keyArn =
      isKnown(p.keyId) && /^arn:[^:]+:kms:[^:]*:[^:]*:key\//.test(p.keyId)
        ? p.keyId
        : resourceArn(
            "kms",
            "key",
            { KeyId: isKnown(p.keyId) && !/^(alias\/|arn:)/.test(p.keyId) ? p.keyId : undefined },
            scope,
            p.region,
          );
    return { run: [allow("kms:DescribeKey", [keyArn], regionsOf(p.region))] };
  },
  idempotent: true,
  readOnly: true,
  describe: (p) => `KMS DescribeKey ${p.keyId} in ${p.region}: a multi-Region key, Enabled`,
  async run(p, ctx) {
    const { DescribeKeyCommand } = await import("@aws-sdk/client-kms");
    const kms = await ctx.aws.client("kms", p.region);
    const out = await kms
      .send(new DescribeKeyCommand({ KeyId: p.keyId }), { abortSignal: ctx.signal })
      .catch((err: unknown) => {
        if ((err as { name?: string }).name === "NotFoundException")
          throw fatal(
            `KMS key ${p.keyId} not found in ${p.region} (${(err as Error).message}): replicate the multi-Region key there (ReplicateKey) and give the replica the alias`,
            err,
          );
        throw operationError(err, "kms", "DescribeKey", p.region);
      });
    const key = out.KeyMetadata;
    if (!key) throw fatal(`DescribeKey ${p.keyId} in ${p.region} returned no key metadata`);
    const name = `${p.keyId} in ${p.region} (${key.Arn})`;
    if (!key.MultiRegion)
      throw fatal(
        `${name} is a single-Region key: what was encrypted in another region cannot be decrypted with it; use a multi-Region key and its replica`,
      );
    const state = key.KeyState ?? "unknown";
    if (state !== "Enabled") {
      const when = key.DeletionDate
        ? ` (deletion on ${key.DeletionDate.toISOString()}; CancelKeyDeletion)`
        : "";
      const message = `${name} is ${state}${when}, not Enabled`;
      throw PASSING.has(state) ? retryable(message) : fatal(message);
    }
    const config = key.MultiRegionConfiguration;
    return {
      keyArn: key.Arn,
      keyId: key.KeyId,
      keyState: state,
      multiRegionKeyType: config?.MultiRegionKeyType,
      primaryRegion: config?.PrimaryKey?.Region,
    };
  },
});
