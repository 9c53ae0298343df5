import { ExitCode, RunbookError } from "../errors.js";
import type { AwsClientFactory, ExecutorDefinition } from "../executor.js";
import { executorSteps, type Runbook } from "../language/runbook.js";

/** The credentials in use belong to an account the runbook or environment does not allow. */
export class AccountGuardError extends RunbookError {
  readonly exitCode = ExitCode.invalid;
}

/**
 * Before the first AWS side effect: STS GetCallerIdentity, and stop, touching nothing, when
 * the account is not one the runbook (`metadata.accounts`) or environment allows. A
 * runbook with no AWS step needs no AWS credentials, so it is not checked.
 */
export async function guardAccount(
  runbook: Runbook,
  registry: ReadonlyMap<string, ExecutorDefinition>,
  allowed: { runbook?: string[]; environment?: string[] },
  aws: AwsClientFactory,
  region: string,
): Promise<string | undefined> {
  const lists = [allowed.runbook, allowed.environment].filter((l): l is string[] => Boolean(l?.length));
  if (lists.length === 0) return undefined;
  const usesAws = [...executorSteps(runbook.steps), ...runbook.onAbort].some(
    (s) => registry.get(s.type)?.aws,
  );
  const probesAws = runbook.abort.some((a) => registry.get(a.probe.type)?.aws);
  if (!usesAws && !probesAws) return undefined;
  const { GetCallerIdentityCommand } = await import("@aws-sdk/client-sts");
  const sts = await aws.client("sts", region);
  let account: string | undefined;
  try {
    account = (await sts.send(new GetCallerIdentityCommand({}), { abortSignal: AbortSignal.timeout(10_000) }))
      .Account;
  } catch (err) {
    throw new AccountGuardError(
      `cannot tell which AWS account these credentials belong to (STS GetCallerIdentity: ${(err as Error).message}); nothing was touched`,
      "Check your AWS credentials (AWS_PROFILE, SSO login) and region.",
    );
  }
  for (const list of lists) {
    if (!account || !list.includes(account)) {
      throw new AccountGuardError(
        `AWS account ${account ?? "unknown"} is not allowed for runbook ${runbook.name} (allowed: ${list.join(", ")}); nothing was touched`,
        "Use credentials for the right account, or the right --env.",
      );
    }
  }
  return account;
}
