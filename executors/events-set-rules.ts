import type { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { z } from "zod";
import { operationError } from "../src/aws/sdk-operation.js";
import { defineExecutor, type ExecutorContext, ExecutorError, fatal, retryable } from "../src/executor.js";
import { allow, isArn, isKnown, listOf, regionsOf, resourceArn } from "../src/iam/arn.js";
import type { PermissionScope } from "../src/iam/permission.js";

const params = z.strictObject({
  region: z.string().min(1),
  rules: z.array(z.string().min(1)).min(1).describe("Rule names (on the event bus below)"),
  state: z.enum(["ENABLED", "DISABLED"]),
  eventBusName: z.string().min(1).optional().describe("Default: the region's default event bus"),
});
type Params = z.infer<typeof params>;

/**
 * Enable or disable EventBridge rules (scheduled jobs among them) in one region: how a
 * job that must run in one region only moves with a failover, disabled in the failed
 * region (best effort: it may be unreachable) and enabled in the recovery one. Only rules
 * not yet in the wanted state are changed, so a resume after a crash never repeats an
 * EnableRule/DisableRule that happened.
 */
export const eventsSetRules = defineExecutor({
  type: "events.set-rules",
  summary: "Enable or disable EventBridge rules in a region (EnableRule / DisableRule)",
  params,
  aws: true,
  permissions(p, scope) {
    const arns = ruleArns(p, scope);
    const regions = regionsOf(p.region);
    const read = allow("events:DescribeRule", arns, regions);
    // A state known only at run time may be either.
    const change = [
      ...(p.state !== "DISABLED" ? [allow("events:EnableRule", arns, regions)] : []),
      ...(p.state !== "ENABLED" ? [allow("events:DisableRule", arns, regions)] : []),
    ];
    return { check: [read], run: [read, ...change] };
  },
  describe: (p) =>
    `EventBridge ${p.state === "ENABLED" ? "EnableRule" : "DisableRule"} ${p.rules.join(", ")} in ${p.region}${
      p.eventBusName ? ` (event bus ${p.eventBusName})` : ""
    }, for those not already ${p.state}`,
  async check(p, ctx) {
    const states = await readStates(p, ctx);
    const differ = Object.entries(states).filter(([, s]) => s !== p.state);
    if (differ.length === 0)
      return {
        inPlace: true,
        detail: `${p.rules.join(", ")} already ${p.state} in ${p.region}`,
        outputs: { region: p.region, state: p.state, changed: [], states },
      };
    return { inPlace: false, detail: differ.map(([name, s]) => `${name} is ${s}`).join(", ") };
  },
  async run(p, ctx) {
    const { EnableRuleCommand, DisableRuleCommand } = await import("@aws-sdk/client-eventbridge");
    const events = await ctx.aws.client("eventbridge", p.region);
    const before = await readStates(p, ctx, events);
    const operation = p.state === "ENABLED" ? "EnableRule" : "DisableRule";
    const changed: string[] = [];
    for (const [i, name] of p.rules.entries()) {
      if (before[name] === p.state) continue;
      ctx.progress(`${operation} ${name} in ${p.region} (${i + 1} of ${p.rules.length})`);
      const input = { Name: name, ...(p.eventBusName ? { EventBusName: p.eventBusName } : {}) };
      await events
        .send(p.state === "ENABLED" ? new EnableRuleCommand(input) : new DisableRuleCommand(input), {
          abortSignal: ctx.signal,
        })
        .catch((err: unknown) => {
          throw ruleError(err, operation, name, p);
        });
      changed.push(name);
      ctx.logger.info({ rule: name, state: p.state }, `${operation} accepted`);
    }
    // Read back, as the console would show it: the change is only done when it is seen.
    const after = changed.length ? await readStates(p, ctx, events) : before;
    const lagging = Object.entries(after).filter(([, s]) => s !== p.state);
    if (lagging.length)
      throw retryable(
        `${lagging.map(([n, s]) => `${n} is still ${s}`).join(", ")} after ${operation} in ${p.region}`,
      );
    return { region: p.region, state: p.state, changed, states: after };
  },
});

async function readStates(
  p: Params,
  ctx: ExecutorContext,
  client?: EventBridgeClient,
): Promise<Record<string, string>> {
  const { DescribeRuleCommand } = await import("@aws-sdk/client-eventbridge");
  const events = client ?? (await ctx.aws.client("eventbridge", p.region));
  const states: Record<string, string> = {};
  for (const name of p.rules) {
    const out = await events
      .send(
        new DescribeRuleCommand({ Name: name, ...(p.eventBusName ? { EventBusName: p.eventBusName } : {}) }),
        { abortSignal: ctx.signal },
      )
      .catch((err: unknown) => {
        throw ruleError(err, "DescribeRule", name, p);
      });
    states[name] = out.State ?? "unknown";
  }
  return states;
}

/** A missing rule is fatal and named; anything else keeps its class, with the rule named. */
function ruleError(err: unknown, operation: string, rule: string, p: Params): unknown {
  const e = err as { name?: string; message?: string };
  if (e?.name === "ResourceNotFoundException")
    return fatal(`rule ${rule} not found in ${p.region}: ${e.message}`, err);
  const wrapped = operationError(err, "eventbridge", operation, p.region);
  return wrapped instanceof ExecutorError
    ? new ExecutorError(`${wrapped.message} (rule ${rule})`, wrapped.errorClass, { cause: err })
    : wrapped;
}

/** `rule/<name>` on the default bus, `rule/<bus>/<name>` on another (named, or by its ARN). */
function ruleArns(p: Params, scope: PermissionScope): string[] {
  const bus = isArn(p.eventBusName) ? p.eventBusName.split("/").at(-1) : p.eventBusName;
  const onDefault = bus === undefined || (isKnown(bus) && bus === "default");
  return listOf(p.rules).map((name) =>
    onDefault
      ? resourceArn("events", "rule-on-default-event-bus", { RuleName: name }, scope, p.region)
      : resourceArn(
          "events",
          "rule-on-custom-event-bus",
          { EventBusName: bus, RuleName: name },
          scope,
          p.region,
        ),
  );
}
