import { ApiError } from "../errors.js";
import { pageOf } from "../pagination.js";
import type { ParamReader } from "../params.js";
import type { RequestContext, ServiceDefinition } from "../service.js";
import type { EventRuleConfig } from "../topology.js";

/**
 * EventBridge (AWS JSON 1.1, `AWSEvents.*`): rules on each region's default event bus,
 * enough to move a one-region job (a nightly report, an outbox sweeper) during a failover:
 * DescribeRule, ListRules, EnableRule, DisableRule. Rules are regional: enabling one in the
 * recovery region does nothing to its namesake in the failed one.
 */

export type RuleState = "ENABLED" | "DISABLED" | "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS";

export interface RuleModel {
  region: string;
  name: string;
  arn: string;
  scheduleExpression: string | undefined;
  eventPattern: string | undefined;
  state: RuleState;
  description: string | undefined;
}

export type EventsState = Map<string, RuleModel>;

const DEFAULT_BUS = "default";
const key = (region: string, name: string) => `${region}/${name}`;
const NAME = /^[.\-_A-Za-z0-9]{1,64}$/;

export function createEventsState(
  configs: readonly EventRuleConfig[] | undefined,
  accountId: string,
): EventsState {
  const state: EventsState = new Map();
  resetEvents(state, configs, accountId);
  return state;
}

/** Back to the configured rules and states. */
export function resetEvents(
  state: EventsState,
  configs: readonly EventRuleConfig[] | undefined,
  accountId: string,
): void {
  state.clear();
  for (const c of configs ?? []) {
    state.set(key(c.region, c.name), {
      region: c.region,
      name: c.name,
      arn: `arn:aws:events:${c.region}:${accountId}:rule/${c.name}`,
      scheduleExpression: c.scheduleExpression,
      eventPattern: c.eventPattern,
      state: c.state,
      description: c.description,
    });
  }
}

const validation = (message: string) => new ApiError("ValidationException", message, 400);

export function eventsService(state: EventsState, accountId: string): ServiceDefinition {
  /** Only the default bus exists; it may be named by name or ARN. */
  const bus = (p: ParamReader, ctx: RequestContext): string => {
    const given = p.optionalString("EventBusName") ?? DEFAULT_BUS;
    const defaultArn = `arn:aws:events:${ctx.region}:${accountId}:event-bus/${DEFAULT_BUS}`;
    if (given !== DEFAULT_BUS && given !== defaultArn)
      throw new ApiError("ResourceNotFoundException", `Event bus ${given} does not exist.`, 400);
    return DEFAULT_BUS;
  };

  /** A rule on the default bus: `arn:aws:events:<region>:<account>:rule/<name>`. */
  const ruleArn = (p: ParamReader, ctx: RequestContext) => [
    `arn:aws:events:${ctx.region}:${accountId}:rule/${p.string("Name")}`,
  ];

  const rule = (p: ParamReader, ctx: RequestContext): RuleModel => {
    const name = p.string("Name");
    if (!NAME.test(name)) {
      throw validation(
        `1 validation error detected: Value '${name}' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+`,
      );
    }
    const busName = bus(p, ctx);
    const found = state.get(key(ctx.region, name));
    if (!found)
      throw new ApiError(
        "ResourceNotFoundException",
        `Rule ${name} does not exist on EventBus ${busName}.`,
        400,
      );
    return found;
  };

  const render = (r: RuleModel) => ({
    Name: r.name,
    Arn: r.arn,
    EventPattern: r.eventPattern,
    ScheduleExpression: r.scheduleExpression,
    State: r.state,
    Description: r.description,
    EventBusName: DEFAULT_BUS,
  });

  const listRules = (p: ParamReader, ctx: RequestContext) => {
    bus(p, ctx);
    const prefix = p.optionalString("NamePrefix") ?? "";
    const limit = p.optionalNumber("Limit") ?? 100;
    if (!Number.isInteger(limit) || limit < 1 || limit > 100)
      throw validation(
        `1 validation error detected: Value '${limit}' at 'limit' failed to satisfy constraint: Member must have value between 1 and 100`,
      );
    const matching = [...state.values()]
      .filter((r) => r.region === ctx.region && r.name.startsWith(prefix))
      .sort((a, b) => a.name.localeCompare(b.name));
    const { page, next } = pageOf(matching, p.optionalString("NextToken"), limit, () =>
      validation("The NextToken provided is invalid."),
    );
    return { Rules: page.map(render), ...(next ? { NextToken: next } : {}) };
  };

  const setState = (to: RuleState) => (p: ParamReader, ctx: RequestContext) => {
    rule(p, ctx).state = to;
    return {};
  };

  return {
    name: "events",
    json: { target: "AWSEvents", version: "1.1", namespace: "com.amazonaws.events" },
    errors: {
      missing: "ValidationException",
      invalid: "ValidationException",
      unknownOperation: "UnknownOperationException",
      throttling: "ThrottlingException",
    },
    iam: { resources: { DescribeRule: ruleArn, EnableRule: ruleArn, DisableRule: ruleArn } },
    mutating: new Set(["EnableRule", "DisableRule"]),
    operations: {
      DescribeRule: (p, ctx) => ({ ...render(rule(p, ctx)), CreatedBy: accountId }),
      ListRules: listRules,
      EnableRule: setState("ENABLED"),
      DisableRule: setState("DISABLED"),
    },
  };
}
