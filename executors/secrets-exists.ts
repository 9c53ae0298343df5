import { z } from "zod";
import { replicationStatuses } from "../src/aws/secret-replication.js";
import { defineExecutor, ExecutorError } from "../src/executor.js";
import { allow, arnPart, isArn, listOf, regionsOf, resourceArn } from "../src/iam/arn.js";
import type { PermissionScope } from "../src/iam/permission.js";

/**
 * The secrets a region needs exist there, before traffic moves: "secondary region missing
 * a secret" is a classic failed failover. Only metadata is read (DescribeSecret); with
 * `readable: true` the value is fetched to prove access, and never returned or logged.
 * With `replication`, each must also be a replica InSync with its primary (as the primary
 * region reports it): a replica whose replication failed may hold an old password.
 */
export const secretsExists = defineExecutor({
  type: "secrets.exists",
  summary: "Check that Secrets Manager secrets exist (and are readable, and replicated in sync) in a region",
  params: z
    .strictObject({
      region: z.string().min(1),
      secretIds: z.array(z.string().min(1)).min(1),
      readable: z.boolean().optional().describe("Also GetSecretValue, to prove this identity can read them"),
      replication: z
        .strictObject({
          from: z
            .string()
            .min(1)
            .describe(
              "The primary secrets' region; their ReplicationStatus for `region` must be InSync there",
            ),
        })
        .optional()
        .describe(
          "Require each secret to be a replica in sync with its primary (read in the primary region)",
        ),
    })
    .refine((p) => p.replication?.from !== p.region, {
      message: "replication.from is the primary's region: another region than region",
      path: ["replication", "from"],
    }),
  aws: true,
  permissions(p, scope) {
    const arns = secretArns(listOf(p.secretIds), scope, p.region);
    const regions = regionsOf(p.region);
    return {
      run: [
        allow("secretsmanager:DescribeSecret", arns, regions),
        // `readable` may be known only at run time: then it may be true.
        ...(p.readable === undefined || p.readable === false
          ? []
          : [allow("secretsmanager:GetSecretValue", arns, regions)]),
        // Replication is read from the primary secrets, in their region.
        ...(p.replication
          ? [
              allow(
                "secretsmanager:DescribeSecret",
                secretArns(listOf(p.secretIds), scope, p.replication.from),
                regionsOf(p.replication.from),
              ),
            ]
          : []),
      ],
    };
  },
  idempotent: true,
  readOnly: true,
  describe: (p) =>
    `Secrets Manager ${p.readable ? "GetSecretValue" : "DescribeSecret"} ${p.secretIds.join(", ")} in ${p.region}${
      p.replication
        ? `; ReplicationStatus for ${p.region} InSync (DescribeSecret in ${p.replication.from})`
        : ""
    }`,
  async run(p, ctx) {
    const { DescribeSecretCommand, GetSecretValueCommand } = await import("@aws-sdk/client-secrets-manager");
    const sm = await ctx.aws.client("secrets-manager", p.region);
    const missing: string[] = [];
    for (const id of p.secretIds) {
      try {
        await sm.send(new DescribeSecretCommand({ SecretId: id }), { abortSignal: ctx.signal });
        if (p.readable)
          await sm.send(new GetSecretValueCommand({ SecretId: id }), { abortSignal: ctx.signal });
      } catch (err) {
        if ((err as { name?: string }).name !== "ResourceNotFoundException") throw err;
        missing.push(id);
      }
    }
    if (missing.length) {
      throw new ExecutorError(
        `missing in ${p.region}: ${missing.join(", ")}. Replicate them there (Secrets Manager replica regions) before failing over.`,
        "fatal",
      );
    }
    if (p.replication) {
      const replication = await replicationStatuses(p.secretIds, p.region, p.replication.from, ctx);
      return { checked: p.secretIds.length, replication };
    }
    return { checked: p.secretIds.length };
  },
});

/** A secret's ARN ends in `-` and six random characters: `-??????` matches exactly those. */
function secretArns(ids: readonly unknown[], scope: PermissionScope, region: unknown): string[] {
  return ids.map((id) => {
    if (isArn(id)) return id;
    const name = arnPart(id);
    return resourceArn(
      "secretsmanager",
      "Secret",
      { SecretId: name === "*" ? "*" : `${name}-??????` },
      scope,
      region,
    );
  });
}
