import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { eventsSetRules } from "../../executors/events-set-rules.js";
import { classifyError } from "../../src/executor.js";
import { createEmulator, defaultTopology, type Emulator } from "../../src/sandbox/emulator/index.js";
import { contextFor } from "./context.js";
import { unavailableAws } from "./unavailable-aws.js";

const A = "us-east-1";
const B = "us-west-2";

let emulator: Emulator;
let env: ReturnType<typeof contextFor>;

beforeAll(async () => {
  const topology = defaultTopology();
  topology.eventRules = [
    ...(topology.eventRules ?? []),
    { region: B, name: "case-outbox-sweep", scheduleExpression: "rate(1 minute)", state: "ENABLED" },
  ];
  emulator = await createEmulator({ topology, evaluationIntervalMs: 100_000 });
  env = contextFor(emulator.url);
});
afterAll(async () => {
  env.destroy();
  await emulator.close();
});
beforeEach(() => {
  emulator.dataPlane.reset();
  emulator.clearCalls();
  env.progress.length = 0;
});

const p = (with_: Record<string, unknown> = {}) =>
  eventsSetRules.params.parse({ region: B, rules: ["case-nightly-report"], state: "ENABLED", ...with_ });
const changes = () =>
  emulator.mutatingCalls().map((c) => `${c.operation} ${c.region} ${(c.params as { Name: string }).Name}`);
const stateOf = (region: string, rule = "case-nightly-report") =>
  emulator.dataPlane.status().eventRules[rule]?.[region];

describe("events.set-rules", () => {
  it("enables the rule in the recovery region once; check then finds it in place", async () => {
    expect(await eventsSetRules.check!(p(), env.ctx)).toEqual({
      inPlace: false,
      detail: "case-nightly-report is DISABLED",
    });
    expect(await eventsSetRules.run(p(), env.ctx)).toEqual({
      region: B,
      state: "ENABLED",
      changed: ["case-nightly-report"],
      states: { "case-nightly-report": "ENABLED" },
    });
    expect(stateOf(B)).toBe("ENABLED");
    expect(stateOf(A)).toBe("ENABLED");
    expect(env.progress).toEqual([`EnableRule case-nightly-report in ${B} (1 of 1)`]);
    expect(await eventsSetRules.check!(p(), env.ctx)).toMatchObject({
      inPlace: true,
      detail: `case-nightly-report already ENABLED in ${B}`,
      outputs: { changed: [] },
    });
    // Run again (a resume that did not check): nothing left to change.
    expect((await eventsSetRules.run(p(), env.ctx)).changed).toEqual([]);
    expect(changes()).toEqual([`EnableRule ${B} case-nightly-report`]);
  });

  it("changes only the rules not yet in the wanted state", async () => {
    const both = p({ rules: ["case-outbox-sweep", "case-nightly-report"], state: "DISABLED", region: B });
    expect((await eventsSetRules.check!(both, env.ctx))?.detail).toBe("case-outbox-sweep is ENABLED");
    expect((await eventsSetRules.run(both, env.ctx)).changed).toEqual(["case-outbox-sweep"]);
    expect(changes()).toEqual([`DisableRule ${B} case-outbox-sweep`]);
    expect(eventsSetRules.describe(both)).toBe(
      `EventBridge DisableRule case-outbox-sweep, case-nightly-report in ${B}, for those not already DISABLED`,
    );
  });

  it("disables the job in the failed region", async () => {
    await eventsSetRules.run(p({ region: A, state: "DISABLED" }), env.ctx);
    expect(stateOf(A)).toBe("DISABLED");
    expect(changes()).toEqual([`DisableRule ${A} case-nightly-report`]);
  });

  it("a rule that does not exist is fatal, named, before anything changes", async () => {
    const typo = p({ rules: ["case-nightly-report", "case-nightly-reprot"] });
    for (const attempt of [eventsSetRules.check!(typo, env.ctx), eventsSetRules.run(typo, env.ctx)]) {
      const err = await attempt.catch((e: unknown) => e);
      expect(classifyError(err)).toEqual({
        message: `rule case-nightly-reprot not found in ${B}: Rule case-nightly-reprot does not exist on EventBus default.`,
        class: "fatal",
      });
    }
    expect(changes()).toEqual([]);
    const bus = await eventsSetRules.run(p({ eventBusName: "orders" }), env.ctx).catch((e: unknown) => e);
    expect(classifyError(bus).message).toContain("Event bus orders does not exist.");
  });

  it("throttling and 5xx are retryable, with the operation and the rule named", async () => {
    emulator.throttle("events", 0.001);
    try {
      await eventsSetRules.check!(p(), env.ctx).catch(() => undefined);
      const err = await eventsSetRules.run(p(), env.ctx).catch((e: unknown) => e);
      expect(classifyError(err).class).toBe("retryable");
      expect(classifyError(err).message).toMatch(
        new RegExp(
          `^eventbridge DescribeRule in ${B} failed: ThrottlingException: Rate exceeded .*\\(rule case-nightly-report\\)$`,
        ),
      );
    } finally {
      emulator.throttle("events", undefined);
    }
    const broken = await unavailableAws();
    const brokenEnv = contextFor(broken.url);
    try {
      const err = await eventsSetRules.run(p(), brokenEnv.ctx).catch((e: unknown) => e);
      expect(classifyError(err).class).toBe("retryable");
      expect(broken.requests()).toBeGreaterThan(0);
    } finally {
      brokenEnv.destroy();
      await broken.close();
    }
    expect(changes()).toEqual([]);
  });
});
