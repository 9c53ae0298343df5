import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { createClientFactory } from "../../src/aws/client-factory.js";
import type { ExecutorContext } from "../../src/executor.js";

/** A real executor context whose AWS clients talk to an emulator over HTTP. */
export function contextFor(emulatorUrl: string, overrides: Partial<ExecutorContext> = {}) {
  const aws = createClientFactory({
    endpoints: { "*": emulatorUrl },
    credentials: { accessKeyId: "AKIDSANDBOX", secretAccessKey: "sandbox-secret" },
  });
  const milestones: { name: string; at: Date }[] = [];
  const measures: { name: string; value: number }[] = [];
  const progress: string[] = [];
  const dir = mkdtempSync(join(tmpdir(), "runbook-exec-"));
  const ctx: ExecutorContext = {
    executionId: "test",
    stepId: "step",
    attempt: 1,
    signal: new AbortController().signal,
    logger: pino({ level: "silent" }),
    now: () => new Date(),
    cwd: dir,
    scratchDir: join(dir, "scratch"),
    env: {},
    secrets: () => [],
    aws,
    milestone: (name, at) => milestones.push({ name, at: at ?? new Date() }),
    measure: (name, value) => measures.push({ name, value }),
    progress: (message) => progress.push(message),
    requestApproval: () => Promise.reject(new Error("no approvals in executor tests")),
    ...overrides,
  };
  return { ctx, milestones, measures, progress, destroy: () => aws.destroy() };
}
