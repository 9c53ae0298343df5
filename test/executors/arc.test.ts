import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { arcGetRoutingControl } from "../../executors/arc-get-routing-control.js";
import { arcSetRoutingControls } from "../../executors/arc-set-routing-controls.js";
import { classifyError } from "../../src/executor.js";
import { createEmulator, type Emulator } from "../../src/sandbox/emulator/index.js";
import { contextFor } from "./context.js";

let emulator: Emulator;
let env: ReturnType<typeof contextFor>;
const arn = (name: string) => emulator.routingControlArn(name);
const params = (controls: { name: string; state: "On" | "Off" }[], extra: Record<string, unknown> = {}) =>
  arcSetRoutingControls.params.parse({
    clusterEndpoints: emulator.arcClusterEndpoints,
    controls: controls.map((c) => ({ arn: arn(c.name), state: c.state })),
    endpointTimeout: "1s",
    ...extra,
  });

beforeAll(async () => {
  emulator = await createEmulator();
  env = contextFor(emulator.url);
});
afterAll(async () => {
  env.destroy();
  await emulator.close();
});

const updates = () =>
  emulator.calls.filter((c) => c.operation === "UpdateRoutingControlStates" && c.outcome === "ok");

describe("arc.set-routing-controls through the real SDK against the emulator", () => {
  it("flips both cells atomically, reads them back, and check then finds it in place", async () => {
    const p = params([
      { name: "cell-us-east-1", state: "Off" },
      { name: "cell-us-west-2", state: "On" },
    ]);
    expect((await arcSetRoutingControls.check!(p, env.ctx))?.inPlace).toBe(false);
    const before = updates().length;
    const out = await arcSetRoutingControls.run(p, env.ctx);
    expect(out.states).toEqual({ [arn("cell-us-east-1")]: "Off", [arn("cell-us-west-2")]: "On" });
    expect(updates().length - before).toBe(1);
    expect((await arcSetRoutingControls.check!(p, env.ctx))?.inPlace).toBe(true);
  });

  it("names the safety rule when ARC refuses, and succeeds when the runbook overrides it", async () => {
    const allOff = params([
      { name: "cell-us-east-1", state: "Off" },
      { name: "cell-us-west-2", state: "Off" },
    ]);
    const err = await arcSetRoutingControls.run(allOff, env.ctx).catch((e) => e);
    expect(classifyError(err).class).toBe("conflict");
    expect(err.message).toMatch(/at-least-one-cell-on/);
    expect(err.message).toMatch(/overrideSafetyRules/);
    const overridden = params(
      [
        { name: "cell-us-east-1", state: "Off" },
        { name: "cell-us-west-2", state: "Off" },
      ],
      { overrideSafetyRules: [emulator.safetyRuleArn("at-least-one-cell-on")] },
    );
    await arcSetRoutingControls.run(overridden, env.ctx);
    const probe = arcGetRoutingControl.params.parse({
      clusterEndpoints: emulator.arcClusterEndpoints,
      arns: [arn("cell-us-west-2")],
      expect: "Off",
    });
    expect((await arcGetRoutingControl.run(probe, env.ctx)).states).toEqual({
      [arn("cell-us-west-2")]: "Off",
    });
    await arcSetRoutingControls.run(params([{ name: "cell-us-west-2", state: "On" }]), env.ctx);
  });

  it("with 2 of 5 endpoints blackholed, a flip costs at most the per-endpoint timeouts", async () => {
    await emulator.arcEndpoint(0, "blackhole");
    await emulator.arcEndpoint(1, "blackhole");
    try {
      for (const state of ["Off", "On"] as const) {
        const started = Date.now();
        await arcSetRoutingControls.run(params([{ name: "cell-us-east-1", state }]), env.ctx);
        expect(Date.now() - started).toBeLessThan(3000);
      }
    } finally {
      await emulator.arcEndpoint(0, "up");
      await emulator.arcEndpoint(1, "up");
    }
  });

  it("with 4 of 5 endpoints down, the fifth one does the job", async () => {
    for (const i of [0, 1, 2, 3]) await emulator.arcEndpoint(i, "down");
    try {
      const out = await arcSetRoutingControls.run(
        params([{ name: "cell-us-east-1", state: "Off" }]),
        env.ctx,
      );
      expect(out.endpoint).toBe(emulator.arcClusterEndpoints[4]!.endpoint);
    } finally {
      for (const i of [0, 1, 2, 3]) await emulator.arcEndpoint(i, "up");
    }
  });

  it("with every endpoint down, fails as retryable and lists each endpoint", async () => {
    for (const i of [0, 1, 2, 3, 4]) await emulator.arcEndpoint(i, "down");
    try {
      const err = await arcSetRoutingControls
        .run(params([{ name: "cell-us-east-1", state: "On" }]), env.ctx)
        .catch((e) => e);
      expect(classifyError(err).class).toBe("retryable");
      expect(err.message.split("\n")).toHaveLength(6);
    } finally {
      for (const i of [0, 1, 2, 3, 4]) await emulator.arcEndpoint(i, "up");
    }
  });

  it("a probe expecting a state fails when the control is elsewhere", async () => {
    const probe = arcGetRoutingControl.params.parse({
      clusterEndpoints: emulator.arcClusterEndpoints,
      arns: [arn("cell-us-west-2")],
      expect: "Off",
    });
    await expect(arcGetRoutingControl.run(probe, env.ctx)).rejects.toThrow(
      /cell-us-west-2 is On, expected Off/,
    );
  });
});
