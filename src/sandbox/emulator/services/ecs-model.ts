import { randomBytes, randomInt, randomUUID } from "node:crypto";
import type { EcsConfig, EcsServiceConfig } from "../topology.js";

/**
 * ECS clusters, services, deployments, tasks and events as data, and how a service stands
 * at start. The scheduler that moves them with the clock is ecs-scheduler.ts.
 */

export type TaskStatus = "PENDING" | "RUNNING" | "STOPPED";

export interface EcsTask {
  id: string;
  arn: string;
  deploymentId: string;
  taskDefinitionArn: string;
  availabilityZone: string;
  createdAt: Date;
  /** When a placed PENDING task turns RUNNING; undefined while no capacity can take it. */
  startsAt: Date | undefined;
  status: TaskStatus;
  startedAt?: Date;
  stoppedAt?: Date;
  stoppedReason?: string;
}

export interface EcsDeployment {
  id: string;
  status: "PRIMARY" | "ACTIVE";
  taskDefinitionArn: string;
  createdAt: Date;
  updatedAt: Date;
  rolloutState: "IN_PROGRESS" | "COMPLETED";
  rolloutStateReason: string;
}

export interface EcsEvent {
  id: string;
  createdAt: Date;
  message: string;
}

export interface EcsServiceModel {
  region: string;
  clusterName: string;
  clusterArn: string;
  name: string;
  arn: string;
  desiredCount: number;
  createdAt: Date;
  /** The PRIMARY deployment first, then older ones still running tasks. */
  deployments: EcsDeployment[];
  tasks: EcsTask[];
  /** Newest first, at most 100 (as DescribeServices returns them). */
  events: EcsEvent[];
  steady: boolean;
  /** When the "unable to place" event was last added: a blocked service repeats it only now and then. */
  lastPlacementEventAt: number | undefined;
}

export interface EcsState {
  accountId: string;
  services: EcsServiceModel[];
  /** Registered task definitions, `family:revision`. */
  taskDefinitions: Set<string>;
  taskStartMs: number;
}

const MAX_EVENTS = 100;

export function createEcsState(config: EcsConfig | undefined, accountId: string, now = new Date()): EcsState {
  const state: EcsState = {
    accountId,
    services: [],
    taskDefinitions: new Set([
      ...(config?.services ?? []).map((s) => s.taskDefinition),
      ...(config?.taskDefinitions ?? []),
    ]),
    taskStartMs: config?.taskStartMs ?? 400,
  };
  for (const c of config?.services ?? []) state.services.push(startingService(state, c, now));
  return state;
}

/** A service as it stands at start: its tasks running, its one deployment completed, steady. */
function startingService(state: EcsState, c: EcsServiceConfig, now: Date): EcsServiceModel {
  const clusterArn = `arn:aws:ecs:${c.region}:${state.accountId}:cluster/${c.cluster}`;
  const deployment = newDeployment(taskDefinitionArn(state, c.region, c.taskDefinition), now);
  deployment.rolloutState = "COMPLETED";
  deployment.rolloutStateReason = `ECS deployment ${deployment.id} completed.`;
  const service: EcsServiceModel = {
    region: c.region,
    clusterName: c.cluster,
    clusterArn,
    name: c.service,
    arn: `arn:aws:ecs:${c.region}:${state.accountId}:service/${c.cluster}/${c.service}`,
    desiredCount: c.desiredCount,
    createdAt: now,
    deployments: [deployment],
    tasks: [],
    events: [],
    steady: true,
    lastPlacementEventAt: undefined,
  };
  for (let i = 0; i < c.desiredCount; i++) {
    const task = newTask(state, service, deployment, now, now);
    task.status = "RUNNING";
    task.startedAt = now;
    service.tasks.push(task);
  }
  addEvent(service, now, `(service ${service.name}) has reached a steady state.`);
  return service;
}

export function taskDefinitionArn(state: EcsState, region: string, familyRevision: string): string {
  return `arn:aws:ecs:${region}:${state.accountId}:task-definition/${familyRevision}`;
}

/** `family`, `family:revision` or an ARN → the registered revision's ARN (a bare family: its latest). */
export function resolveTaskDefinition(state: EcsState, region: string, ref: string): string | undefined {
  const name = ref.startsWith("arn:") ? (ref.split("task-definition/")[1] ?? "") : ref;
  if (state.taskDefinitions.has(name)) return taskDefinitionArn(state, region, name);
  const revisions = [...state.taskDefinitions]
    .filter((d) => d.split(":")[0] === name)
    .sort((x, y) => Number(y.split(":")[1]) - Number(x.split(":")[1]));
  return revisions[0] ? taskDefinitionArn(state, region, revisions[0]) : undefined;
}

export function newDeployment(taskDefinitionArn: string, now: Date): EcsDeployment {
  // ECS deployment ids are `ecs-svc/` and nineteen digits.
  const digits = Array.from({ length: 19 }, (_, i) => randomInt(i === 0 ? 1 : 0, 10)).join("");
  return {
    id: `ecs-svc/${digits}`,
    status: "PRIMARY",
    taskDefinitionArn,
    createdAt: now,
    updatedAt: now,
    rolloutState: "IN_PROGRESS",
    rolloutStateReason: "ECS deployment detected.",
  };
}

/** Starts a deployment of `taskDefinitionArn`; the one before it becomes ACTIVE and drains as the new one starts. */
export function deploy(service: EcsServiceModel, taskDefinitionArn: string, now: Date): EcsDeployment {
  for (const d of service.deployments) {
    d.status = "ACTIVE";
    d.updatedAt = now;
  }
  const deployment = newDeployment(taskDefinitionArn, now);
  service.deployments.unshift(deployment);
  return deployment;
}

export function primaryDeployment(service: EcsServiceModel): EcsDeployment {
  const primary = service.deployments[0];
  if (!primary) throw new Error(`service ${service.name} has no deployment`);
  return primary;
}

export const isAlive = (t: EcsTask) => t.status !== "STOPPED";

export function newTask(
  state: EcsState,
  service: EcsServiceModel,
  deployment: EcsDeployment,
  now: Date,
  startsAt: Date | undefined,
): EcsTask {
  const id = randomBytes(16).toString("hex");
  const zones = ["a", "b", "c"];
  return {
    id,
    arn: `arn:aws:ecs:${service.region}:${state.accountId}:task/${service.clusterName}/${id}`,
    deploymentId: deployment.id,
    taskDefinitionArn: deployment.taskDefinitionArn,
    availabilityZone: `${service.region}${zones[service.tasks.length % zones.length]}`,
    createdAt: now,
    startsAt,
    status: "PENDING",
  };
}

/** Events are dated when they happened, but never before the newest one: the list stays newest first. */
export function addEvent(service: EcsServiceModel, at: Date, message: string): void {
  const newest = service.events[0]?.createdAt;
  service.events.unshift({ id: randomUUID(), createdAt: newest && newest > at ? newest : at, message });
  service.events.length = Math.min(service.events.length, MAX_EVENTS);
}

export function taskCounts(service: EcsServiceModel, deploymentId?: string) {
  const tasks = service.tasks.filter((x) => isAlive(x) && (!deploymentId || x.deploymentId === deploymentId));
  return {
    running: tasks.filter((x) => x.status === "RUNNING").length,
    pending: tasks.filter((x) => x.status === "PENDING").length,
  };
}
