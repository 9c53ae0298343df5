import { z } from "zod";
import { defineExecutor, ExecutorError } from "../src/executor.js";

/**
 * The secrets a region needs exist there, before traffic moves: "secondary region missing
 * a secret" is a classic failed failover. Only metadata is read (DescribeSecret); with
 * `readable: true` the value is fetched to prove access, and never returned or logged.
 */
export const secretsExists = defineExecutor({
  type: "secrets.exists",
  summary: "Check that Secrets Manager secrets exist (and are readable) in a region",
  params: z.strictObject({
    region: z.string().min(1),
    secretIds: z.array(z.string().min(1)).min(1),
    readable: z.boolean().optional().describe("Also GetSecretValue, to prove this identity can read them"),
  }),
  aws: true,
  idempotent: true,
  readOnly: true,
  describe: (p) =>
    `Secrets Manager ${p.readable ? "GetSecretValue" : "DescribeSecret"} ${p.secretIds.join(", ")} in ${p.region}`,
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
    return { checked: p.secretIds.length };
  },
});
