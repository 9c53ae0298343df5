import type { EventSourceMappingConfiguration, LambdaClient } from "@aws-sdk/client-lambda";
import { z } from "zod";
import { pollStep } from "../src/aws/poll-step.js";
import { operationError } from "../src/aws/sdk-operation.js";
import { defineExecutor, type ExecutorContext, fatal } from "../src/executor.js";
import { allow, regionsOf, resourceArn } from "../src/iam/arn.js";

const params = z.strictObject({
  region: z.string().min(1),
  functionName: z.string().min(1).describe("Function name or ARN"),
  enabled: z
    .union([z.boolean(), z.enum(["true", "false"]).transform((v) => v === "true")])
    .describe("true: every mapping Enabled; false: every mapping Disabled"),
  eventSourceArn: z
    .string()
    .min(1)
    .optional()
    .describe("Only the function's mappings from this source (an SQS queue, a stream)"),
});
type Params = z.infer<typeof params>;

/** Another change is under way on the mapping: wait for it, do not fail. */
const IN_PROGRESS = new Set(["ResourceConflictException", "ResourceInUseException"]);

interface Mapping {
  uuid: string;
  eventSourceArn: string;
  state: string;
  /** Lambda's StateTransitionReason (why a change did not take). */
  reason?: string;
}

/**
 * Enable or disable a Lambda function's event source mappings in one region: how a job that
 * must run in one region only (a queue consumer, an outbox relay) moves with a failover,
 * disabled in the failed region (best effort) and enabled in the recovery one. Only mappings
 * not yet in the wanted state get an UpdateEventSourceMapping, and a mapping already Enabling
 * (or Disabling) toward it is only waited for, so a resume after a crash never sends the
 * change twice. Waits until every mapping is Enabled (or Disabled).
 */
export const lambdaEventSourceMappings = defineExecutor({
  type: "lambda.event-source-mappings",
  summary: "Enable or disable a Lambda function's event source mappings in a region and wait until they are",
  params,
  aws: true,
  permissions(p, scope) {
    const regions = regionsOf(p.region);
    const list = allow("lambda:ListEventSourceMappings", ["*"], regions);
    // Mapping UUIDs are found at run time: any mapping of the region.
    const mappings = resourceArn("lambda", "eventSourceMapping", {}, scope, p.region);
    return { check: [list], run: [list, allow("lambda:UpdateEventSourceMapping", [mappings], regions)] };
  },
  describe: (p) =>
    `Lambda UpdateEventSourceMapping Enabled=${p.enabled} for the mappings of ${p.functionName}${
      p.eventSourceArn ? ` from ${p.eventSourceArn}` : ""
    } in ${p.region} not already ${target(p)}, then wait until each is ${target(p)}`,
  async check(p, ctx) {
    const lambda = await ctx.aws.client("lambda", p.region);
    const mappings = await listMappings(lambda, p, ctx);
    const differ = mappings.filter((m) => m.state !== target(p));
    if (differ.length === 0)
      return {
        inPlace: true,
        detail: `${mappings.length} mapping${mappings.length === 1 ? "" : "s"} of ${p.functionName} already ${target(p)} in ${p.region}`,
        outputs: outputs(p, mappings, []),
      };
    return { inPlace: false, detail: differ.map((m) => `mapping ${short(m.uuid)} is ${m.state}`).join(", ") };
  },
  async run(p, ctx) {
    const lambda = await ctx.aws.client("lambda", p.region);
    const changed: string[] = [];
    // The first pass outside the wait: a missing function or a refused call fails the step
    // with its own class; once changes are under way, a failed read only means "read again".
    let waitingFor = await converge(lambda, p, ctx, await listMappings(lambda, p, ctx), changed);
    const settled = waitingFor.length
      ? await pollStep(ctx, async () => {
          const mappings = await listMappings(lambda, p, ctx);
          waitingFor = await converge(lambda, p, ctx, mappings, changed);
          return waitingFor.length
            ? {
                state: "RETRY",
                detail: waitingFor.map((m) => `mapping ${short(m.uuid)} ${m.state}`).join(", "),
              }
            : { state: "SUCCESS", value: mappings };
        })
      : await listMappings(lambda, p, ctx);
    return outputs(p, settled, changed);
  },
});

const target = (p: Params) => (p.enabled ? "Enabled" : "Disabled");
const toward = (p: Params) => (p.enabled ? "Enabling" : "Disabling");
const short = (uuid: string) => `${uuid.slice(0, 8)}…`;

/**
 * Sends UpdateEventSourceMapping to each settled mapping in the other state (recording it in
 * `changed`); returns the mappings not yet in the wanted state. A mapping moving toward it
 * is left alone; one in another change is waited for before it is changed.
 */
async function converge(
  lambda: LambdaClient,
  p: Params,
  ctx: ExecutorContext,
  mappings: Mapping[],
  changed: string[],
): Promise<Mapping[]> {
  const { UpdateEventSourceMappingCommand } = await import("@aws-sdk/client-lambda");
  const waiting: Mapping[] = [];
  for (const m of mappings) {
    if (m.state === target(p)) continue;
    const settledOtherWay = m.state === (p.enabled ? "Disabled" : "Enabled");
    if (settledOtherWay && changed.includes(m.uuid))
      throw fatal(
        `event source mapping ${m.uuid} of ${p.functionName} in ${p.region} went back to ${m.state} after UpdateEventSourceMapping Enabled=${p.enabled}${m.reason ? `: ${m.reason}` : ""}`,
      );
    if (!settledOtherWay) {
      waiting.push(m);
      continue;
    }
    ctx.progress(`UpdateEventSourceMapping ${short(m.uuid)} Enabled=${p.enabled} in ${p.region}`);
    try {
      const out = await lambda.send(
        new UpdateEventSourceMappingCommand({ UUID: m.uuid, Enabled: p.enabled }),
        {
          abortSignal: ctx.signal,
        },
      );
      changed.push(m.uuid);
      ctx.logger.info({ uuid: m.uuid, state: out.State }, "UpdateEventSourceMapping accepted");
      waiting.push({ ...m, state: out.State ?? toward(p) });
    } catch (err) {
      if (!IN_PROGRESS.has((err as { name?: string }).name ?? ""))
        throw lambdaError(err, "UpdateEventSourceMapping", p, m.uuid);
      // Someone else's change got there first: wait for it to settle, then look again.
      waiting.push({ ...m, state: "change in progress" });
    }
  }
  return waiting;
}

async function listMappings(lambda: LambdaClient, p: Params, ctx: ExecutorContext): Promise<Mapping[]> {
  const { ListEventSourceMappingsCommand } = await import("@aws-sdk/client-lambda");
  const all: EventSourceMappingConfiguration[] = [];
  let marker: string | undefined;
  do {
    const out = await lambda
      .send(
        new ListEventSourceMappingsCommand({
          FunctionName: p.functionName,
          ...(p.eventSourceArn ? { EventSourceArn: p.eventSourceArn } : {}),
          ...(marker ? { Marker: marker } : {}),
        }),
        { abortSignal: ctx.signal },
      )
      .catch((err: unknown) => {
        throw lambdaError(err, "ListEventSourceMappings", p);
      });
    all.push(...(out.EventSourceMappings ?? []));
    marker = out.NextMarker;
  } while (marker);
  if (all.length === 0)
    throw fatal(
      `${p.functionName} has no event source mapping in ${p.region}${p.eventSourceArn ? ` from ${p.eventSourceArn}` : ""}: nothing to ${p.enabled ? "enable" : "disable"}`,
    );
  return all.map((m) => ({
    uuid: m.UUID ?? "",
    eventSourceArn: m.EventSourceArn ?? "",
    state: m.State ?? "unknown",
    ...(m.StateTransitionReason ? { reason: m.StateTransitionReason } : {}),
  }));
}

/** A missing function or mapping is fatal and named; anything else keeps its class. */
function lambdaError(err: unknown, operation: string, p: Params, uuid?: string): unknown {
  const e = err as { name?: string; message?: string };
  if (e?.name === "ResourceNotFoundException")
    return fatal(
      `${uuid ? `event source mapping ${uuid} of ${p.functionName}` : `function ${p.functionName}`} not found in ${p.region}: ${e.message}`,
      err,
    );
  return operationError(err, "lambda", operation, p.region);
}

function outputs(p: Params, mappings: Mapping[], changed: string[]) {
  return {
    region: p.region,
    functionName: p.functionName,
    state: target(p),
    changed,
    mappings: mappings.map(({ uuid, eventSourceArn, state }) => ({ uuid, eventSourceArn, state })),
  };
}
