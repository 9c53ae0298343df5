import pino, { type Logger } from "pino";
import type { Redactor } from "./redact.js";

/**
 * The engine's log (`executions/<id>/engine.log`): what the journal leaves out, such as an SDK
 * error's name, request id and stack. Everything on its way there goes through the redactor,
 * as the journal does: secrets never reach it, whoever logs.
 */
export function createEngineLogger(path: string, executionId: string, redactor: Redactor): Logger {
  return pino(
    {
      base: { executionId },
      formatters: { log: (fields) => redactor.value(serializeErrors(fields)) },
      hooks: {
        logMethod(args, method) {
          const scrubbed = args.map((a: unknown) => (typeof a === "string" ? redactor.string(a) : a));
          method.apply(this, scrubbed as Parameters<typeof method>);
        },
      },
    },
    pino.destination({ dest: path, sync: true, mkdir: true }),
  );
}

// pino serializes errors after this hook runs; done here, the redactor sees message and stack.
function serializeErrors(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) out[k] = v instanceof Error ? pino.stdSerializers.err(v) : v;
  return out;
}
