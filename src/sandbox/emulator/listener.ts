import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Socket } from "node:net";

/**
 * One loopback HTTP listener whose reachability can be broken on purpose, the way an
 * ARC cluster endpoint (or a whole region) fails in real life:
 *
 * - `down`: connection refused. The listener is closed and open sockets destroyed, so
 *   the SDK sees ECONNREFUSED (new connection) or ECONNRESET (kept-alive one).
 * - `blackhole`: connections are accepted and requests read, but never answered; only a
 *   client-side timeout ends the call.
 * - `slow`: every answer is delayed by `delayMs`.
 * - `up`: normal.
 */
export type ListenerMode = "up" | "down" | "blackhole" | "slow";

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

export class Listener {
  mode: ListenerMode = "up";
  delayMs = 0;
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private boundPort = 0;

  /** Set when the requested address could not be bound and 127.0.0.1 was used instead. */
  fallbackReason: string | undefined;

  constructor(
    readonly name: string,
    public host: string,
    private readonly handler: RequestHandler,
  ) {}

  get port(): number {
    return this.boundPort;
  }

  get url(): string {
    return `http://${this.host}:${this.boundPort}`;
  }

  /**
   * Binds `port` (0 = a free one; later restarts reuse the first port bound). Linux answers
   * on all of 127.0.0.0/8; where only 127.0.0.1 exists (macOS by default) the listener falls
   * back to it, on its own port, and says so in `fallbackReason`.
   */
  async start(port = this.boundPort): Promise<void> {
    try {
      await this.bind(port);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EADDRNOTAVAIL" || this.host === "127.0.0.1") throw error;
      this.fallbackReason = `${this.host} is not a local address here; ${this.name} listens on 127.0.0.1 instead`;
      this.host = "127.0.0.1";
      await this.bind(port);
    }
  }

  private async bind(port: number): Promise<void> {
    const server = createServer({ keepAliveTimeout: 5_000 }, (req, res) => this.onRequest(req, res));
    server.on("connection", (socket) => {
      this.sockets.add(socket);
      socket.on("close", () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, this.host, () => {
        server.off("error", reject);
        resolve();
      });
    });
    const address = server.address();
    if (address && typeof address === "object") this.boundPort = address.port;
    this.server = server;
  }

  async setMode(mode: ListenerMode, delayMs = 0): Promise<void> {
    const wasDown = this.mode === "down";
    this.mode = mode;
    this.delayMs = delayMs;
    if (mode === "down" && !wasDown) await this.stop();
    if (mode !== "down" && wasDown) await this.start();
  }

  /** Closes the listener and every socket, including blackholed ones that would never end. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    if (this.mode === "blackhole") {
      // Drain the body so the client finishes sending, then never answer.
      req.resume();
      return;
    }
    if (this.mode === "slow" && this.delayMs > 0) {
      setTimeout(() => this.handler(req, res), this.delayMs);
      return;
    }
    this.handler(req, res);
  }
}
