import {
  ConflictException,
  GetRoutingControlStateCommand,
  ListRoutingControlsCommand,
  ResourceNotFoundException,
  Route53RecoveryClusterClient,
  UpdateRoutingControlStateCommand,
  UpdateRoutingControlStatesCommand,
  ValidationException,
} from "@aws-sdk/client-route53-recovery-cluster";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Emulator } from "../../../src/sandbox/emulator/index.js";
import { clientConfig, REGION_A, REGION_B, startEmulator } from "./helpers.js";

const CELL_A = `cell-${REGION_A}`;
const CELL_B = `cell-${REGION_B}`;

describe("ARC cluster endpoints through the real SDK", () => {
  let emulator: Emulator;
  let arcA: string;
  let arcB: string;
  const client = (i = 0, timeout = 2_000) =>
    new Route53RecoveryClusterClient(clientConfig(emulator.arcEndpoints[i] ?? "", REGION_A, timeout));

  beforeAll(async () => {
    emulator = await startEmulator();
    arcA = emulator.routingControlArn(CELL_A);
    arcB = emulator.routingControlArn(CELL_B);
  });
  afterAll(() => emulator.close());

  it("has five endpoints on five distinct loopback addresses", () => {
    const hosts = emulator.arcEndpoints.map((u) => new URL(u).hostname);
    expect(hosts).toEqual(["127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5", "127.0.0.6"]);
    expect(emulator.warnings).toEqual([]); // no fallback to 127.0.0.1 on Linux
  });

  it("GetRoutingControlState answers from every endpoint", async () => {
    for (let i = 0; i < 5; i++) {
      const out = await client(i).send(new GetRoutingControlStateCommand({ RoutingControlArn: arcA }));
      expect(out).toMatchObject({
        RoutingControlArn: arcA,
        RoutingControlState: "On",
        RoutingControlName: CELL_A,
      });
    }
    expect(new Set(emulator.calls.map((c) => c.endpoint))).toEqual(
      new Set(["arc-0", "arc-1", "arc-2", "arc-3", "arc-4"]),
    );
  });

  it("ListRoutingControls lists every control with its state, paginated", async () => {
    const all = await client().send(new ListRoutingControlsCommand({}));
    expect(all.RoutingControls?.map((rc) => [rc.RoutingControlName, rc.RoutingControlState])).toEqual([
      [CELL_A, "On"],
      [CELL_B, "Off"],
    ]);
    const page = await client().send(new ListRoutingControlsCommand({ MaxResults: 1 }));
    expect(page.RoutingControls).toHaveLength(1);
    const next = await client().send(
      new ListRoutingControlsCommand({ MaxResults: 1, NextToken: page.NextToken }),
    );
    expect(next.RoutingControls?.[0]?.RoutingControlName).toBe(CELL_B);
    expect(next.NextToken).toBeUndefined();
  });

  it("unknown control → ResourceNotFoundException; bad state → ValidationException", async () => {
    const missing = client().send(new GetRoutingControlStateCommand({ RoutingControlArn: `${arcA}-nope` }));
    await expect(missing).rejects.toBeInstanceOf(ResourceNotFoundException);
    const bad = client().send(
      new UpdateRoutingControlStateCommand({ RoutingControlArn: arcA, RoutingControlState: "Maybe" as "On" }),
    );
    await expect(bad).rejects.toBeInstanceOf(ValidationException);
  });

  it("an assertion rule refuses turning every cell Off, naming the rule; override lets it through", async () => {
    const ruleArn = emulator.safetyRuleArn("at-least-one-cell-on");
    const attempt = client().send(
      new UpdateRoutingControlStateCommand({ RoutingControlArn: arcA, RoutingControlState: "Off" }),
    );
    const error = await attempt.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConflictException);
    expect((error as ConflictException).message).toContain("at-least-one-cell-on");
    expect((error as ConflictException).resourceId).toBe(ruleArn);
    expect((error as ConflictException).$metadata.httpStatusCode).toBe(409);
    expect(emulator.state.arc.controls.get(arcA)?.state).toBe("On");

    await client().send(
      new UpdateRoutingControlStateCommand({
        RoutingControlArn: arcA,
        RoutingControlState: "Off",
        SafetyRulesToOverride: [ruleArn],
      }),
    );
    expect(emulator.state.arc.controls.get(arcA)?.state).toBe("Off");
    emulator.state.arc.controls.get(arcA)!.state = "On";
  });

  it("UpdateRoutingControlStates flips A→B atomically (the rule holds after the batch)", async () => {
    await client(3).send(
      new UpdateRoutingControlStatesCommand({
        UpdateRoutingControlStateEntries: [
          { RoutingControlArn: arcB, RoutingControlState: "On" },
          { RoutingControlArn: arcA, RoutingControlState: "Off" },
        ],
      }),
    );
    const a = await client(1).send(new GetRoutingControlStateCommand({ RoutingControlArn: arcA }));
    const b = await client(2).send(new GetRoutingControlStateCommand({ RoutingControlArn: arcB }));
    expect([a.RoutingControlState, b.RoutingControlState]).toEqual(["Off", "On"]);
    const mutating = emulator.mutatingCalls().filter((c) => c.outcome === "ok");
    expect(mutating.at(-1)).toMatchObject({ operation: "UpdateRoutingControlStates", endpoint: "arc-3" });
    // A batch with one unknown control changes nothing.
    const partial = client().send(
      new UpdateRoutingControlStatesCommand({
        UpdateRoutingControlStateEntries: [
          { RoutingControlArn: arcA, RoutingControlState: "On" },
          {
            RoutingControlArn: "arn:aws:route53-recovery-control::1:controlpanel/x/routingcontrol/y",
            RoutingControlState: "On",
          },
        ],
      }),
    );
    await expect(partial).rejects.toBeInstanceOf(ResourceNotFoundException);
    expect(emulator.state.arc.controls.get(arcA)?.state).toBe("Off");
  });

  it("endpoint down → connection refused; back up → answers again", async () => {
    await emulator.arcEndpoint(0, "down");
    const error = await client(0)
      .send(new GetRoutingControlStateCommand({ RoutingControlArn: arcA }))
      .catch((e: unknown) => e as NodeJS.ErrnoException);
    expect((error as NodeJS.ErrnoException).code).toMatch(/ECONNREFUSED|ECONNRESET/);
    // The other four still answer.
    const out = await client(1).send(new GetRoutingControlStateCommand({ RoutingControlArn: arcA }));
    expect(out.RoutingControlState).toBeDefined();
    await emulator.arcEndpoint(0, "up");
    const again = await client(0).send(new GetRoutingControlStateCommand({ RoutingControlArn: arcA }));
    expect(again.RoutingControlArn).toBe(arcA);
  });

  it("each cluster endpoint has its own region: a region outage takes only that endpoint down", async () => {
    const endpoints = emulator.arcClusterEndpoints;
    expect(endpoints.map((e) => e.region)).toEqual([
      "us-east-1",
      "us-west-2",
      "eu-west-1",
      "ap-northeast-1",
      "ap-southeast-2",
    ]);
    emulator.regionDown("us-east-1");
    try {
      const outcomes = await Promise.allSettled(
        endpoints.map((e) =>
          new Route53RecoveryClusterClient(clientConfig(e.endpoint, e.region)).send(
            new GetRoutingControlStateCommand({ RoutingControlArn: arcA }),
          ),
        ),
      );
      expect(outcomes.map((o) => o.status)).toEqual([
        "rejected",
        "fulfilled",
        "fulfilled",
        "fulfilled",
        "fulfilled",
      ]);
    } finally {
      emulator.regionDown("us-east-1", false);
    }
  });

  it("blackholed endpoint → the SDK's request timeout; slow endpoint → delayed answer", async () => {
    await emulator.arcEndpoint(2, "blackhole");
    const started = performance.now();
    const error = await client(2, 300)
      .send(new GetRoutingControlStateCommand({ RoutingControlArn: arcA }))
      .catch((e: unknown) => e as Error);
    expect((error as Error).name).toBe("TimeoutError");
    expect(performance.now() - started).toBeGreaterThanOrEqual(250);
    await emulator.arcEndpoint(2, "slow", 150);
    const slowStart = performance.now();
    await client(2).send(new GetRoutingControlStateCommand({ RoutingControlArn: arcA }));
    expect(performance.now() - slowStart).toBeGreaterThanOrEqual(140);
    await emulator.arcEndpoint(2, "up");
  });
});

describe("ARC gating rules", () => {
  it("target controls change only while the gating control is On", async () => {
    const emulator = await startEmulator({
      topology: {
        regions: [REGION_A, REGION_B],
        arc: {
          routingControls: [
            { name: "master", state: "Off" },
            { name: "cell-1", state: "On" },
          ],
          safetyRules: [
            {
              type: "gating",
              name: "master-switch",
              gatingControls: ["master"],
              targetControls: ["cell-1"],
              atLeast: 1,
            },
          ],
        },
      },
    });
    try {
      const c = new Route53RecoveryClusterClient(clientConfig(emulator.url));
      const cell = emulator.routingControlArn("cell-1");
      const refused = c.send(
        new UpdateRoutingControlStateCommand({ RoutingControlArn: cell, RoutingControlState: "Off" }),
      );
      await expect(refused).rejects.toThrow(/master-switch/);
      await c.send(
        new UpdateRoutingControlStateCommand({
          RoutingControlArn: emulator.routingControlArn("master"),
          RoutingControlState: "On",
        }),
      );
      await c.send(
        new UpdateRoutingControlStateCommand({ RoutingControlArn: cell, RoutingControlState: "Off" }),
      );
      expect(emulator.state.arc.controls.get(cell)?.state).toBe("Off");
    } finally {
      await emulator.close();
    }
  });
});
