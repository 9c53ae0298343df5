import { randomBytes } from "node:crypto";
import {
  addEvent,
  type EcsServiceModel,
  type EcsState,
  type EcsTask,
  isAlive,
  newTask,
  primaryDeployment,
} from "./ecs-model.js";

/**
 * The ECS service scheduler, advanced lazily: every read or write first brings a service
 * up to date with the clock (tasks placed turn RUNNING, old deployments give way, the
 * primary deployment converges on the desired count), so running counts converge over
 * seconds without a timer. A region without capacity (the capacity-shortage fault) leaves
 * new tasks PENDING and says so in the service's events, as ECS does.
 */

const MAX_STOPPED_TASKS = 100;
/** How often a service that cannot place its tasks repeats the event saying so. */
const PLACEMENT_EVENT_MS = 30_000;

function stop(service: EcsServiceModel, tasks: EcsTask[], now: Date): void {
  if (tasks.length === 0) return;
  // Any scheduler action is followed, once it settles, by a fresh "reached a steady state".
  service.steady = false;
  for (const task of tasks) {
    task.status = "STOPPED";
    task.stoppedAt = now;
    task.stoppedReason = `Scaling activity initiated by (deployment ${task.deploymentId})`;
  }
  const ids = tasks.map((t) => `(task ${t.id})`).join(" ");
  addEvent(service, now, `(service ${service.name}) has stopped ${tasks.length} running tasks: ${ids}.`);
}

/** Gives PENDING tasks without a place a start time, one after another after those already queued. */
function place(state: EcsState, service: EcsServiceModel, tasks: EcsTask[], now: Date): void {
  if (tasks.length === 0) return;
  service.steady = false;
  const queued = service.tasks.flatMap((t) =>
    t.status === "PENDING" && t.startsAt ? [t.startsAt.getTime()] : [],
  );
  const after = Math.max(now.getTime(), ...queued);
  tasks.forEach((task, i) => {
    task.startsAt = new Date(after + state.taskStartMs * (i + 1));
  });
  const ids = tasks.map((t) => `(task ${t.id})`).join(" ");
  addEvent(service, now, `(service ${service.name}) has started ${tasks.length} tasks: ${ids}.`);
}

/** Newest first among the ones to give up: unplaced PENDING, then PENDING, then RUNNING. */
function scaleInOrder(tasks: EcsTask[]): EcsTask[] {
  const rank = (t: EcsTask) => (t.status === "PENDING" ? (t.startsAt ? 1 : 0) : 2);
  return [...tasks].sort((x, y) => rank(x) - rank(y) || y.createdAt.getTime() - x.createdAt.getTime());
}

/** Brings one service up to date with `now`; `canPlace` is false while its region has no capacity. */
export function advanceService(
  state: EcsState,
  service: EcsServiceModel,
  now: Date,
  canPlace: boolean,
): void {
  const t = now.getTime();
  let startedAt: Date | undefined;
  for (const task of service.tasks) {
    if (task.status === "PENDING" && task.startsAt && task.startsAt.getTime() <= t) {
      task.status = "RUNNING";
      task.startedAt = task.startsAt;
      if (!startedAt || task.startsAt > startedAt) startedAt = task.startsAt;
    }
  }
  const primary = primaryDeployment(service);
  const alive = () => service.tasks.filter(isAlive);
  if (canPlace)
    place(
      state,
      service,
      alive().filter((x) => x.status === "PENDING" && !x.startsAt),
      now,
    );

  // A rolling update: the old deployments' tasks give way as the primary's start running.
  const primaryRunning = alive().filter((x) => x.deploymentId === primary.id && x.status === "RUNNING");
  const old = alive().filter((x) => x.deploymentId !== primary.id);
  const keepOld = Math.max(0, service.desiredCount - primaryRunning.length);
  stop(service, scaleInOrder(old).slice(0, Math.max(0, old.length - keepOld)), now);
  service.deployments = service.deployments.filter(
    (d) => d === primary || alive().some((x) => x.deploymentId === d.id),
  );

  const mine = alive().filter((x) => x.deploymentId === primary.id);
  if (mine.length < service.desiredCount) {
    const launched = Array.from({ length: service.desiredCount - mine.length }, () =>
      newTask(state, service, primary, now, undefined),
    );
    service.tasks.push(...launched);
    if (canPlace) place(state, service, launched, now);
  } else if (mine.length > service.desiredCount) {
    stop(service, scaleInOrder(mine).slice(0, mine.length - service.desiredCount), now);
  }

  const unplaced = alive().some((x) => x.status === "PENDING" && !x.startsAt);
  if (!canPlace && unplaced) {
    const last = service.lastPlacementEventAt;
    if (last === undefined || t - last >= PLACEMENT_EVENT_MS) {
      service.lastPlacementEventAt = t;
      addEvent(service, now, placementFailure(service));
    }
  }

  const running = alive().filter((x) => x.status === "RUNNING").length;
  const steady =
    running === service.desiredCount &&
    alive().every((x) => x.status === "RUNNING") &&
    service.deployments.length === 1;
  if (steady && primary.rolloutState === "IN_PROGRESS") {
    primary.rolloutState = "COMPLETED";
    primary.rolloutStateReason = `ECS deployment ${primary.id} completed.`;
    primary.updatedAt = startedAt ?? now;
    addEvent(
      service,
      startedAt ?? now,
      `(service ${service.name}) (deployment ${primary.id}) deployment completed.`,
    );
  }
  if (steady && !service.steady)
    addEvent(service, startedAt ?? now, `(service ${service.name}) has reached a steady state.`);
  service.steady = steady;
  pruneStopped(service);
}

/** ECS's words when no container instance has room for a task. */
function placementFailure(service: EcsServiceModel): string {
  const instance = randomBytes(16).toString("hex");
  return (
    `(service ${service.name}) was unable to place a task because no container instance met all of its requirements. ` +
    `The closest matching (container-instance ${instance}) has insufficient CPU units available. ` +
    "For more information, see the Troubleshooting section of the Amazon ECS Developer Guide."
  );
}

function pruneStopped(service: EcsServiceModel): void {
  const stopped = service.tasks.filter((x) => x.status === "STOPPED");
  if (stopped.length <= MAX_STOPPED_TASKS) return;
  const drop = new Set(stopped.slice(0, stopped.length - MAX_STOPPED_TASKS));
  service.tasks = service.tasks.filter((x) => !drop.has(x));
}
