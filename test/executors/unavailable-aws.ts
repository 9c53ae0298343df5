import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * An endpoint that answers every AWS JSON request with a 500 InternalFailure, as a
 * service having a bad moment does: what executors must classify as retryable. The
 * emulator has no such fault (its errors are the API's own), so tests point a context here.
 */
export async function unavailableAws(): Promise<{
  url: string;
  requests: () => number;
  close: () => Promise<void>;
}> {
  let count = 0;
  const server: Server = createServer((req, res) => {
    count++;
    req.resume();
    req.on("end", () => {
      const body = JSON.stringify({
        __type: "InternalFailure",
        message: "We encountered an internal error. Please try again.",
      });
      res.writeHead(500, {
        "content-type": "application/x-amz-json-1.1",
        "x-amzn-errortype": "InternalFailure",
        "content-length": Buffer.byteLength(body),
      });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests: () => count,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
