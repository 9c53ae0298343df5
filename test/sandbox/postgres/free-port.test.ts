import { createServer, type Server } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import {
  ephemeralLow,
  freeLoopbackPort,
  sameOrFreeLoopbackPort,
} from "../../../src/sandbox/postgres/free-port.js";

const listenOn = (port: number) =>
  new Promise<Server>((resolve, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(port, "127.0.0.1", () => resolve(server));
  });

describe("freeLoopbackPort", () => {
  const held: Server[] = [];
  afterEach(async () => {
    await Promise.all(held.splice(0).map((s) => new Promise((r) => s.close(r))));
  });

  it("picks a port below the range outgoing connections take theirs from", async () => {
    const low = ephemeralLow();
    expect(low).toBeGreaterThan(1024);
    for (let i = 0; i < 20; i++) {
      const port = await freeLoopbackPort();
      expect(port).toBeGreaterThanOrEqual(10000);
      expect(port).toBeLessThan(low);
    }
  });

  it("passes over a port something already listens on", async () => {
    const taken = await freeLoopbackPort();
    held.push(await listenOn(taken));
    const high = ephemeralLow() - 1;
    // The first draw lands on the taken port, the second elsewhere.
    const draws = [(taken - 10000 + 0.5) / (high - 10000 + 1), 0.5]; // the middle of the taken port's bucket
    const port = await freeLoopbackPort(() => draws.shift() ?? Math.random());
    expect(draws).toEqual([]);
    expect(port).not.toBe(taken);
    held.push(await listenOn(port));
  });

  it("gives a server rebuilt on its predecessor's port that port again, unless it is taken", async () => {
    const port = await freeLoopbackPort();
    expect(await sameOrFreeLoopbackPort(port)).toBe(port);
    held.push(await listenOn(port));
    const other = await sameOrFreeLoopbackPort(port);
    expect(other).not.toBe(port);
    held.push(await listenOn(other));
  });
});
