import {
  GetRoutingControlStateCommand,
  Route53RecoveryClusterClient,
} from "@aws-sdk/client-route53-recovery-cluster";
import { createEmulator } from "./index.js";

/**
 * Bench hook: median time of one GetRoutingControlState through the real SDK client
 * against a freshly started emulator (target ≤ 2 ms). It measures the whole round trip
 * an executor pays: SDK serialisation and SigV4 signing, HTTP over loopback with
 * keep-alive, dispatch, and deserialisation.
 */
export async function benchEmulator(calls = 300): Promise<{ medianMsPerCall: number; calls: number }> {
  const emulator = await createEmulator();
  try {
    const arn = emulator.routingControlArn(`cell-${emulator.regions[0]}`);
    const client = new Route53RecoveryClusterClient({
      region: emulator.regions[0],
      endpoint: emulator.arcEndpoints[0],
      credentials: { accessKeyId: "bench", secretAccessKey: "bench" },
      maxAttempts: 1,
    });
    const call = () => client.send(new GetRoutingControlStateCommand({ RoutingControlArn: arn }));
    // Warm up: JIT, the keep-alive connection, the SDK's lazily built middleware stack.
    for (let i = 0; i < 30; i++) await call();
    const samples: number[] = [];
    for (let i = 0; i < calls; i++) {
      const started = performance.now();
      await call();
      samples.push(performance.now() - started);
    }
    samples.sort((a, b) => a - b);
    client.destroy();
    return { medianMsPerCall: samples[Math.floor(samples.length / 2)] ?? Number.NaN, calls };
  } finally {
    await emulator.close();
  }
}
