import type { IncomingMessage, ServerResponse } from "node:http";
import type { CallRecord } from "./call-log.js";
import { type FaultRequest, parseFault } from "./faults.js";
import { type IamCommand, IamCommandError, parseIamCommand } from "./iam/iam-admin.js";
import type { IamView } from "./iam/iam-model.js";

/**
 * The admin API under `/_sandbox/` on the main listener, so a separate CLI process can
 * inspect and fault a running emulator:
 *
 * - `GET  /_sandbox/state`            → the emulator's state as JSON
 * - `GET  /_sandbox/calls[?mutating=1]` → the call log
 * - `POST /_sandbox/fault`            → apply a FaultRequest (JSON body)
 * - `POST /_sandbox/calls/clear`      → empty the call log
 * - `GET  /_sandbox/iam`              → principals, policies, denies, enforcement (no secret keys)
 * - `POST /_sandbox/iam`              → an IamCommand (JSON body): enforce, attach, reset, session-lifetime
 */
export interface AdminTarget {
  snapshot(): unknown;
  calls: CallRecord[];
  mutatingCalls(): CallRecord[];
  clearCalls(): void;
  applyFault(fault: FaultRequest): Promise<void>;
  iamView(): IamView;
  iamCommand(command: IamCommand): Promise<IamView>;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

export function adminHandler(target: AdminTarget) {
  return (req: IncomingMessage, res: ServerResponse, body: string): void => {
    const url = new URL(req.url ?? "/", "http://sandbox");
    const route = `${req.method} ${url.pathname}`;
    if (route === "GET /_sandbox/state") {
      send(res, 200, target.snapshot());
    } else if (route === "GET /_sandbox/calls") {
      send(res, 200, url.searchParams.get("mutating") === "1" ? target.mutatingCalls() : target.calls);
    } else if (route === "POST /_sandbox/calls/clear") {
      target.clearCalls();
      send(res, 200, { ok: true });
    } else if (route === "POST /_sandbox/fault") {
      applyFault(target, res, body);
    } else if (route === "GET /_sandbox/iam") {
      send(res, 200, target.iamView());
    } else if (route === "POST /_sandbox/iam") {
      iamCommand(target, res, body);
    } else {
      send(res, 404, { error: `no admin route ${route}` });
    }
  };
}

/** A POSTed JSON command: parsed (a string is the reason it is refused), then applied. */
function jsonCommand<T>(
  res: ServerResponse,
  body: string,
  parse: (value: unknown) => T | string,
  apply: (command: T) => Promise<unknown>,
): void {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    send(res, 400, { error: "body is not JSON" });
    return;
  }
  const command = parse(parsed);
  if (typeof command === "string") {
    send(res, 400, { error: command });
    return;
  }
  apply(command).then(
    (reply) => send(res, 200, { ok: true, ...(reply as object) }),
    (error: unknown) =>
      send(res, error instanceof IamCommandError || !(error instanceof Error) ? 400 : 500, {
        error: error instanceof Error ? error.message : String(error),
      }),
  );
}

function iamCommand(target: AdminTarget, res: ServerResponse, body: string): void {
  jsonCommand(res, body, parseIamCommand, async (command) => ({ iam: await target.iamCommand(command) }));
}

function applyFault(target: AdminTarget, res: ServerResponse, body: string): void {
  jsonCommand(res, body, parseFault, async (fault) => {
    try {
      await target.applyFault(fault);
    } catch (error) {
      // A fault that cannot be applied is the request's fault, not the emulator's.
      throw String(error);
    }
    return { fault };
  });
}
