import { userInfo } from "node:os";
import type { AwsClientFactory } from "../executor.js";

/**
 * Who is acting: the AWS caller ARN when AWS credentials are configured (what CloudTrail
 * will also show), else `RUNBOOK_OPERATOR` when set (CI, shared jump hosts), else the OS user.
 */
export async function resolveIdentity(
  env: Record<string, string | undefined>,
  configured?: { aws: AwsClientFactory; region: string },
): Promise<string> {
  if (configured) {
    const arn = await callerArn(configured.aws, configured.region).catch(() => undefined);
    if (arn) return arn;
  }
  if (hasAwsCredentials(env)) {
    const arn = await awsCallerArn(env).catch(() => undefined);
    if (arn) return arn;
  }
  if (env.RUNBOOK_OPERATOR) return env.RUNBOOK_OPERATOR;
  try {
    return userInfo().username;
  } catch {
    return `uid:${process.getuid?.() ?? "?"}`;
  }
}

function hasAwsCredentials(env: Record<string, string | undefined>): boolean {
  return Boolean(
    (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) ||
      env.AWS_PROFILE ||
      env.AWS_WEB_IDENTITY_TOKEN_FILE,
  );
}

async function awsCallerArn(env: Record<string, string | undefined>): Promise<string | undefined> {
  const { STSClient, GetCallerIdentityCommand } = await import("@aws-sdk/client-sts");
  const client = new STSClient({
    region: env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? "us-east-1",
    maxAttempts: 1,
  });
  try {
    const out = await client.send(new GetCallerIdentityCommand({}), {
      abortSignal: AbortSignal.timeout(3000),
    });
    return out.Arn;
  } finally {
    client.destroy();
  }
}

async function callerArn(aws: AwsClientFactory, region: string): Promise<string | undefined> {
  return (await proveCaller(aws, region)).arn;
}

/**
 * The engine's own identity, proven the way an approver's is: STS says whose credentials these
 * are. It is the operator's approval (`--approve`, the terminal) where gates need identities.
 */
export async function proveCaller(
  aws: AwsClientFactory,
  region: string,
  signal?: AbortSignal,
): Promise<{ arn: string; requestId: string }> {
  const { GetCallerIdentityCommand } = await import("@aws-sdk/client-sts");
  const sts = await aws.client("sts", region);
  const timeout = AbortSignal.timeout(3000);
  const out = await sts.send(new GetCallerIdentityCommand({}), {
    abortSignal: signal ? AbortSignal.any([signal, timeout]) : timeout,
  });
  if (!out.Arn) throw new Error("STS GetCallerIdentity returned no ARN");
  return { arn: out.Arn, requestId: out.$metadata.requestId ?? "" };
}
