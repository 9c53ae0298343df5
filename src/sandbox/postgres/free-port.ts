import { readFileSync } from "node:fs";
import { createServer } from "node:net";

/** Linux's default when /proc cannot be read: outgoing connections take ports from here. */
const DEFAULT_EPHEMERAL_LOW = 32768;
const LOWEST_PICK = 10000;
const ATTEMPTS = 50;

/**
 * A TCP port on loopback that nothing listens on right now, chosen below the kernel's
 * ephemeral range. PostgreSQL needs its port in its configuration before it starts, so
 * we cannot let it bind port 0 itself. A port from port 0 comes from the ephemeral range,
 * where every outgoing connection also takes its local port: on a busy machine (parallel
 * test files, a supervisor's health checks) one of them took the standby's port in the
 * seconds between this probe and the standby's start, and the sandbox failed to come up.
 * Below that range only another deliberate listener can collide.
 */
export async function freeLoopbackPort(random: () => number = Math.random): Promise<number> {
  const high = ephemeralLow() - 1;
  if (high - LOWEST_PICK < 1000) return probe(0);
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const port = LOWEST_PICK + Math.floor(random() * (high - LOWEST_PICK + 1));
    const bound = await probe(port).catch((error: NodeJS.ErrnoException) => {
      if (error.code === "EADDRINUSE" || error.code === "EACCES") return undefined;
      throw error;
    });
    if (bound !== undefined) return bound;
  }
  return probe(0);
}

/**
 * `port` again when nothing listens on it now (a server rebuilt where its predecessor was, so
 * what was configured with its address, such as a deployed function's config, stays right),
 * else a free one.
 */
export async function sameOrFreeLoopbackPort(port: number | undefined): Promise<number> {
  if (port === undefined) return freeLoopbackPort();
  const bound = await probe(port).catch(() => undefined);
  return bound ?? freeLoopbackPort();
}

/** The first port of `net.ipv4.ip_local_port_range`. */
export function ephemeralLow(): number {
  try {
    const low = Number.parseInt(readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8"), 10);
    return Number.isInteger(low) && low > 0 ? low : DEFAULT_EPHEMERAL_LOW;
  } catch {
    return DEFAULT_EPHEMERAL_LOW;
  }
}

function probe(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(port, "127.0.0.1", () => {
      const address = server.address();
      if (address === null || typeof address === "string") {
        server.close();
        reject(new Error("could not read the probe's port"));
        return;
      }
      server.close(() => resolve(address.port));
    });
  });
}
