import type { AssumeRoleCommandOutput, STSClient } from "@aws-sdk/client-sts";
import type { EnvironmentRole } from "../environment/aws-roles.js";
import type { CredentialProvider, StaticCredentials } from "./client-factory.js";

/**
 * An assumed role's credentials as the SDK asks for them before signing: STS AssumeRole with
 * the base credentials on first use, and again before the session expires, however long a
 * step waits. They live only in memory, inside the SDK's clients.
 */

/**
 * When to renew: the SDK renews 5 minutes before expiry, which is every call for a session
 * shorter than that. Renew at half the session's lifetime then, so a short session (the
 * sandbox, tests) is still reused and never used expired.
 */
export function needsRefresh(expiration: Date, obtainedAt: number | undefined, now = Date.now()): boolean {
  const FIVE_MINUTES = 300_000;
  const lifetime = expiration.getTime() - (obtainedAt ?? expiration.getTime() - 2 * FIVE_MINUTES);
  return expiration.getTime() - now < Math.min(FIVE_MINUTES, lifetime / 2);
}

/** A memoized provider: AssumeRole on first use, again when the session nears its expiry. */
export function assumedRoleCredentials(
  role: EnvironmentRole,
  sessionName: string,
  stsClient: () => Promise<STSClient>,
): CredentialProvider {
  const obtained = new WeakMap<object, number>();
  const assume = async (): Promise<StaticCredentials> => {
    const { AssumeRoleCommand } = await import("@aws-sdk/client-sts");
    const sts = await stsClient();
    let out: AssumeRoleCommandOutput;
    try {
      out = await sts.send(
        new AssumeRoleCommand({
          RoleArn: role.roleArn,
          RoleSessionName: sessionName,
          ...(role.externalId ? { ExternalId: role.externalId } : {}),
          ...(role.durationSeconds ? { DurationSeconds: role.durationSeconds } : {}),
        }),
        { abortSignal: AbortSignal.timeout(15_000) },
      );
    } catch (err) {
      throw assumeFailed(role, err);
    }
    const c = out.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken || !c.Expiration)
      throw assumeFailed(role, new Error("STS answered without credentials"));
    const credentials = {
      accessKeyId: c.AccessKeyId,
      secretAccessKey: c.SecretAccessKey,
      sessionToken: c.SessionToken,
      expiration: c.Expiration,
    };
    obtained.set(credentials, Date.now());
    return credentials;
  };
  let provider: Promise<CredentialProvider> | undefined;
  const memoized = async () => {
    provider ??= import("@smithy/core").then(
      ({ memoizeIdentityProvider, doesIdentityRequireRefresh }) =>
        memoizeIdentityProvider<StaticCredentials>(
          assume,
          (id) => id.expiration !== undefined && needsRefresh(id.expiration, obtained.get(id)),
          doesIdentityRequireRefresh,
        ) as CredentialProvider,
    );
    return (await provider)();
  };
  // The SDK wraps a provider not marked memoized in its own 5-minute window; this one has its own.
  return Object.assign(memoized, { memoized: true });
}

/** AssumeRole failed: keep the SDK error's name and status (they classify it), say which role. */
function assumeFailed(role: EnvironmentRole, err: unknown): Error {
  const e = err as { name?: string; message?: string; $metadata?: unknown; $retryable?: unknown };
  const out = new Error(
    `cannot assume ${role.roleArn} for account ${role.account} (STS AssumeRole: ${e?.message ?? String(err)})`,
    { cause: err },
  );
  out.name = e?.name ?? "Error";
  return Object.assign(out, {
    ...(e?.$metadata ? { $metadata: e.$metadata } : {}),
    ...(e?.$retryable ? { $retryable: e.$retryable } : {}),
  });
}
