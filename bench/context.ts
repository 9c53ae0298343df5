import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { createClientFactory } from "../src/aws/client-factory.js";
import type { ExecutorContext } from "../src/executor.js";

/** A real executor context for the benches: SDK clients pointed at `endpoint`, nothing journaled. */
export function benchContext(
  endpoint: string,
  credentials: { accessKeyId: string; secretAccessKey: string } = {
    accessKeyId: "bench",
    secretAccessKey: "bench",
  },
): ExecutorContext & { destroy(): void } {
  const aws = createClientFactory({ endpoints: { "*": endpoint }, credentials });
  const dir = mkdtempSync(join(tmpdir(), "runbook-bench-"));
  return {
    executionId: "bench",
    stepId: "bench",
    attempt: 1,
    signal: new AbortController().signal,
    logger: pino({ level: "silent" }),
    now: () => new Date(),
    cwd: dir,
    scratchDir: dir,
    env: {},
    aws,
    milestone: () => undefined,
    measure: () => undefined,
    progress: () => undefined,
    requestApproval: () => Promise.reject(new Error("no approvals in a bench")),
    destroy: () => aws.destroy(),
  };
}
