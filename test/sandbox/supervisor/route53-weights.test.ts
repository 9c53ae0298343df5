import { mkdtempSync } from "node:fs";
import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  Route53RecoveryClusterClient,
  UpdateRoutingControlStateCommand,
} from "@aws-sdk/client-route53-recovery-cluster";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { route53SetWeights } from "../../../executors/route53-set-weights.js";
import { readSandboxEndpoints, type SandboxEndpoints } from "../../../src/sandbox/endpoints.js";
import { renderEndpoints, renderStatus } from "../../../src/sandbox/supervisor/render.js";
import { type RunningSandbox, runSupervisor } from "../../../src/sandbox/supervisor/run.js";
import { analyzeTraffic } from "../../../src/sandbox/traffic/traffic-analysis.js";
import { TrafficGenerator } from "../../../src/sandbox/traffic/traffic-generator.js";
import { readTrafficLog } from "../../../src/sandbox/traffic/traffic-log.js";
import { contextFor } from "../../executors/context.js";

const A = "us-east-1";
const B = "us-west-2";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The whole sandbox: the weighted record in endpoints.json and status, weights shifted by
 * the `route53.set-weights` executor through the real SDK, clients writing through the edge
 * (as `runbook sandbox traffic` does) split by them, and `reset` putting them back.
 */
describe("sandbox: Route 53 weights steer the edge among the On regions", () => {
  let home: string;
  let running: RunningSandbox;
  let endpoints: SandboxEndpoints;

  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), "runbook-route53-sandbox-"));
    await chmod(home, 0o755);
    running = await runSupervisor({ home, edgeTtlMs: 1_000, rdsTransitionMs: 300 });
    const read = await readSandboxEndpoints(home);
    if (!read) throw new Error("no endpoints.json after start");
    endpoints = read;
  });
  afterAll(async () => {
    await running?.shutdown();
    if (home) await rm(home, { recursive: true, force: true });
  });

  /** Clients writing through the edge for `ms`: the "served by" counts `sandbox traffic` prints. */
  const servedBy = async (ms: number): Promise<Record<string, number>> => {
    const logPath = join(mkdtempSync(join(tmpdir(), "runbook-traffic-")), "traffic.jsonl");
    const generator = new TrafficGenerator({ targetUrl: endpoints.edge, logPath, ratePerSecond: 50 });
    generator.start();
    await sleep(ms);
    await generator.stop();
    return analyzeTraffic(await readTrafficLog(logPath), new Set()).byRegion;
  };
  const percentOf = (counts: Record<string, number>, region: string) =>
    (100 * (counts[region] ?? 0)) / Object.values(counts).reduce((a, b) => a + b, 0);

  it("endpoints.json names the zone and the record; sandbox up and status show them with the weights and TTL", async () => {
    expect(endpoints.route53).toEqual({
      hostedZoneId: "Z0SANDBOXCASE",
      zoneName: "case.internal",
      recordName: "api.case.internal",
    });
    expect(renderEndpoints(endpoints).join("\n")).toMatch(
      /Route 53\s+zone case\.internal \(Z0SANDBOXCASE\), weighted record api\.case\.internal \(set identifier = region\)/,
    );
    const status = await running.supervisor.status();
    expect(status.route53).toEqual({
      hostedZoneId: "Z0SANDBOXCASE",
      recordName: "api.case.internal",
      ttlSeconds: 1,
      weights: { [A]: 100, [B]: 0 },
      change: "INSYNC",
      edgeSplit: { [A]: 100 },
    });
    expect(renderStatus(status).join("\n")).toMatch(
      /DNS weights\s+api\.case\.internal us-east-1 100 \/ us-west-2 0 \(TTL 1 s\)\s+→ edge splits clients us-east-1 100%/,
    );
  });

  it("with both cells On, a 10/90 shift sends about 10% of the clients to A; reset puts 100/0 back", async () => {
    const arcB = endpoints.arcClusterEndpoints.find((e) => e.region === B);
    const arc = new Route53RecoveryClusterClient({
      region: B,
      endpoint: arcB?.endpoint,
      credentials: endpoints.credentials,
    });
    await arc.send(
      new UpdateRoutingControlStateCommand({
        RoutingControlArn: endpoints.routingControls[B],
        RoutingControlState: "On",
      }),
    );
    // Weights 100 / 0 still: B being On changes nothing.
    await sleep(1_100);
    expect(percentOf(await servedBy(1_000), A)).toBe(100);

    const env = contextFor(endpoints.emulator);
    try {
      const p = route53SetWeights.params.parse({
        zoneName: endpoints.route53?.zoneName,
        recordName: endpoints.route53?.recordName,
        weights: { [A]: 10, [B]: 90 },
      });
      const out = await route53SetWeights.run(p, env.ctx);
      // Until oldAnswerUntil (INSYNC + TTL) clients may hold 100/0; from then on, 10/90.
      await sleep(Math.max(0, Date.parse(String(out.oldAnswerUntil)) - Date.now()) + 50);
    } finally {
      env.destroy();
    }
    const counts = await servedBy(4_000);
    const shareA = percentOf(counts, A);
    console.log(`served by at 10/90: ${JSON.stringify(counts)} (A ${shareA.toFixed(1)}%)`);
    expect(Math.abs(shareA - 10)).toBeLessThanOrEqual(5);
    const status = await running.supervisor.status();
    expect(status.route53).toMatchObject({ weights: { [A]: 10, [B]: 90 }, edgeSplit: { [A]: 10, [B]: 90 } });

    await running.supervisor.reset();
    const after = await running.supervisor.status();
    expect(after.route53).toMatchObject({
      weights: { [A]: 100, [B]: 0 },
      change: "INSYNC",
      edgeSplit: { [A]: 100 },
    });
    expect(after.routingControls).toEqual({ [A]: "On", [B]: "Off" });
  }, 60_000);
});
