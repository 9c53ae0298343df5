import { z } from "zod";
import {
  describeEcsService,
  describeProgress,
  type EcsServiceView,
  ecsError,
  hasReached,
  placementFailure,
} from "../src/aws/ecs-service.js";
import { pollStep } from "../src/aws/poll-step.js";
import { WholeNumber } from "../src/aws/whole-number.js";
import { defineExecutor } from "../src/executor.js";
import { allow, arnPart, isArn, regionsOf, resourceArn } from "../src/iam/arn.js";
import { formatDuration, parseDuration } from "../src/language/duration.js";
import { Duration } from "../src/language/schema.js";

/** ECS timestamps come from AWS's clock: allow this much skew when judging "since the change". */
const CLOCK_SKEW_MS = 5_000;

/**
 * Scale an ECS service to a desired count and wait until that many tasks run and its
 * deployment is COMPLETED: the recovery region's capacity before traffic moves there.
 * UpdateService is sent only when the desired count differs, so a resume after a crash
 * mid-wait only waits. Tasks that stop starting (no capacity to place them) fail the step
 * after `stallAfter`, in ECS's own words.
 */
export const ecsScaleService = defineExecutor({
  type: "ecs.scale-service",
  summary: "Set an ECS service's desired count and wait until its tasks run and the deployment is COMPLETED",
  params: z.strictObject({
    region: z.string().min(1),
    cluster: z.string().min(1).describe("Cluster name or ARN"),
    service: z.string().min(1).describe("Service name or ARN"),
    desiredCount: WholeNumber.describe("Tasks that must run"),
    stallAfter: Duration.optional().describe(
      "Fail when the running count has not moved for this long (default 60s)",
    ),
  }),
  aws: true,
  permissions(p, scope) {
    // `service/<cluster>/<service>`; either param may be given as an ARN.
    const cluster = isArn(p.cluster) ? p.cluster.split("/").at(-1) : p.cluster;
    const service = isArn(p.service)
      ? p.service
      : resourceArn(
          "ecs",
          "service",
          { ClusterName: cluster, ServiceName: arnPart(p.service) },
          scope,
          p.region,
        );
    const read = allow("ecs:DescribeServices", [service], regionsOf(p.region));
    return { check: [read], run: [read, allow("ecs:UpdateService", [service], regionsOf(p.region))] };
  },
  describe: (p) =>
    `ECS UpdateService ${p.cluster}/${p.service} desiredCount ${p.desiredCount} in ${p.region}, then wait until ${p.desiredCount} tasks run and the deployment is COMPLETED (fails if no task starts for ${formatDuration(stallMs(p.stallAfter))})`,
  async check(p, ctx) {
    const ecs = await ctx.aws.client("ecs", p.region);
    const v = await describeEcsService(ecs, p, ctx.signal);
    if (!hasReached(v, p.desiredCount))
      return {
        inPlace: false,
        detail: `desired ${v.desiredCount}; ${describeProgress(p.service, v, p.desiredCount)}`,
      };
    return {
      inPlace: true,
      detail: `${p.service} already runs ${v.runningCount}/${p.desiredCount} tasks, deployment COMPLETED`,
      outputs: outputs(v, false),
    };
  },
  async run(p, ctx) {
    const { UpdateServiceCommand } = await import("@aws-sdk/client-ecs");
    const ecs = await ctx.aws.client("ecs", p.region);
    const before = await describeEcsService(ecs, p, ctx.signal);
    const updated = before.desiredCount !== p.desiredCount;
    if (updated) {
      await ecs
        .send(
          new UpdateServiceCommand({ cluster: p.cluster, service: p.service, desiredCount: p.desiredCount }),
          { abortSignal: ctx.signal },
        )
        .catch((err: unknown) => {
          throw ecsError(err, p);
        });
      ctx.logger.info({ from: before.desiredCount, to: p.desiredCount }, "UpdateService accepted");
    }
    const since = new Date(ctx.now().getTime() - CLOCK_SKEW_MS);
    const limit = stallMs(p.stallAfter);
    let last = { running: before.runningCount, at: ctx.now().getTime() };
    const reached = await pollStep<EcsServiceView>(ctx, async () => {
      const v = await describeEcsService(ecs, p, ctx.signal);
      if (hasReached(v, p.desiredCount)) return { state: "SUCCESS", value: v };
      if (v.primary?.rolloutState === "FAILED")
        return {
          state: "FAILURE",
          reason: `deployment ${v.primary.id} of ${p.service} FAILED: ${v.primary.rolloutStateReason ?? "no reason given"}`,
        };
      const now = ctx.now().getTime();
      if (v.runningCount !== last.running) last = { running: v.runningCount, at: now };
      else if (now - last.at >= limit)
        return { state: "FAILURE", reason: stalled(p.service, v, p.desiredCount, limit, since) };
      return { state: "RETRY", detail: describeProgress(p.service, v, p.desiredCount) };
    });
    return outputs(reached, updated);
  },
});

function stallMs(stallAfter: string | undefined): number {
  return parseDuration(stallAfter ?? "60s") ?? 60_000;
}

/** The stall, and why in ECS's words: its newest "unable to place a task" event, else its newest event. */
function stalled(service: string, v: EcsServiceView, desired: number, limitMs: number, since: Date): string {
  const why = placementFailure(v, since) ?? v.events[0]?.message;
  return `${service}: the running count has not moved for ${formatDuration(limitMs)} (${v.runningCount}/${desired} running, ${v.pendingCount} pending)${why ? `: ${why}` : ""}`;
}

function outputs(v: EcsServiceView, updated: boolean) {
  return {
    desiredCount: v.desiredCount,
    runningCount: v.runningCount,
    deploymentId: v.primary?.id,
    taskDefinition: v.primary?.taskDefinition,
    updated,
  };
}
