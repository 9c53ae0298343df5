import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { APP_CREDENTIALS, type DbAddress, type DbCredentials } from "../postgres/postgres-server.js";
import { findCase, insertCase, probeWritable, WriterPool } from "./case-store.js";
import { BadRequestError, closeServer, listenOnLoopback, readJsonBody, sendJson } from "./http-json.js";

/**
 * The sandbox's application: one small HTTP service per region that stores "cases" in
 * the database behind its region's writer endpoint.
 *
 *   GET  /health        the process is up (shallow, what a load balancer checks)
 *   GET  /health/deep   the database behind it accepts writes right now (a real write)
 *   POST /cases         JSON body → 201 {id, region}
 *   GET  /cases/:id     200 the case, or 404
 *
 * Every response carries `x-region`. Database failures are 503s, counted in `stats()`
 * (the numbers the emulated CloudWatch publishes as request and 5xx counts).
 */

export interface CaseApiOptions {
  region: string;
  /** Where this region's writer endpoint points right now; asked before every query. */
  resolveWriter: () => DbAddress | Promise<DbAddress>;
  /** Default: the sandbox's application role (`app`), as in the `case-api/db` secret. */
  credentials?: DbCredentials;
  /** 0 (default) picks a free port on first start; later starts reuse it. */
  port?: number;
}

export interface CaseApiStats {
  region: string;
  requests: number;
  errors5xx: number;
  byStatus: Record<number, number>;
}

export class CaseApi {
  readonly region: string;
  private readonly writers: WriterPool;
  private readonly server: Server;
  private port: number;
  private down = false;
  private counters = { requests: 0, errors5xx: 0, byStatus: {} as Record<number, number> };

  constructor(options: CaseApiOptions) {
    this.region = options.region;
    this.port = options.port ?? 0;
    this.writers = new WriterPool(options.resolveWriter, options.credentials ?? APP_CREDENTIALS);
    this.server = createServer((request, response) => void this.handle(request, response));
    this.server.keepAliveTimeout = 2_000;
  }

  /** Listens on 127.0.0.1; returns the base URL. */
  async start(): Promise<string> {
    this.port = await listenOnLoopback(this.server, this.port);
    this.down = false;
    return this.url;
  }

  /**
   * Creates the application's tables on the writer now rather than at the first request, as a
   * deployed application's migrations would have: a reconciliation reads them even when no
   * client wrote yet.
   */
  async migrate(): Promise<void> {
    await this.writers.current();
  }

  async stop(): Promise<void> {
    await closeServer(this.server);
    await this.writers.close();
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /**
   * Region-down fault: the port stops accepting (clients get ECONNREFUSED, as from a
   * region whose load balancer is gone); `false` listens again on the same port.
   */
  async setDown(down: boolean): Promise<void> {
    if (down === this.down) return;
    if (down) {
      this.down = true;
      await closeServer(this.server);
    } else {
      await this.start();
    }
  }

  isDown(): boolean {
    return this.down;
  }

  stats(): CaseApiStats {
    return { region: this.region, ...this.counters, byStatus: { ...this.counters.byStatus } };
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    response.on("finish", () => {
      this.counters.requests++;
      this.counters.byStatus[response.statusCode] = (this.counters.byStatus[response.statusCode] ?? 0) + 1;
      if (response.statusCode >= 500) this.counters.errors5xx++;
    });
    const headers = { "x-region": this.region };
    const path = new URL(request.url ?? "/", "http://case-api").pathname;
    try {
      if (request.method === "GET" && path === "/health") {
        sendJson(response, 200, { status: "ok", region: this.region }, headers);
      } else if (request.method === "GET" && path === "/health/deep") {
        const { pool, writer } = await this.writers.current();
        await probeWritable(pool, this.region);
        sendJson(response, 200, { status: "ok", region: this.region, writer }, headers);
      } else if (request.method === "POST" && path === "/cases") {
        const payload = await readJsonBody(request);
        const id = randomUUID();
        const { pool } = await this.writers.current();
        await insertCase(pool, { id, region: this.region, payload });
        sendJson(response, 201, { id, region: this.region }, headers);
      } else if (request.method === "GET" && path.startsWith("/cases/")) {
        const id = decodeURIComponent(path.slice("/cases/".length));
        if (!/^[0-9a-f-]{36}$/i.test(id)) throw new BadRequestError("case id must be a UUID");
        const { pool } = await this.writers.current();
        const found = await findCase(pool, id);
        if (found) sendJson(response, 200, found, headers);
        else sendJson(response, 404, { error: "not found", id }, headers);
      } else {
        sendJson(response, 404, { error: "no such route" }, headers);
      }
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (error instanceof BadRequestError) sendJson(response, 400, { error: message }, headers);
      else
        sendJson(
          response,
          503,
          { error: "database unavailable", detail: message, region: this.region },
          headers,
        );
    }
  }
}
