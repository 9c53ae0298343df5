import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { awsAssert } from "../../executors/aws-assert.js";
import { awsCall } from "../../executors/aws-call.js";
import { classifyError } from "../../src/executor.js";
import {
  createEmulator,
  type Emulator,
  InMemoryGlobalClusterBackend,
} from "../../src/sandbox/emulator/index.js";
import { contextFor } from "./context.js";

/** aws.call and aws.assert through the real SDK clients against the emulator over HTTP. */

let emulator: Emulator;
let backend: InMemoryGlobalClusterBackend;
let env: ReturnType<typeof contextFor>;

beforeEach(async () => {
  backend = new InMemoryGlobalClusterBackend({ regions: ["us-east-1", "us-west-2"], lagMs: 50 });
  emulator = await createEmulator({ backend, rdsTransitionMs: 600 });
  env = contextFor(emulator.url);
});
afterEach(async () => {
  env.destroy();
  await emulator.close();
});

const target = () => `arn:aws:rds:us-west-2:${emulator.accountId}:cluster:case-us-west-2`;
const writerIs = (arn: string) =>
  `(GlobalClusters[0].GlobalClusterMembers[?IsWriter].DBClusterArn | [0]) == '${arn}'`;
const describeGlobal = {
  command: "DescribeGlobalClusters",
  input: { GlobalClusterIdentifier: "case-global" },
};

/** The runbook's failover step, written with aws.call instead of the dedicated executor. */
const failover = (over: Record<string, unknown> = {}) =>
  awsCall.params.parse({
    service: "rds",
    command: "FailoverGlobalCluster",
    region: "us-west-2",
    // As an expression renders it: a string, shaped to the boolean the SDK wants.
    input: {
      GlobalClusterIdentifier: "case-global",
      TargetDbClusterIdentifier: target(),
      AllowDataLoss: "true",
    },
    inPlaceWhen: { ...describeGlobal, expect: writerIs(target()) },
    waitFor: {
      ...describeGlobal,
      // The target is named writer at once; the move is done when the global cluster is available again.
      until: `${writerIs(target())} && GlobalClusters[0].Status == 'available'`,
      failWhen: "GlobalClusters[0].Status == 'failed'",
      minDelay: "100ms",
      maxDelay: "300ms",
      timeout: "20s",
      description: "us-west-2 to be the writer",
    },
    outputs: { writer: "GlobalClusters[0].GlobalClusterMembers[?IsWriter].DBClusterArn | [0]" },
    ...over,
  });
const calls = (op: string) => emulator.calls.filter((c) => c.operation === op && c.outcome === "ok");

describe("aws.call", () => {
  it("checks, calls once, waits until the change has taken effect, and picks its outputs", async () => {
    expect((await awsCall.check!(failover(), env.ctx))?.inPlace).toBe(false);
    const out = await awsCall.run(failover(), env.ctx);
    expect(out).toEqual({ writer: target() });
    expect(calls("FailoverGlobalCluster")).toHaveLength(1);
    expect(backend.members().find((m) => m.role === "writer")?.region).toBe("us-west-2");
    // The 600 ms transition was polled from 100 ms: the operator saw what it waited for.
    expect(env.progress[0]).toMatch(
      /^waiting for us-west-2 to be the writer: .* is false \(poll 1, next in 0\.\ds\)$/,
    );
    // Resume's question, answered from the same reads, without a second failover.
    const again = await awsCall.check!(failover(), env.ctx);
    expect(again).toMatchObject({ inPlace: true, outputs: { writer: target() } });
    expect(calls("FailoverGlobalCluster")).toHaveLength(1);
  });

  it("a change made but not yet in effect (a killed engine's) is waited for, not made again", async () => {
    await env.ctx.aws.call(
      "rds",
      "FailoverGlobalCluster",
      { GlobalClusterIdentifier: "case-global", TargetDbClusterIdentifier: target(), AllowDataLoss: true },
      "us-west-2",
    );
    // The emulator names the target writer at once and finishes the move 600 ms later.
    const check = await awsCall.check!(failover(), env.ctx);
    expect(check).toMatchObject({ inPlace: true, outputs: { writer: target() } });
    expect(calls("FailoverGlobalCluster")).toHaveLength(1);
  });

  it("without inPlaceWhen it cannot tell (resume asks), and without waitFor outputs come from the call", async () => {
    const p = awsCall.params.parse({
      service: "rds",
      command: "DescribeGlobalClusters",
      region: "us-east-1",
      input: { GlobalClusterIdentifier: "case-global" },
      outputs: { members: "length(GlobalClusters[0].GlobalClusterMembers)", none: "GlobalClusters[0].Nope" },
    });
    expect(await awsCall.check!(p, env.ctx)).toBeUndefined();
    expect(await awsCall.run(p, env.ctx)).toEqual({ members: 2, none: null });
  });

  it("gives up at once when failWhen holds, and after its timeout otherwise", async () => {
    const failing = failover({
      waitFor: { ...describeGlobal, until: "`false`", failWhen: "GlobalClusters[0].Status == 'available'" },
    });
    const err = await awsCall.run(failing, env.ctx).catch((e) => e);
    expect(classifyError(err)).toMatchObject({ class: "fatal" });
    expect(err.message).toMatch(
      /^gave up waiting for DescribeGlobalClusters: `false`: GlobalClusters\[0\]\.Status == 'available' is true/,
    );

    const slow = failover({
      inPlaceWhen: undefined,
      command: "DescribeGlobalClusters",
      input: { GlobalClusterIdentifier: "case-global" },
      waitFor: { ...describeGlobal, until: "`false`", minDelay: "50ms", maxDelay: "50ms", timeout: "200ms" },
    });
    const timeout = await awsCall.run(slow, env.ctx).catch((e) => e);
    expect(classifyError(timeout)).toMatchObject({ class: "timeout" });
    expect(timeout.message).toMatch(/^timed out after 0s waiting for DescribeGlobalClusters: `false`/);
  });

  it("classifies AWS's errors, keeping its code and request id", async () => {
    const missing = failover({
      input: { GlobalClusterIdentifier: "nope", TargetDbClusterIdentifier: target() },
      inPlaceWhen: undefined,
    });
    const notFound = await awsCall.run(missing, env.ctx).catch((e) => e);
    expect(classifyError(notFound).class).toBe("fatal");
    expect(notFound.message).toMatch(
      /^rds FailoverGlobalCluster in us-west-2 failed: GlobalClusterNotFoundFault: .* \(request [0-9a-f-]{36}\)$/,
    );
    // Failing over to the writer it already is: AWS's state error is a conflict.
    await awsCall.run(failover(), env.ctx);
    const again = await awsCall.run(failover({ waitFor: undefined }), env.ctx).catch((e) => e);
    expect(classifyError(again).class).toBe("conflict");
    expect(again.message).toContain("InvalidDBClusterStateFault");

    emulator.throttle("rds", 0.001);
    await awsCall.run(missing, env.ctx).catch(() => undefined);
    const throttled = await awsCall.run(missing, env.ctx).catch((e) => e);
    expect(classifyError(throttled).class).toBe("retryable");
    emulator.throttle("rds", undefined);
  });

  it("an input the SDK cannot take once rendered is fatal and names the member; nothing is sent", async () => {
    const bad = failover({
      input: {
        GlobalClusterIdentifier: "case-global",
        TargetDbClusterIdentifier: target(),
        AllowDataLoss: "maybe",
      },
      inPlaceWhen: undefined,
    });
    const err = await awsCall.run(bad, env.ctx).catch((e) => e);
    expect(classifyError(err).class).toBe("fatal");
    expect(err.message).toContain('AllowDataLoss: expected a boolean, got the string "maybe"');
    expect(emulator.calls.filter((c) => c.operation === "FailoverGlobalCluster")).toHaveLength(0);
  });
});

describe("aws.assert", () => {
  const assertion = (expect: string, message?: string) =>
    awsAssert.params.parse({
      service: "cloudwatch",
      command: "DescribeAlarms",
      region: "us-east-1",
      input: { AlarmNamePrefix: "" },
      expect,
      ...(message ? { message } : {}),
      outputs: { count: "length(MetricAlarms)" },
    });

  it("passes when its expression is true of the response, and fails retryable with the value otherwise", async () => {
    expect(awsAssert.readOnly).toBe(true);
    expect(await awsAssert.run(assertion("length(MetricAlarms) == `0`"), env.ctx)).toEqual({ count: 0 });
    const err = await awsAssert
      .run(assertion("MetricAlarms[0].StateValue", "no alarm to judge"), env.ctx)
      .catch((e) => e);
    expect(classifyError(err).class).toBe("retryable");
    expect(err.message).toBe("no alarm to judge: DescribeAlarms in us-east-1 gave null");
  });
});
