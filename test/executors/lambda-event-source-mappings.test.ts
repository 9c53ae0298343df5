import { LambdaClient, UpdateEventSourceMappingCommand } from "@aws-sdk/client-lambda";
import { beforeEach, describe, expect, it } from "vitest";
import { lambdaEventSourceMappings } from "../../executors/lambda-event-source-mappings.js";
import { classifyError, type ExecutorContext } from "../../src/executor.js";
import type { Emulator } from "../../src/sandbox/emulator/index.js";
import { clientConfig, waitFor } from "../sandbox/emulator/helpers.js";
import { contextFor } from "./context.js";
import { emulatorWithContext } from "./emulator-context.js";
import { unavailableAws } from "./unavailable-aws.js";

const A = "us-east-1";
const B = "us-west-2";
const ACCOUNT = "111111111111";
const OUTBOX_B = `case-outbox-${B}`;
const TRANSITION_MS = 300;

const running = emulatorWithContext((topology) => {
  topology.lambda = {
    functions: [
      ...(topology.lambda?.functions ?? []),
      {
        region: B,
        name: "case-archiver",
        eventSources: [
          { eventSourceArn: `arn:aws:sqs:${B}:${ACCOUNT}:case-archive`, enabled: false },
          { eventSourceArn: `arn:aws:sqs:${B}:${ACCOUNT}:case-archive-dlq`, enabled: false },
        ],
      },
    ],
    mappingTransitionMs: TRANSITION_MS,
  };
});
let emulator: Emulator;
let env: ReturnType<typeof contextFor>;
beforeEach(() => {
  ({ emulator, env } = running);
  emulator.lambda.reset();
  emulator.clearCalls();
  env.progress.length = 0;
});

const p = (with_: Record<string, unknown> = {}) =>
  lambdaEventSourceMappings.params.parse({ region: B, functionName: OUTBOX_B, enabled: true, ...with_ });
const updates = () =>
  emulator.mutatingCalls().map((c) => `${c.region} ${(c.params as { UUID: string }).UUID} ${c.outcome}`);
const statesOf = (fn: string) => emulator.lambda.status()[fn]?.mappings.map((m) => m.state);
const uuidsOf = (fn: string) => emulator.lambda.status()[fn]?.mappings.map((m) => m.uuid) ?? [];
const short = (uuid: string | undefined) => `${uuid?.slice(0, 8)}…`;
const failure = async (run: Promise<unknown>) => classifyError(await run.catch((e: unknown) => e));

describe("lambda.event-source-mappings", () => {
  it("enables the recovery region's mapping once, waits until Enabled; check then finds it in place", async () => {
    const [uuid] = uuidsOf(OUTBOX_B);
    expect(await lambdaEventSourceMappings.check!(p(), env.ctx)).toEqual({
      inPlace: false,
      detail: `mapping ${short(uuid)} is Disabled`,
    });
    const started = Date.now();
    const out = await lambdaEventSourceMappings.run(p(), env.ctx);
    expect(Date.now() - started).toBeGreaterThanOrEqual(TRANSITION_MS - 20);
    expect(out).toEqual({
      region: B,
      functionName: OUTBOX_B,
      state: "Enabled",
      changed: [uuid],
      mappings: [{ uuid, eventSourceArn: `arn:aws:sqs:${B}:${ACCOUNT}:case-outbox`, state: "Enabled" }],
    });
    expect(env.progress[0]).toBe(`UpdateEventSourceMapping ${short(uuid)} Enabled=true in ${B}`);
    expect(env.progress).toContain(`mapping ${short(uuid)} Enabling`);
    expect(statesOf(`case-outbox-${A}`)).toEqual(["Enabled"]);
    expect(await lambdaEventSourceMappings.check!(p(), env.ctx)).toMatchObject({
      inPlace: true,
      detail: `1 mapping of ${OUTBOX_B} already Enabled in ${B}`,
      outputs: { changed: [], state: "Enabled" },
    });
    // Run again (a resume that did not check): nothing left to change.
    expect((await lambdaEventSourceMappings.run(p(), env.ctx)).changed).toEqual([]);
    expect(updates()).toEqual([`${B} ${uuid} ok`]);
    expect(lambdaEventSourceMappings.describe(p())).toBe(
      `Lambda UpdateEventSourceMapping Enabled=true for the mappings of ${OUTBOX_B} in ${B} not already Enabled, then wait until each is Enabled`,
    );
  });

  it("disables the job in the failed region, by function ARN", async () => {
    const fn = `arn:aws:lambda:${A}:${ACCOUNT}:function:case-outbox-${A}`;
    const out = await lambdaEventSourceMappings.run(
      p({ region: A, functionName: fn, enabled: "false" }),
      env.ctx,
    );
    expect(out.state).toBe("Disabled");
    expect(statesOf(`case-outbox-${A}`)).toEqual(["Disabled"]);
    expect(updates()).toEqual([`${A} ${uuidsOf(`case-outbox-${A}`)[0]} ok`]);
  });

  it("with eventSourceArn, only that source's mapping; without, every mapping of the function", async () => {
    const [archive, dlq] = uuidsOf("case-archiver");
    const one = p({
      functionName: "case-archiver",
      eventSourceArn: `arn:aws:sqs:${B}:${ACCOUNT}:case-archive`,
    });
    expect((await lambdaEventSourceMappings.run(one, env.ctx)).changed).toEqual([archive]);
    expect(statesOf("case-archiver")).toEqual(["Enabled", "Disabled"]);
    expect(
      (await lambdaEventSourceMappings.check!(p({ functionName: "case-archiver" }), env.ctx))?.detail,
    ).toBe(`mapping ${short(dlq)} is Disabled`);
    expect(
      (await lambdaEventSourceMappings.run(p({ functionName: "case-archiver" }), env.ctx)).changed,
    ).toEqual([dlq]);
    expect(updates()).toEqual([`${B} ${archive} ok`, `${B} ${dlq} ok`]);
  });

  it("a mapping already Enabling is only waited for; one Disabling is waited for, then enabled", async () => {
    const direct = new LambdaClient(clientConfig(emulator.url, B));
    const [uuid] = uuidsOf(OUTBOX_B);
    await direct.send(new UpdateEventSourceMappingCommand({ UUID: uuid, Enabled: true }));
    emulator.clearCalls();
    await lambdaEventSourceMappings.run(p(), env.ctx);
    expect(updates()).toEqual([]);
    expect(env.progress).toContain(`mapping ${short(uuid)} Enabling`);

    await direct.send(new UpdateEventSourceMappingCommand({ UUID: uuid, Enabled: false }));
    emulator.clearCalls();
    env.progress.length = 0;
    expect((await lambdaEventSourceMappings.run(p(), env.ctx)).changed).toEqual([uuid]);
    expect(env.progress[0]).toBe(`mapping ${short(uuid)} Disabling`);
    expect(updates()).toEqual([`${B} ${uuid} ok`]);
    expect(statesOf(OUTBOX_B)).toEqual(["Enabled"]);
  });

  it("another change landing first (ResourceConflictException) is waited for, not a failure", async () => {
    const direct = new LambdaClient(clientConfig(emulator.url, B));
    const [uuid] = uuidsOf(OUTBOX_B);
    let raced = false;
    // Between the executor's read and its UpdateEventSourceMapping, someone else's update lands.
    const racing: ExecutorContext["aws"] = {
      ...env.ctx.aws,
      client: (async (service: "lambda", region: string) => {
        const real = await env.ctx.aws.client(service, region);
        return {
          send: async (command: unknown, options?: unknown) => {
            if (!raced && command instanceof UpdateEventSourceMappingCommand) {
              raced = true;
              await direct.send(new UpdateEventSourceMappingCommand({ UUID: uuid, Enabled: true }));
            }
            return (real.send as (c: unknown, o?: unknown) => Promise<unknown>)(command, options);
          },
        };
      }) as ExecutorContext["aws"]["client"],
    };
    const out = await lambdaEventSourceMappings.run(p(), { ...env.ctx, aws: racing });
    expect(out.changed).toEqual([]);
    expect(out.mappings).toEqual([expect.objectContaining({ uuid, state: "Enabled" })]);
    expect(updates()).toEqual([`${B} ${uuid} ok`, `${B} ${uuid} ResourceConflictException`]);
  });

  it("a mapping that falls back after the change is fatal, with Lambda's reason", async () => {
    emulator.lambda.state.transitionMs = 5_000;
    const [uuid] = uuidsOf(OUTBOX_B);
    const running = lambdaEventSourceMappings.run(p(), env.ctx).catch((e: unknown) => e);
    const mapping = await waitFor("Enabling", async () =>
      emulator.lambda.state.mappings.find((m) => m.uuid === uuid && m.transition),
    );
    // Lambda could not start the poller (e.g. the queue's policy): back to Disabled.
    mapping.enabled = false;
    mapping.transition = undefined;
    expect(classifyError(await running)).toEqual({
      class: "fatal",
      message: `event source mapping ${uuid} of ${OUTBOX_B} in ${B} went back to Disabled after UpdateEventSourceMapping Enabled=true: USER_INITIATED`,
    });
  });

  it("a missing function, or no mapping from that source, is fatal and named, before anything changes", async () => {
    for (const attempt of [
      () => lambdaEventSourceMappings.check!(p({ functionName: "case-outbx" }), env.ctx),
      () => lambdaEventSourceMappings.run(p({ functionName: "case-outbx" }), env.ctx),
    ]) {
      expect(await failure(attempt())).toEqual({
        class: "fatal",
        message: `function case-outbx not found in ${B}: Function not found: arn:aws:lambda:${B}:${ACCOUNT}:function:case-outbx`,
      });
    }
    expect(
      await failure(lambdaEventSourceMappings.run(p({ eventSourceArn: "arn:aws:sqs:x:1:q" }), env.ctx)),
    ).toEqual({
      class: "fatal",
      message: `${OUTBOX_B} has no event source mapping in ${B} from arn:aws:sqs:x:1:q: nothing to enable`,
    });
    expect(updates()).toEqual([]);
  });

  it("throttling, 5xx and a down region are retried by the engine; nothing changed", async () => {
    emulator.throttle("lambda", 0.001);
    try {
      await lambdaEventSourceMappings.check!(p(), env.ctx).catch(() => undefined);
      const err = await failure(lambdaEventSourceMappings.run(p(), env.ctx));
      expect(err.class).toBe("retryable");
      expect(err.message).toMatch(
        new RegExp(`^lambda ListEventSourceMappings in ${B} failed: TooManyRequestsException: Rate exceeded`),
      );
      expect((await failure(lambdaEventSourceMappings.check!(p(), env.ctx))).class).toBe("retryable");
    } finally {
      emulator.throttle("lambda", undefined);
    }
    const broken = await unavailableAws();
    const brokenEnv = contextFor(broken.url);
    try {
      expect((await failure(lambdaEventSourceMappings.run(p(), brokenEnv.ctx))).class).toBe("retryable");
    } finally {
      brokenEnv.destroy();
      await broken.close();
    }
    emulator.regionDown(B);
    try {
      expect(["retryable", "timeout"]).toContain(
        (await failure(lambdaEventSourceMappings.run(p(), env.ctx))).class,
      );
    } finally {
      emulator.regionDown(B, false);
    }
    expect(updates().filter((u) => u.endsWith(" ok"))).toEqual([]);
  }, 30_000);
});
