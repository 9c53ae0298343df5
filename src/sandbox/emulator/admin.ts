import type { IncomingMessage, ServerResponse } from "node:http";
import type { CallRecord } from "./call-log.js";
import { type FaultRequest, parseFault } from "./faults.js";

/**
 * The admin API under `/_sandbox/` on the main listener, so a separate CLI process can
 * inspect and fault a running emulator:
 *
 * - `GET  /_sandbox/state`            → the emulator's state as JSON
 * - `GET  /_sandbox/calls[?mutating=1]` → the call log
 * - `POST /_sandbox/fault`            → apply a FaultRequest (JSON body)
 * - `POST /_sandbox/calls/clear`      → empty the call log
 */
export interface AdminTarget {
  snapshot(): unknown;
  calls: CallRecord[];
  mutatingCalls(): CallRecord[];
  clearCalls(): void;
  applyFault(fault: FaultRequest): Promise<void>;
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
    } else {
      send(res, 404, { error: `no admin route ${route}` });
    }
  };
}

function applyFault(target: AdminTarget, res: ServerResponse, body: string): void {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    send(res, 400, { error: "body is not JSON" });
    return;
  }
  const fault = parseFault(parsed);
  if (typeof fault === "string") {
    send(res, 400, { error: fault });
    return;
  }
  target.applyFault(fault).then(
    () => send(res, 200, { ok: true, fault }),
    (error: unknown) => send(res, 400, { error: String(error) }),
  );
}
