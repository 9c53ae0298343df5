import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { BadRequestError, closeServer, listenOnLoopback, readJsonBody, sendJson } from "../apps/http-json.js";
import { FaultUsageError } from "./fault-catalog.js";
import type { SandboxStatus } from "./status.js";

/**
 * The supervisor's control API on 127.0.0.1, for the `runbook sandbox` commands run in
 * other shells (the emulator's own admin API, `/_sandbox/…` on the emulator URL, serves
 * its state, call log and API-level faults):
 *
 *   GET  /status                          → SandboxStatus
 *   POST /fault {name, args[], clear}     → {ok, message} | 400 {error} (bad arguments)
 *   POST /reset                           → {ok} once back to the initial topology
 *   POST /shutdown                        → {ok}, then the supervisor stops everything and exits
 */

export interface ControlTarget {
  status(): Promise<SandboxStatus>;
  fault(name: string, args: readonly string[], clear: boolean): Promise<string>;
  reset(): Promise<void>;
  onShutdownRequested: (() => void) | undefined;
}

export class ControlServer {
  private readonly server: Server;
  private port = 0;

  constructor(private readonly target: ControlTarget) {
    this.server = createServer((req, res) => void this.handle(req, res));
  }

  async start(port = 0): Promise<string> {
    this.port = await listenOnLoopback(this.server, port);
    return this.url;
  }

  stop(): Promise<void> {
    return closeServer(this.server);
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const route = `${req.method} ${new URL(req.url ?? "/", "http://control").pathname}`;
    try {
      if (route === "GET /status") {
        sendJson(res, 200, await this.target.status());
      } else if (route === "POST /fault") {
        const body = (await readJsonBody(req)) as { name?: unknown; args?: unknown; clear?: unknown };
        const args = Array.isArray(body.args) ? body.args.map(String) : [];
        if (typeof body.name !== "string") {
          sendJson(res, 400, { error: "fault needs a name" });
          return;
        }
        const message = await this.target.fault(body.name, args, body.clear === true);
        sendJson(res, 200, { ok: true, message });
      } else if (route === "POST /reset") {
        await this.target.reset();
        sendJson(res, 200, { ok: true });
      } else if (route === "POST /shutdown") {
        sendJson(res, 200, { ok: true });
        setImmediate(() => this.target.onShutdownRequested?.());
      } else {
        sendJson(res, 404, { error: `no control route ${route}` });
      }
    } catch (error) {
      const usage = error instanceof FaultUsageError || error instanceof BadRequestError;
      const message = error instanceof Error ? error.message : String(error);
      sendJson(res, usage ? 400 : 500, { error: message });
    }
  }
}
