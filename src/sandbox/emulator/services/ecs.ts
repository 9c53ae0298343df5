import { ApiError } from "../errors.js";
import { pageOf } from "../pagination.js";
import type { ParamReader } from "../params.js";
import type { RequestContext, ServiceDefinition } from "../service.js";
import { ecsIamResources } from "./ecs-iam.js";
import {
  deploy,
  type EcsServiceModel,
  type EcsState,
  type EcsTask,
  isAlive,
  primaryDeployment,
  resolveTaskDefinition,
  taskCounts,
} from "./ecs-model.js";
import { advanceService } from "./ecs-scheduler.js";

/**
 * Amazon ECS (AWS JSON 1.1, `AmazonEC2ContainerServiceV20141113.*`, camelCase members):
 * the clusters and services of the topology, their deployments, tasks and events. Every
 * call first advances the region's services to now (ecs-model.ts), so what a client reads
 * is what the scheduler would have done meanwhile.
 */
export interface EcsOptions {
  state: EcsState;
  /** False while the region has no capacity for new tasks (the capacity-shortage fault). */
  canPlace: (region: string) => boolean;
  /** Container instances registered in the region's clusters (the Auto Scaling group's InService instances). */
  containerInstances: (region: string) => number;
}

/** ECS's service quota of tasks per service. */
const TASKS_PER_SERVICE = 5_000;

const clusterNotFound = () => new ApiError("ClusterNotFoundException", "Cluster not found.", 400);
const serviceNotFound = () => new ApiError("ServiceNotFoundException", "Service not found.", 400);
const invalid = (message: string) => new ApiError("InvalidParameterException", message, 400);

/** `name` or the last path segment of an ARN (`…:cluster/case`, `…:service/case/case-api`). */
const nameOf = (ref: string) => (ref.startsWith("arn:") ? (ref.split("/").at(-1) ?? "") : ref);

export function ecsService(o: EcsOptions): ServiceDefinition {
  const { state } = o;
  const advance = (region: string) => {
    const now = new Date();
    for (const s of state.services)
      if (s.region === region) advanceService(state, s, now, o.canPlace(region));
  };
  const servicesOf = (region: string, cluster: string) =>
    state.services.filter((s) => s.region === region && s.clusterName === cluster);
  /** The cluster a request names (default `default`, as ECS assumes), or ClusterNotFoundException. */
  const cluster = (p: ParamReader, ctx: RequestContext): string => {
    const name = nameOf(p.optionalString("cluster") ?? "default");
    if (servicesOf(ctx.region, name).length === 0) throw clusterNotFound();
    advance(ctx.region);
    return name;
  };
  const findService = (region: string, clusterName: string, ref: string) =>
    servicesOf(region, clusterName).find((s) => s.name === nameOf(ref) || s.arn === ref);
  const clusterArn = (region: string, name: string) =>
    `arn:aws:ecs:${region}:${state.accountId}:cluster/${name}`;

  return {
    name: "ecs",
    json: { target: "AmazonEC2ContainerServiceV20141113", version: "1.1", namespace: "com.amazonaws.ecs" },
    errors: {
      missing: "InvalidParameterException",
      invalid: "InvalidParameterException",
      unknownOperation: "UnknownOperationException",
      throttling: "ThrottlingException",
      auth: { accessDenied: { code: "AccessDeniedException", status: 403 } },
    },
    iam: { resources: ecsIamResources(state.accountId) },
    mutating: new Set(["UpdateService"]),
    operations: {
      DescribeClusters: (p, ctx) => {
        advance(ctx.region);
        const refs = p.stringList("clusters");
        const clusters = [];
        const failures = [];
        for (const ref of refs.length ? refs : ["default"]) {
          const services = servicesOf(ctx.region, nameOf(ref));
          if (services.length === 0)
            failures.push({ arn: clusterArn(ctx.region, nameOf(ref)), reason: "MISSING" });
          else clusters.push(renderCluster(services, o.containerInstances(ctx.region)));
        }
        return { clusters, failures };
      },
      DescribeServices: (p, ctx) => {
        const name = cluster(p, ctx);
        const refs = p.stringList("services");
        if (refs.length === 0) throw invalid("Services cannot be empty.");
        if (refs.length > 10) throw invalid("Services cannot contain more than 10 elements.");
        const services = [];
        const failures = [];
        for (const ref of refs) {
          const found = findService(ctx.region, name, ref);
          if (found) services.push(renderService(found));
          else
            failures.push({
              arn: `arn:aws:ecs:${ctx.region}:${state.accountId}:service/${name}/${nameOf(ref)}`,
              reason: "MISSING",
            });
        }
        return { services, failures };
      },
      UpdateService: (p, ctx) => {
        const name = cluster(p, ctx);
        const service = findService(ctx.region, name, p.string("service"));
        if (!service) throw serviceNotFound();
        const desired = p.optionalNumber("desiredCount");
        if (desired !== undefined && (!Number.isInteger(desired) || desired < 0))
          throw invalid(`Invalid desiredCount ${desired}: it must be a whole number, 0 or more.`);
        if (desired !== undefined && desired > TASKS_PER_SERVICE)
          throw invalid(
            `The desired count ${desired} exceeds the limit of ${TASKS_PER_SERVICE} tasks per service.`,
          );
        const ref = p.optionalString("taskDefinition");
        const taskDefinition = ref === undefined ? undefined : resolveTaskDefinition(state, ctx.region, ref);
        if (ref !== undefined && !taskDefinition) throw invalid("TaskDefinition not found.");
        const now = new Date();
        if (desired !== undefined) service.desiredCount = desired;
        // Only a new task definition (or forceNewDeployment) starts a deployment; a new count scales the current one.
        const current = primaryDeployment(service).taskDefinitionArn;
        if ((taskDefinition && taskDefinition !== current) || p.boolean("forceNewDeployment"))
          deploy(service, taskDefinition ?? current, now);
        advanceService(state, service, now, o.canPlace(ctx.region));
        return { service: renderService(service) };
      },
      ListTasks: (p, ctx) => {
        const name = cluster(p, ctx);
        const serviceName = p.optionalString("serviceName");
        const service = serviceName === undefined ? undefined : findService(ctx.region, name, serviceName);
        if (serviceName !== undefined && !service) throw serviceNotFound();
        const desiredStatus = p.optionalString("desiredStatus") ?? "RUNNING";
        if (!["RUNNING", "PENDING", "STOPPED"].includes(desiredStatus))
          throw invalid(`Invalid desiredStatus ${desiredStatus}: one of RUNNING, PENDING, STOPPED.`);
        const family = p.optionalString("family");
        const startedBy = p.optionalString("startedBy");
        const tasks = (service ? [service] : servicesOf(ctx.region, name)).flatMap((s) => s.tasks);
        const selected = tasks.filter(
          (t) =>
            // ECS never asks a service's task to be PENDING: that filter lists nothing here.
            (desiredStatus === "STOPPED" ? !isAlive(t) : desiredStatus === "RUNNING" && isAlive(t)) &&
            (family === undefined ||
              t.taskDefinitionArn.split("task-definition/")[1]?.split(":")[0] === family) &&
            (startedBy === undefined || t.deploymentId === startedBy),
        );
        return page(
          selected.map((t) => t.arn),
          p,
        );
      },
      DescribeTasks: (p, ctx) => {
        const name = cluster(p, ctx);
        const refs = p.stringList("tasks");
        if (refs.length === 0) throw invalid("Tasks cannot be empty.");
        if (refs.length > 100) throw invalid("Tasks cannot contain more than 100 elements.");
        const all = servicesOf(ctx.region, name).flatMap((s) => s.tasks.map((t) => ({ s, t })));
        const tasks = [];
        const failures = [];
        for (const ref of refs) {
          const found = all.find(({ t }) => t.arn === ref || t.id === ref);
          if (found) tasks.push(renderTask(found.s, found.t));
          else failures.push({ arn: ref, reason: "MISSING" });
        }
        return { tasks, failures };
      },
    },
  };
}

/** ListTasks pages: `maxResults` (1–100, default 100) and an opaque `nextToken`. */
function page(arns: string[], p: ParamReader) {
  const max = p.optionalNumber("maxResults") ?? 100;
  if (!Number.isInteger(max) || max < 1 || max > 100) throw invalid("maxResults must be between 1 and 100.");
  const { page: taskArns, next } = pageOf(arns, p.optionalString("nextToken"), max, () =>
    invalid("Invalid nextToken."),
  );
  return { taskArns, nextToken: next };
}

function renderCluster(services: EcsServiceModel[], containerInstances: number) {
  const first = services[0] as EcsServiceModel;
  const counts = services.map((s) => taskCounts(s));
  return {
    clusterArn: first.clusterArn,
    clusterName: first.clusterName,
    status: "ACTIVE",
    registeredContainerInstancesCount: containerInstances,
    runningTasksCount: counts.reduce((n, c) => n + c.running, 0),
    pendingTasksCount: counts.reduce((n, c) => n + c.pending, 0),
    activeServicesCount: services.length,
    statistics: [],
    tags: [],
    settings: [{ name: "containerInsights", value: "enabled" }],
    capacityProviders: [],
    defaultCapacityProviderStrategy: [],
  };
}

export function renderService(s: EcsServiceModel) {
  const counts = taskCounts(s);
  const primary = primaryDeployment(s);
  return {
    serviceArn: s.arn,
    serviceName: s.name,
    clusterArn: s.clusterArn,
    loadBalancers: [],
    serviceRegistries: [],
    status: "ACTIVE",
    desiredCount: s.desiredCount,
    runningCount: counts.running,
    pendingCount: counts.pending,
    launchType: "EC2",
    taskDefinition: primary.taskDefinitionArn,
    deploymentConfiguration: {
      deploymentCircuitBreaker: { enable: false, rollback: false },
      maximumPercent: 200,
      minimumHealthyPercent: 100,
    },
    deployments: s.deployments.map((d) => {
      const c = taskCounts(s, d.id);
      return {
        id: d.id,
        status: d.status,
        taskDefinition: d.taskDefinitionArn,
        // Only the PRIMARY deployment wants tasks; an ACTIVE one drains to zero.
        desiredCount: d.status === "PRIMARY" ? s.desiredCount : 0,
        pendingCount: c.pending,
        runningCount: c.running,
        failedTasks: 0,
        createdAt: d.createdAt,
        updatedAt: d.updatedAt,
        launchType: "EC2",
        rolloutState: d.rolloutState,
        rolloutStateReason: d.rolloutStateReason,
      };
    }),
    events: s.events,
    createdAt: s.createdAt,
    placementConstraints: [],
    placementStrategy: [{ type: "spread", field: "attribute:ecs.availability-zone" }],
    schedulingStrategy: "REPLICA",
    deploymentController: { type: "ECS" },
    createdBy: `arn:aws:iam::${s.arn.split(":")[4]}:role/case-platform`,
    enableECSManagedTags: false,
    propagateTags: "NONE",
    enableExecuteCommand: false,
  };
}

function renderTask(s: EcsServiceModel, t: EcsTask) {
  const desiredStatus = isAlive(t) ? "RUNNING" : "STOPPED";
  return {
    taskArn: t.arn,
    clusterArn: s.clusterArn,
    taskDefinitionArn: t.taskDefinitionArn,
    lastStatus: t.status,
    desiredStatus,
    launchType: "EC2",
    availabilityZone: t.availabilityZone,
    group: `service:${s.name}`,
    startedBy: t.deploymentId,
    cpu: "256",
    memory: "512",
    createdAt: t.createdAt,
    ...(t.startedAt
      ? { startedAt: t.startedAt, connectivity: "CONNECTED", connectivityAt: t.startedAt }
      : {}),
    ...(t.stoppedAt
      ? {
          stoppingAt: t.stoppedAt,
          stoppedAt: t.stoppedAt,
          executionStoppedAt: t.stoppedAt,
          stoppedReason: t.stoppedReason,
          stopCode: "ServiceSchedulerInitiated",
        }
      : {}),
    healthStatus: "UNKNOWN",
    containers: [
      {
        containerArn: t.arn.replace(":task/", ":container/"),
        taskArn: t.arn,
        name: s.name,
        image: `${s.arn.split(":")[4]}.dkr.ecr.${s.region}.amazonaws.com/${s.name}:latest`,
        lastStatus: t.status,
        healthStatus: "UNKNOWN",
        cpu: "256",
        memory: "512",
      },
    ],
    version: t.status === "PENDING" ? 1 : t.status === "RUNNING" ? 2 : 3,
    attributes: [],
    tags: [],
  };
}
