import { createServer } from "node:net";

/**
 * A TCP port on loopback that nothing listens on right now. PostgreSQL needs its port
 * in its configuration before it starts, so we cannot let it bind port 0 itself; the
 * small race between closing this probe and the server binding is acceptable here.
 */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.unref();
    probe.on("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      if (address === null || typeof address === "string") {
        probe.close();
        reject(new Error("could not read the probe's port"));
        return;
      }
      probe.close(() => resolve(address.port));
    });
  });
}
