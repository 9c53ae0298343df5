import { DescribeAlarmsCommand } from "@aws-sdk/client-cloudwatch";
import {
  DescribeGlobalClustersCommand,
  paginateDescribeGlobalClusters,
  RDSClient,
} from "@aws-sdk/client-rds";
import { describe, expect, it } from "vitest";
import { countCalls } from "../../src/aws/counted-calls.js";
import { emulatorWithContext } from "../executors/emulator-context.js";

/** Every command a step sends, by IAM-style name: what its outcome records. */

const held = emulatorWithContext();

describe("counted calls", () => {
  it("counts sends, paginated pages and call(), by IAM prefix and operation", async () => {
    const counter = countCalls(held.env.ctx.aws);
    const rds = await counter.aws.client("rds", "us-west-2");
    // Paginators check the client's class: the counting client still is one.
    expect(rds).toBeInstanceOf(RDSClient);
    await rds.send(new DescribeGlobalClustersCommand({}));
    for await (const _ of paginateDescribeGlobalClusters({ client: rds }, {})) {
      // one page
    }
    const cw = await counter.aws.client("cloudwatch", "us-west-2");
    await cw.send(new DescribeAlarmsCommand({}));
    await counter.aws.call("cloudwatch", "DescribeAlarms", {}, "us-east-1");
    expect(counter.calls()).toEqual({ "cloudwatch:DescribeAlarms": 2, "rds:DescribeGlobalClusters": 2 });
    // The emulator saw exactly those: nothing was added or dropped on the way.
    expect(held.emulator.calls.map((c) => c.operation).sort()).toEqual([
      "DescribeAlarms",
      "DescribeAlarms",
      "DescribeGlobalClusters",
      "DescribeGlobalClusters",
    ]);
  });

  it("a failed call is counted too: it was sent", async () => {
    const counter = countCalls(held.env.ctx.aws);
    await expect(
      counter.aws.call("rds", "DescribeGlobalClusters", { GlobalClusterIdentifier: "no-such" }, "us-west-2"),
    ).rejects.toThrow();
    expect(counter.calls()).toEqual({ "rds:DescribeGlobalClusters": 1 });
  });
});
