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
  const { GetCallerIdentityCommand } = await import("@aws-sdk/client-sts");
  const sts = await aws.client("sts", region);
  return (await sts.send(new GetCallerIdentityCommand({}), { abortSignal: AbortSignal.timeout(3000) })).Arn;
}
