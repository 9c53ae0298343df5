import { createHash, randomBytes, randomUUID } from "node:crypto";
import type { AutoScalingConfig, AutoScalingGroupConfig } from "../topology.js";

/**
 * EC2 Auto Scaling groups, advanced lazily like the ECS model: every call brings a group
 * up to date with the clock (Pending instances InService, Terminating ones gone, a
 * difference between desired and actual capacity launching or terminating instances),
 * and each of those is a scaling activity worded as Auto Scaling words it. Without
 * capacity in the region (the capacity-shortage fault) every launch attempt is a Failed
 * activity saying InsufficientInstanceCapacity, retried every `launchRetryMs`.
 */

export type LifecycleState = "Pending" | "InService" | "Terminating";

export interface AsgInstance {
  id: string;
  availabilityZone: string;
  instanceType: string;
  state: LifecycleState;
  /** When a Pending instance is InService, or a Terminating one is gone. */
  transitionAt: Date;
  activityId: string;
}

export interface ScalingActivity {
  id: string;
  description: string;
  cause: string;
  startTime: Date;
  endTime?: Date;
  statusCode: "InProgress" | "Successful" | "Failed";
  statusMessage?: string;
  progress: number;
  details: string;
}

export interface AsgModel {
  region: string;
  name: string;
  arn: string;
  minSize: number;
  maxSize: number;
  desiredCapacity: number;
  instanceType: string;
  availabilityZones: string[];
  createdAt: Date;
  instances: AsgInstance[];
  /** Newest first. */
  activities: ScalingActivity[];
  /** What the last change of desired capacity was, the first sentence of the next activities' Cause. */
  lastChange: string | undefined;
  /** While launches fail: when the group tries again. */
  nextLaunchAttemptAt: number | undefined;
}

export interface AutoScalingState {
  accountId: string;
  groups: AsgModel[];
  instanceStartMs: number;
  launchRetryMs: number;
}

const MAX_ACTIVITIES = 500;

export function createAutoScalingState(
  config: AutoScalingConfig | undefined,
  accountId: string,
  now = new Date(),
): AutoScalingState {
  const state: AutoScalingState = {
    accountId,
    groups: [],
    instanceStartMs: config?.instanceStartMs ?? 2_000,
    launchRetryMs: config?.launchRetryMs ?? 10_000,
  };
  for (const c of config?.groups ?? []) state.groups.push(startingGroup(state, c, now));
  return state;
}

function startingGroup(state: AutoScalingState, c: AutoScalingGroupConfig, now: Date): AsgModel {
  // Auto Scaling ARNs carry a UUID of the group; derived from the name so it is stable across resets.
  const uuid = createHash("sha256").update(`${c.region}/${c.name}`).digest("hex");
  const group: AsgModel = {
    region: c.region,
    name: c.name,
    arn: `arn:aws:autoscaling:${c.region}:${state.accountId}:autoScalingGroup:${uuid.slice(0, 8)}-${uuid.slice(8, 12)}-${uuid.slice(12, 16)}-${uuid.slice(16, 20)}-${uuid.slice(20, 32)}:autoScalingGroupName/${c.name}`,
    minSize: c.minSize,
    maxSize: c.maxSize,
    desiredCapacity: c.desiredCapacity,
    instanceType: c.instanceType ?? "m5.large",
    availabilityZones: ["a", "b", "c"].map((z) => `${c.region}${z}`),
    createdAt: now,
    instances: [],
    activities: [],
    lastChange: undefined,
    nextLaunchAttemptAt: undefined,
  };
  for (let i = 0; i < c.desiredCapacity; i++) {
    const instance = newInstance(group, now, "");
    instance.state = "InService";
    group.instances.push(instance);
  }
  return group;
}

const stamp = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, "Z");

function newInstance(group: AsgModel, transitionAt: Date, activityId: string): AsgInstance {
  // Spread over the zones, as Auto Scaling balances them.
  const counts = group.availabilityZones.map(
    (z) => group.instances.filter((i) => i.availabilityZone === z && i.state !== "Terminating").length,
  );
  const zone = group.availabilityZones[counts.indexOf(Math.min(...counts))] ?? `${group.region}a`;
  return {
    id: `i-${randomBytes(9).toString("hex").slice(0, 17)}`,
    availabilityZone: zone,
    instanceType: group.instanceType,
    state: "Pending",
    transitionAt,
    activityId,
  };
}

/** Records a user's change of the group's size, worded as the Cause of the activities it starts. */
export function recordChange(group: AsgModel, now: Date, explicitDesired: boolean, from: number): void {
  const what = explicitDesired
    ? "a user request explicitly set group desired capacity"
    : `a user request update of AutoScalingGroup constraints to min: ${group.minSize}, max: ${group.maxSize}, desired: ${group.desiredCapacity}`;
  group.lastChange =
    from === group.desiredCapacity
      ? `At ${stamp(now)} ${what}.`
      : `At ${stamp(now)} ${what} changing the desired capacity from ${from} to ${group.desiredCapacity}.`;
  // A new request is a new attempt: do not wait out the backoff of the previous one.
  group.nextLaunchAttemptAt = undefined;
}

function addActivity(
  group: AsgModel,
  a: Omit<ScalingActivity, "id" | "details">,
  zone: string,
): ScalingActivity {
  const activity = {
    id: randomUUID(),
    details: JSON.stringify({ "Subnet ID": `subnet-${zone.replace(/-/g, "")}`, "Availability Zone": zone }),
    ...a,
  };
  group.activities.unshift(activity);
  group.activities.length = Math.min(group.activities.length, MAX_ACTIVITIES);
  return activity;
}

const cause = (group: AsgModel, rest: string) => `${group.lastChange ? `${group.lastChange}  ` : ""}${rest}`;

/** Brings one group up to date with `now`; `canLaunch` is false while its region has no capacity. */
export function advanceGroup(state: AutoScalingState, group: AsgModel, now: Date, canLaunch: boolean): void {
  const t = now.getTime();
  for (const instance of group.instances) {
    if (instance.transitionAt.getTime() > t || instance.state === "InService") continue;
    const activity = group.activities.find((a) => a.id === instance.activityId);
    if (activity)
      Object.assign(activity, { statusCode: "Successful", progress: 100, endTime: instance.transitionAt });
    if (instance.state === "Pending") instance.state = "InService";
  }
  group.instances = group.instances.filter(
    (i) => !(i.state === "Terminating" && i.transitionAt.getTime() <= t),
  );

  const alive = group.instances.filter((i) => i.state !== "Terminating");
  const missing = group.desiredCapacity - alive.length;
  if (missing > 0) {
    if (canLaunch) launch(state, group, now, alive.length, missing);
    else if (group.nextLaunchAttemptAt === undefined || t >= group.nextLaunchAttemptAt) {
      group.nextLaunchAttemptAt = t + state.launchRetryMs;
      failLaunch(group, now, alive.length);
    }
  } else if (missing < 0) {
    terminate(state, group, now, alive);
  }
}

function launch(state: AutoScalingState, group: AsgModel, now: Date, from: number, count: number): void {
  group.nextLaunchAttemptAt = undefined;
  for (let k = 0; k < count; k++) {
    const instance = newInstance(group, new Date(now.getTime() + state.instanceStartMs), "");
    const activity = addActivity(
      group,
      {
        description: `Launching a new EC2 instance: ${instance.id}`,
        cause: cause(
          group,
          `At ${stamp(now)} an instance was started in response to a difference between desired and actual capacity, increasing the capacity from ${from} to ${from + count}.`,
        ),
        startTime: now,
        statusCode: "InProgress",
        progress: 30,
      },
      instance.availabilityZone,
    );
    instance.activityId = activity.id;
    group.instances.push(instance);
  }
}

/** EC2's words when a zone has no capacity for the instance type. */
export function insufficientCapacityMessage(instanceType: string, zone: string): string {
  return (
    `We currently do not have sufficient ${instanceType} capacity in the Availability Zone you requested (${zone}). ` +
    "Our system will be working on provisioning additional capacity. Launching EC2 instance failed. (InsufficientInstanceCapacity)"
  );
}

function failLaunch(group: AsgModel, now: Date, from: number): void {
  const zone = group.availabilityZones[0] ?? `${group.region}a`;
  const message = insufficientCapacityMessage(group.instanceType, zone);
  addActivity(
    group,
    {
      description: `Launching a new EC2 instance.  Status Reason: ${message}`,
      cause: cause(
        group,
        `At ${stamp(now)} an instance was started in response to a difference between desired and actual capacity, increasing the capacity from ${from} to ${group.desiredCapacity}.`,
      ),
      startTime: now,
      endTime: now,
      statusCode: "Failed",
      statusMessage: message,
      progress: 100,
    },
    zone,
  );
}

function terminate(state: AutoScalingState, group: AsgModel, now: Date, alive: AsgInstance[]): void {
  const count = alive.length - group.desiredCapacity;
  // Pending ones first (they serve nothing yet), then the newest.
  const chosen = [...alive]
    .reverse()
    .sort((x, y) => (x.state === "Pending" ? 0 : 1) - (y.state === "Pending" ? 0 : 1));
  for (const instance of chosen.slice(0, count)) {
    const activity = addActivity(
      group,
      {
        description: `Terminating EC2 instance: ${instance.id}`,
        cause: cause(
          group,
          `At ${stamp(now)} an instance was taken out of service in response to a difference between desired and actual capacity, shrinking the capacity from ${alive.length} to ${group.desiredCapacity}.  At ${stamp(now)} instance ${instance.id} was selected for termination.`,
        ),
        startTime: now,
        statusCode: "InProgress",
        progress: 0,
      },
      instance.availabilityZone,
    );
    instance.state = "Terminating";
    instance.activityId = activity.id;
    instance.transitionAt = new Date(now.getTime() + state.instanceStartMs / 2);
  }
}

export function groupCounts(group: AsgModel) {
  const count = (s: LifecycleState) => group.instances.filter((i) => i.state === s).length;
  return { inService: count("InService"), pending: count("Pending"), terminating: count("Terminating") };
}
