import { initError, invokeBundle, loadBundle } from "./local-invoke.js";

/**
 * A warm Lambda container for the sandbox: a child process (forked with an IPC channel) whose
 * environment is the function's only (its variables, its role's keys, AWS_REGION). The code is
 * the folder given as its argument, else LAMBDA_TASK_ROOT, else its working directory; the
 * handler is _HANDLER (default `index.handler`), as in Lambda's own runtime.
 *
 * Protocol, JSON over the IPC channel:
 *   worker → parent, once:  { ready: true } | { ready: false, error: { errorType, errorMessage } }
 *   parent → worker:        { id, event, deadlineMs }   (id: string or number; deadlineMs: epoch ms)
 *   worker → parent:        { id, result }              (result: { payload } | { error: { errorType, errorMessage } })
 * Invocations may overlap; each answer carries its id. The worker exits when the channel closes.
 */

interface Invocation {
  id: unknown;
  event: unknown;
  deadlineMs: number;
}

const dir = process.argv[2] || process.env.LAMBDA_TASK_ROOT || process.cwd();
const send = (message: unknown) => process.send?.(message);

if (!process.send) {
  process.stderr.write("worker-main must be forked with an IPC channel\n");
  process.exit(2);
}

process.on("message", (m: Invocation) => {
  const left = Number(m?.deadlineMs) - Date.now();
  const timeoutMs = Number.isFinite(left) ? Math.max(0, left) : 0;
  const requestId = typeof m?.id === "string" ? m.id : undefined;
  void invokeBundle(dir, m?.event, { timeoutMs, ...(requestId ? { requestId } : {}) }).then((result) =>
    send({ id: m?.id, result }),
  );
});
process.on("disconnect", () => process.exit(0));

loadBundle(dir).then(
  () => send({ ready: true }),
  (err: unknown) => send({ ready: false, error: initError(err) }),
);
