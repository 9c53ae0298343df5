import type { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { type ExecutorContext, ExecutorError, fatal } from "../executor.js";
import { operationError } from "./sdk-operation.js";

/**
 * Secrets Manager replication as the primary region reports it: DescribeSecret there lists
 * each replica region's ReplicationStatus (InSync, InProgress, Failed) and StatusMessage.
 * A replica that is not InSync may hold an old value (a rotation that never arrived): the
 * recovery region would start with credentials that no longer work.
 */
export async function replicationStatuses(
  secretIds: readonly string[],
  replicaRegion: string,
  primaryRegion: string,
  ctx: ExecutorContext,
): Promise<Record<string, string>> {
  const { DescribeSecretCommand } = await import("@aws-sdk/client-secrets-manager");
  const sm: SecretsManagerClient = await ctx.aws.client("secrets-manager", primaryRegion);
  const statuses: Record<string, string> = {};
  const problems: { message: string; fatal: boolean }[] = [];
  for (const id of secretIds) {
    const out = await sm
      .send(new DescribeSecretCommand({ SecretId: id }), { abortSignal: ctx.signal })
      .catch((err: unknown) => {
        if ((err as { name?: string }).name === "ResourceNotFoundException")
          throw fatal(`${id} does not exist in ${primaryRegion}, given as its primary region`, err);
        throw operationError(err, "secrets-manager", "DescribeSecret", primaryRegion);
      });
    const entry = out.ReplicationStatus?.find((r) => r.Region === replicaRegion);
    if (!entry) {
      const elsewhere = (out.ReplicationStatus ?? []).map((r) => r.Region).join(", ");
      problems.push({
        message: `${id} is not replicated from ${primaryRegion} to ${replicaRegion} (replica regions: ${elsewhere || "none"})`,
        fatal: true,
      });
      continue;
    }
    const status = entry.Status ?? "unknown";
    statuses[id] = status;
    if (status !== "InSync") {
      const why = entry.StatusMessage ? `: ${entry.StatusMessage}` : "";
      // InProgress ends by itself; Failed (a KMS key the replica cannot use, a name clash) needs a person.
      problems.push({
        message: `${id} replication to ${replicaRegion} is ${status}${why}`,
        fatal: status !== "InProgress",
      });
    }
  }
  if (problems.length) {
    throw new ExecutorError(
      `${problems.map((p) => p.message).join("; ")}. The replica may hold an old value: fix replication (or ReplicateSecretToRegions) before failing over.`,
      problems.some((p) => p.fatal) ? "fatal" : "retryable",
    );
  }
  return statuses;
}
