import { UsageError } from "../errors.js";
import type { ExecutorDefinition } from "../executor.js";
import { hasExpression, renderTemplate, type Scope } from "../language/expressions.js";
import { executorSteps, type Runbook } from "../language/runbook.js";

/**
 * Which account each AWS step and probe calls into. `account:` is an id, an alias of the
 * environment, or `${{ vars.x }}` (validation allows only vars and env there), so every
 * account is known before anything runs: the account guard checks them all first.
 */

/** A step's `account:` with its expression rendered: an alias or an id; `undefined`: the base credentials. */
export function renderAccountRef(account: string | undefined, scope: Scope): string | undefined {
  if (account === undefined || !hasExpression(account)) return account;
  const value = renderTemplate(account, scope);
  if (typeof value !== "string" && typeof value !== "number") return "";
  return String(value);
}

export interface AccountUse {
  /** The account id; `undefined`: whatever account the base credentials are in. */
  account: string | undefined;
  /** As the runbook wrote it, when it names one (`recovery`). */
  written?: string;
  /** Step ids (and `abort:<id>` for probes) whose calls go there. */
  steps: string[];
}

/** Every account the runbook's AWS steps, onAbort steps and abort probes call into. */
export function accountsTouched(
  runbook: Runbook,
  registry: ReadonlyMap<string, ExecutorDefinition>,
  scope: Scope,
  accountId: (ref: string | undefined) => string | undefined,
): AccountUse[] {
  const uses = new Map<string | undefined, AccountUse>();
  const add = (id: string, type: string, account: string | undefined) => {
    if (!registry.get(type)?.aws) return;
    const written = renderAccountRef(account, scope);
    if (written === "")
      throw new UsageError(
        `step "${id}": account ${account} gave no account (is the var defined in the environment?)`,
      );
    let resolved: string | undefined;
    try {
      resolved = accountId(written);
    } catch (err) {
      if (!(err instanceof UsageError)) throw err;
      throw new UsageError(`step "${id}" (${runbook.file}): ${err.message}`, err.hint);
    }
    const use = uses.get(resolved) ?? { account: resolved, steps: [] };
    if (written !== undefined && written !== resolved) use.written ??= written;
    use.steps.push(id);
    uses.set(resolved, use);
  };
  for (const s of [...executorSteps(runbook.steps), ...runbook.onAbort]) add(s.id, s.type, s.account);
  for (const a of runbook.abort) add(`abort:${a.id}`, a.probe.type, a.probe.account);
  return [...uses.values()];
}
