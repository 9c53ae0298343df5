import type { Client } from "pg";
import { ExecutorError } from "../executor.js";

/**
 * One short-lived connection per call: runbook steps run seconds apart and must not keep
 * sessions to a server that is about to be fenced or promoted. `pg` loads on first use.
 */
export async function withPostgres<T>(
  url: string,
  signal: AbortSignal,
  fn: (client: Client) => Promise<T>,
): Promise<T> {
  const { default: pg } = await import("pg");
  const client = new pg.Client({
    connectionString: url,
    connectionTimeoutMillis: 5000,
    statement_timeout: 30_000,
  });
  const onAbort = () => void client.end().catch(() => undefined);
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    await client.connect();
    return await fn(client);
  } catch (err) {
    throw classifyPg(err, url);
  } finally {
    signal.removeEventListener("abort", onAbort);
    await client.end().catch(() => undefined);
  }
}

/** Connection trouble is worth retrying; SQL errors are not. Never echo the password. */
function classifyPg(err: unknown, url: string): unknown {
  if (err instanceof ExecutorError) return err;
  const e = err as { code?: string; message?: string };
  const where = redactUrl(url);
  const message = `${where}: ${e.message ?? String(err)}`;
  const connection = ["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "57P01", "57P03", "08006", "08001"].includes(
    e.code ?? "",
  );
  if (connection || /timeout|terminat|Connection/i.test(e.message ?? ""))
    return new ExecutorError(message, "retryable", { cause: err });
  return new ExecutorError(message, "fatal", { cause: err });
}

export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "(postgres url)";
  }
}
