import { chmod, mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freeLoopbackPort } from "../../../src/sandbox/postgres/free-port.js";
import { PostgresServer } from "../../../src/sandbox/postgres/postgres-server.js";

describe("PostgresServer.start", () => {
  let dir: string;
  let holder: Server;
  let server: PostgresServer;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "runbook-pg-server-"));
    await chmod(dir, 0o755);
    const port = await freeLoopbackPort();
    holder = await new Promise<Server>((resolve, reject) => {
      const s = createServer();
      s.on("error", reject);
      s.listen(port, "127.0.0.1", () => resolve(s));
    });
    server = new PostgresServer({
      name: "pg-x",
      dataDir: join(dir, "pg-x"),
      logFile: join(dir, "pg-x.log"),
      port,
    });
    await server.initialise();
  });

  afterAll(async () => {
    await new Promise((resolve) => holder?.close(resolve));
    await server?.stop("immediate");
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("says which server failed and why, from the server's own log, when its port is taken", async () => {
    const failure = await server.start().then(
      () => undefined,
      (error: Error) => error.message,
    );
    expect(failure).toContain(`pg-x on port ${server.port} did not start`);
    expect(failure).toContain(join(dir, "pg-x.log"));
    expect(failure).toMatch(/could not bind|Address already in use/);
    expect(await server.isRunning()).toBe(false);
  });
});
