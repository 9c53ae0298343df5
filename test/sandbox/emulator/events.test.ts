import {
  DescribeRuleCommand,
  DisableRuleCommand,
  EnableRuleCommand,
  EventBridgeClient,
  ListRulesCommand,
  ResourceNotFoundException,
} from "@aws-sdk/client-eventbridge";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { defaultTopology, type Emulator } from "../../../src/sandbox/emulator/index.js";
import { clientConfig, REGION_A, REGION_B, startEmulator } from "./helpers.js";

describe("EventBridge rules (JSON 1.1) through the real SDK", () => {
  let emulator: Emulator;
  beforeAll(async () => {
    const topology = defaultTopology();
    topology.eventRules = [
      ...(topology.eventRules ?? []),
      ...["case-outbox-sweep", "case-retention", "other-job"].map((name) => ({
        region: REGION_A,
        name,
        eventPattern: '{"source":["case-api"]}',
        state: "ENABLED" as const,
      })),
    ];
    emulator = await startEmulator({ topology });
  });
  afterAll(() => emulator.close());
  beforeEach(() => {
    emulator.dataPlane.reset();
    emulator.clearCalls();
  });

  const events = (region: string) => new EventBridgeClient(clientConfig(emulator.url, region));
  const stateIn = async (region: string, Name = "case-nightly-report") =>
    (await events(region).send(new DescribeRuleCommand({ Name }))).State;

  it("the nightly report is ENABLED in the primary only, on its cron schedule", async () => {
    const a = await events(REGION_A).send(new DescribeRuleCommand({ Name: "case-nightly-report" }));
    expect(a).toMatchObject({
      Name: "case-nightly-report",
      Arn: `arn:aws:events:${REGION_A}:111111111111:rule/case-nightly-report`,
      ScheduleExpression: "cron(0 2 * * ? *)",
      State: "ENABLED",
      EventBusName: "default",
      CreatedBy: "111111111111",
    });
    expect(await stateIn(REGION_B)).toBe("DISABLED");
  });

  it("EnableRule and DisableRule change one region's rule only, and are logged as changes", async () => {
    await events(REGION_B).send(new EnableRuleCommand({ Name: "case-nightly-report" }));
    await events(REGION_A).send(
      new DisableRuleCommand({
        Name: "case-nightly-report",
        EventBusName: `arn:aws:events:${REGION_A}:111111111111:event-bus/default`,
      }),
    );
    expect(await stateIn(REGION_B)).toBe("ENABLED");
    expect(await stateIn(REGION_A)).toBe("DISABLED");
    expect(emulator.mutatingCalls().map((c) => `${c.operation} ${c.region}`)).toEqual([
      `EnableRule ${REGION_B}`,
      `DisableRule ${REGION_A}`,
    ]);
    emulator.dataPlane.reset();
    expect(await stateIn(REGION_B)).toBe("DISABLED");
  });

  it("ListRules filters by NamePrefix and pages with NextToken", async () => {
    const names = async (input: { NamePrefix?: string; Limit?: number; NextToken?: string }) =>
      events(REGION_A).send(new ListRulesCommand(input));
    expect((await names({ NamePrefix: "case-" })).Rules?.map((r) => r.Name)).toEqual([
      "case-nightly-report",
      "case-outbox-sweep",
      "case-retention",
    ]);
    const first = await names({ NamePrefix: "case-", Limit: 2 });
    expect(first.Rules?.map((r) => r.Name)).toEqual(["case-nightly-report", "case-outbox-sweep"]);
    const second = await names({ NamePrefix: "case-", Limit: 2, NextToken: first.NextToken });
    expect(second.Rules?.map((r) => r.Name)).toEqual(["case-retention"]);
    expect(second.NextToken).toBeUndefined();
    expect((await names({ NamePrefix: "zzz" })).Rules).toEqual([]);
    expect((await events(REGION_B).send(new ListRulesCommand({}))).Rules).toEqual([
      expect.objectContaining({ Name: "case-nightly-report", State: "DISABLED" }),
    ]);
    await expect(names({ NextToken: "garbage" })).rejects.toMatchObject({ name: "ValidationException" });
  });

  it("a missing rule or event bus is ResourceNotFoundException, worded as EventBridge does", async () => {
    const error = await events(REGION_B)
      .send(new EnableRuleCommand({ Name: "no-such-rule" }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResourceNotFoundException);
    expect((error as Error).message).toBe("Rule no-such-rule does not exist on EventBus default.");
    expect(emulator.calls.at(-1)).toMatchObject({
      operation: "EnableRule",
      outcome: "ResourceNotFoundException",
    });
    await expect(
      events(REGION_B).send(new DescribeRuleCommand({ Name: "case-nightly-report", EventBusName: "orders" })),
    ).rejects.toMatchObject({
      name: "ResourceNotFoundException",
      message: "Event bus orders does not exist.",
    });
    await expect(events(REGION_B).send(new DescribeRuleCommand({ Name: "bad name!" }))).rejects.toMatchObject(
      {
        name: "ValidationException",
        message: expect.stringContaining("Value 'bad name!' at 'name' failed to satisfy constraint"),
      },
    );
  });

  it("throttles on demand", async () => {
    emulator.throttle("events", 0.001);
    try {
      await stateIn(REGION_B);
      await expect(stateIn(REGION_B)).rejects.toMatchObject({ name: "ThrottlingException" });
    } finally {
      emulator.throttle("events", undefined);
    }
  });
});
