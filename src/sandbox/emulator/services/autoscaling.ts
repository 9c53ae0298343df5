import { ApiError } from "../errors.js";
import { pageOf } from "../pagination.js";
import type { ParamReader } from "../params.js";
import type { RequestContext, ServiceDefinition } from "../service.js";
import {
  type AsgModel,
  type AutoScalingState,
  advanceGroup,
  recordChange,
  type ScalingActivity,
} from "./autoscaling-model.js";

/**
 * EC2 Auto Scaling (AWS Query `2011-01-01`, XML replies): the groups of the topology, their
 * instances and scaling activities. Every call first advances the region's groups to now
 * (autoscaling-model.ts). Auto Scaling answers every bad request with `ValidationError`.
 */
export interface AutoScalingOptions {
  state: AutoScalingState;
  /** False while the region has no EC2 capacity (the capacity-shortage fault). */
  canLaunch: (region: string) => boolean;
}

const validation = (message: string) => new ApiError("ValidationError", message, 400);
const groupNotFound = (name: string) =>
  validation(`AutoScalingGroup name not found - AutoScalingGroup '${name}' not found`);

export function autoScalingService(o: AutoScalingOptions): ServiceDefinition {
  const { state } = o;
  const advance = (region: string) => {
    const now = new Date();
    for (const g of state.groups) if (g.region === region) advanceGroup(state, g, now, o.canLaunch(region));
  };
  const groupsIn = (ctx: RequestContext) => {
    advance(ctx.region);
    return state.groups.filter((g) => g.region === ctx.region);
  };
  const group = (p: ParamReader, ctx: RequestContext): AsgModel => {
    const name = p.string("AutoScalingGroupName");
    const found = groupsIn(ctx).find((g) => g.name === name || g.arn === name);
    if (!found) throw groupNotFound(name);
    return found;
  };
  /** The group's ARN, as IAM authorises on it (its id is part of it; one not found: any id). */
  const groupArn = (p: ParamReader, ctx: RequestContext): string[] => {
    const name = p.string("AutoScalingGroupName");
    const found = state.groups.find((g) => g.region === ctx.region && (g.name === name || g.arn === name));
    return [
      found?.arn ??
        `arn:aws:autoscaling:${ctx.region}:${state.accountId}:autoScalingGroup:*:autoScalingGroupName/${name}`,
    ];
  };
  /** Applies a size change the way Auto Scaling does, then acts on it at once. */
  const resize = (g: AsgModel, ctx: RequestContext, next: Size, explicitDesired: boolean) => {
    const from = g.desiredCapacity;
    Object.assign(g, next);
    const now = new Date();
    recordChange(g, now, explicitDesired, from);
    advanceGroup(state, g, now, o.canLaunch(ctx.region));
    return {};
  };

  return {
    name: "autoscaling",
    query: {
      version: "2011-01-01",
      xmlns: "http://autoscaling.amazonaws.com/doc/2011-01-01/",
      members: {},
    },
    errors: {
      missing: "ValidationError",
      invalid: "ValidationError",
      unknownOperation: "InvalidAction",
      throttling: "Throttling",
    },
    iam: { resources: { UpdateAutoScalingGroup: groupArn, SetDesiredCapacity: groupArn } },
    mutating: new Set(["UpdateAutoScalingGroup", "SetDesiredCapacity"]),
    operations: {
      DescribeAutoScalingGroups: (p, ctx) => {
        const names = p.stringList("AutoScalingGroupNames");
        const withInstances = p.boolean("IncludeInstances") ?? true;
        // Every Auto Scaling filter is on tags, and these groups have none: any filter matches nothing.
        const filtered = p.list("Filters").length > 0;
        const groups = groupsIn(ctx).filter(
          (g) => !filtered && (names.length === 0 || names.includes(g.name) || names.includes(g.arn)),
        );
        const { items, nextToken } = page(groups, p, 50);
        return { AutoScalingGroups: items.map((g) => renderGroup(g, withInstances)), NextToken: nextToken };
      },
      UpdateAutoScalingGroup: (p, ctx) => {
        const g = group(p, ctx);
        const minSize = size(p, "MinSize") ?? g.minSize;
        const maxSize = size(p, "MaxSize") ?? g.maxSize;
        if (minSize > maxSize)
          throw validation(`Max bound, ${maxSize}, must be greater than or equal to min bound, ${minSize}`);
        const asked = size(p, "DesiredCapacity");
        if (asked !== undefined && (asked < minSize || asked > maxSize))
          throw validation(
            `Desired capacity:${asked} must be between the specified min size:${minSize} and max size:${maxSize}`,
          );
        // A new min above (or max below) the current size moves the desired capacity with it.
        const desiredCapacity = asked ?? Math.min(maxSize, Math.max(minSize, g.desiredCapacity));
        return resize(g, ctx, { minSize, maxSize, desiredCapacity }, false);
      },
      SetDesiredCapacity: (p, ctx) => {
        const g = group(p, ctx);
        const desired = size(p, "DesiredCapacity");
        if (desired === undefined) throw p.missing("DesiredCapacity");
        if (desired > g.maxSize)
          throw validation(
            `New SetDesiredCapacity value ${desired} is above max value ${g.maxSize} for the AutoScalingGroup.`,
          );
        if (desired < g.minSize)
          throw validation(
            `New SetDesiredCapacity value ${desired} is below min value ${g.minSize} for the AutoScalingGroup.`,
          );
        return resize(g, ctx, { minSize: g.minSize, maxSize: g.maxSize, desiredCapacity: desired }, true);
      },
      DescribeScalingActivities: (p, ctx) => {
        const name = p.optionalString("AutoScalingGroupName");
        const ids = p.stringList("ActivityIds");
        const activities = groupsIn(ctx)
          .filter((g) => name === undefined || g.name === name)
          .flatMap((g) => g.activities.map((a) => ({ g, a })))
          .filter(({ a }) => ids.length === 0 || ids.includes(a.id))
          .sort((x, y) => y.a.startTime.getTime() - x.a.startTime.getTime());
        const { items, nextToken } = page(activities, p, 100);
        return { Activities: items.map(({ g, a }) => renderActivity(g, a)), NextToken: nextToken };
      },
    },
  };
}

interface Size {
  minSize: number;
  maxSize: number;
  desiredCapacity: number;
}

/** A group size parameter: a whole number, 0 or more (AWS's constraint message otherwise). */
function size(p: ParamReader, name: string): number | undefined {
  const v = p.optionalNumber(name);
  if (v !== undefined && (!Number.isInteger(v) || v < 0)) {
    const member = name.charAt(0).toLowerCase() + name.slice(1);
    throw validation(
      `1 validation error detected: Value '${v}' at '${member}' failed to satisfy constraint: Member must have value greater than or equal to 0`,
    );
  }
  return v;
}

/** `MaxRecords` (1–100) and an opaque `NextToken`, as Auto Scaling pages its lists. */
function page<T>(all: T[], p: ParamReader, defaultMax: number): { items: T[]; nextToken?: string } {
  const max = p.optionalNumber("MaxRecords") ?? defaultMax;
  if (!Number.isInteger(max) || max < 1 || max > 100)
    throw validation(
      `1 validation error detected: Value '${max}' at 'maxRecords' failed to satisfy constraint: Member must have value less than or equal to 100`,
    );
  const { page: items, next } = pageOf(all, p.optionalString("NextToken"), max, () =>
    validation("The NextToken value is invalid."),
  );
  return { items, ...(next === undefined ? {} : { nextToken: next }) };
}

function renderGroup(g: AsgModel, withInstances: boolean) {
  const launchTemplate = {
    LaunchTemplateId: "lt-0c5e5a1f0d2b7c9e1",
    LaunchTemplateName: g.name,
    Version: "$Default",
  };
  return {
    AutoScalingGroupName: g.name,
    AutoScalingGroupARN: g.arn,
    LaunchTemplate: launchTemplate,
    MinSize: g.minSize,
    MaxSize: g.maxSize,
    DesiredCapacity: g.desiredCapacity,
    DefaultCooldown: 300,
    AvailabilityZones: g.availabilityZones,
    LoadBalancerNames: [],
    TargetGroupARNs: [],
    HealthCheckType: "EC2",
    HealthCheckGracePeriod: 300,
    ...(withInstances
      ? {
          Instances: g.instances.map((i) => ({
            InstanceId: i.id,
            InstanceType: i.instanceType,
            AvailabilityZone: i.availabilityZone,
            LifecycleState: i.state,
            HealthStatus: "Healthy",
            LaunchTemplate: launchTemplate,
            ProtectedFromScaleIn: false,
          })),
        }
      : {}),
    CreatedTime: g.createdAt,
    SuspendedProcesses: [],
    VPCZoneIdentifier: g.availabilityZones.map((z) => `subnet-${z.replace(/-/g, "")}`).join(","),
    EnabledMetrics: [],
    Tags: [],
    TerminationPolicies: ["Default"],
    NewInstancesProtectedFromScaleIn: false,
    ServiceLinkedRoleARN: `arn:aws:iam::${g.arn.split(":")[4]}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling`,
    CapacityRebalance: false,
  };
}

function renderActivity(g: AsgModel, a: ScalingActivity) {
  return {
    ActivityId: a.id,
    AutoScalingGroupName: g.name,
    Description: a.description,
    Cause: a.cause,
    StartTime: a.startTime,
    EndTime: a.endTime,
    StatusCode: a.statusCode,
    StatusMessage: a.statusMessage,
    Progress: a.progress,
    Details: a.details,
    AutoScalingGroupARN: g.arn,
  };
}
