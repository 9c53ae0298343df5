import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { arcSetRoutingControls } from "../executors/arc-set-routing-controls.js";
import { route53SetWeights } from "../executors/route53-set-weights.js";
import { readSandboxEndpoints } from "../src/sandbox/endpoints.js";
import { runSupervisor } from "../src/sandbox/supervisor/run.js";
import { TrafficGenerator } from "../src/sandbox/traffic/traffic-generator.js";
import { readTrafficLog } from "../src/sandbox/traffic/traffic-log.js";
import { benchContext } from "./context.js";

/**
 * The failback's staged shift on a real sandbox: both regions On in ARC, Route 53 weights
 * moved 10 → 50 → 100 (% to the original region) through the executor while clients write
 * through the edge at 50/s. For each stage: how long after the change was INSYNC the clients'
 * served-by split (a sliding window of 20 acknowledged writes) came within 5 points of the
 * weights, against the target TTL + 1 s.
 */

export interface WeightStage {
  percent: number;
  /** INSYNC → the split within 5 points, in ms; undefined if it never did in the stage. */
  settledMs: number | undefined;
  /** The split over the stage's last 2 s. */
  finalPercent: number;
}

export async function benchWeightStages(): Promise<{ ttlMs: number; stages: WeightStage[] }> {
  const home = await mkdtemp(join(tmpdir(), "runbook-bench-weights-"));
  await chmod(home, 0o755);
  const running = await runSupervisor({ home });
  try {
    const ep = (await readSandboxEndpoints(home))!;
    const [a, b] = ep.regions as [string, string];
    const ctx = benchContext(ep.emulator, ep.credentials);
    const ttlMs = 1000;
    const zone = ep.route53!;
    const setWeights = async (pa: number) => {
      const p = route53SetWeights.params.parse({
        hostedZoneId: zone.hostedZoneId,
        recordName: zone.recordName,
        weights: { [a]: pa, [b]: 100 - pa },
      });
      await route53SetWeights.run(p, ctx);
      return Date.now(); // INSYNC: run waits for it
    };
    await setWeights(0);
    await arcSetRoutingControls.run(
      arcSetRoutingControls.params.parse({
        clusterEndpoints: ep.arcClusterEndpoints,
        controls: [
          { arn: ep.routingControls[a], state: "On" },
          { arn: ep.routingControls[b], state: "On" },
        ],
      }),
      ctx,
    );
    const log = join(home, "weights-traffic.jsonl");
    const traffic = new TrafficGenerator({ targetUrl: ep.edge, logPath: log, ratePerSecond: 50 });
    traffic.start();
    await sleep(2000);
    // A stage ends when the next change is submitted: it is INSYNC (and answered) before the
    // executor's next GetChange poll sees it, so the executor's INSYNC time is a little late.
    const marks: { percent: number; submitted: number; at: number }[] = [];
    for (const percent of [10, 50, 100]) {
      const submitted = Date.now();
      marks.push({ percent, submitted, at: await setWeights(percent) });
      await sleep(ttlMs + 3000);
    }
    const end = Date.now();
    await traffic.stop();
    const acks = (await readTrafficLog(log))
      .filter((e) => e.kind === "ack")
      .map((e) => e as { ackAt: number; region?: string })
      .sort((x, y) => x.ackAt - y.ackAt);
    const stages = marks.map((m, i) => {
      const until = marks[i + 1]?.submitted ?? end;
      const inStage = acks.filter((e) => e.ackAt >= m.at && e.ackAt < until);
      const share = (xs: typeof acks) =>
        (100 * xs.filter((e) => e.region === a).length) / Math.max(1, xs.length);
      let settledMs: number | undefined;
      for (let j = 20; j <= inStage.length; j++) {
        if (Math.abs(share(inStage.slice(j - 20, j)) - m.percent) <= 5) {
          settledMs = inStage[j - 1]!.ackAt - m.at;
          break;
        }
      }
      return {
        percent: m.percent,
        settledMs,
        finalPercent: share(inStage.filter((e) => e.ackAt >= until - 2000)),
      };
    });
    ctx.destroy();
    return { ttlMs, stages };
  } finally {
    await running.shutdown();
    await rm(home, { recursive: true, force: true });
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
