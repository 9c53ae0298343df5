import { z } from "zod";
import {
  autoScalingError,
  describeGroup,
  describeGroupProgress,
  failedActivitySince,
  type GroupView,
} from "../src/aws/auto-scaling-group.js";
import { pollStep } from "../src/aws/poll-step.js";
import { WholeNumber } from "../src/aws/whole-number.js";
import { conflict, defineExecutor } from "../src/executor.js";
import { allow, regionsOf, resourceArn } from "../src/iam/arn.js";

/** Activity times come from AWS's clock: allow this much skew when judging "since the change". */
const CLOCK_SKEW_MS = 5_000;

/**
 * Size an EC2 Auto Scaling group (min, desired, max) and wait until `desired` instances are
 * InService and Healthy. UpdateAutoScalingGroup is sent only when a size differs, so a
 * resume mid-wait only waits. A launch that fails (InsufficientInstanceCapacity, a broken
 * launch template) is read from the group's scaling activities and fails the step with
 * Auto Scaling's own message, rather than waiting for the timeout.
 */
export const autoscalingSetCapacity = defineExecutor({
  type: "autoscaling.set-capacity",
  summary:
    "Set an Auto Scaling group's min/desired/max and wait for that many instances InService and Healthy",
  params: z
    .strictObject({
      region: z.string().min(1),
      group: z.string().min(1).describe("Auto Scaling group name"),
      min: WholeNumber.optional().describe("MinSize (default: unchanged)"),
      desired: WholeNumber.describe("DesiredCapacity: instances that must be InService and Healthy"),
      max: WholeNumber.optional().describe("MaxSize (default: unchanged)"),
    })
    .superRefine((p, issue) => {
      if (p.min !== undefined && p.desired < p.min)
        issue.addIssue({
          code: "custom",
          path: ["desired"],
          message: `desired ${p.desired} is below min ${p.min}`,
        });
      if (p.max !== undefined && p.desired > p.max)
        issue.addIssue({
          code: "custom",
          path: ["desired"],
          message: `desired ${p.desired} is above max ${p.max}`,
        });
    }),
  aws: true,
  permissions(p, scope) {
    const regions = regionsOf(p.region);
    // The group's ARN holds a generated id: any id, this name.
    const group = resourceArn(
      "autoscaling",
      "autoScalingGroup",
      { GroupFriendlyName: p.group },
      scope,
      p.region,
    );
    const describe = allow("autoscaling:DescribeAutoScalingGroups", ["*"], regions);
    return {
      check: [describe],
      run: [
        describe,
        allow("autoscaling:UpdateAutoScalingGroup", [group], regions),
        allow("autoscaling:DescribeScalingActivities", ["*"], regions),
      ],
    };
  },
  describe: (p) =>
    `Auto Scaling UpdateAutoScalingGroup ${p.group} in ${p.region}: ${sizes(p)}, then wait until ${p.desired} instances are InService and Healthy (a failed launch fails the step)`,
  async check(p, ctx) {
    const asg = await ctx.aws.client("auto-scaling", p.region);
    const v = await describeGroup(asg, p, ctx.signal);
    if (!sizesHold(v, p) || !ready(v, p.desired))
      return {
        inPlace: false,
        detail: `min ${v.minSize}, desired ${v.desiredCapacity}, max ${v.maxSize}; ${describeGroupProgress(p.group, v, p.desired)}`,
      };
    return {
      inPlace: true,
      detail: `${p.group} already has ${v.ready.length}/${p.desired} instances InService and Healthy`,
      outputs: outputs(v, false),
    };
  },
  async run(p, ctx) {
    const { UpdateAutoScalingGroupCommand } = await import("@aws-sdk/client-auto-scaling");
    const asg = await ctx.aws.client("auto-scaling", p.region);
    const before = await describeGroup(asg, p, ctx.signal);
    const updated = !sizesHold(before, p);
    const since = new Date(ctx.now().getTime() - CLOCK_SKEW_MS);
    if (updated) {
      await asg
        .send(
          new UpdateAutoScalingGroupCommand({
            AutoScalingGroupName: p.group,
            DesiredCapacity: p.desired,
            ...(p.min === undefined ? {} : { MinSize: p.min }),
            ...(p.max === undefined ? {} : { MaxSize: p.max }),
          }),
          { abortSignal: ctx.signal },
        )
        .catch((err: unknown) => {
          throw autoScalingError(err, p);
        });
      ctx.logger.info({ min: p.min, desired: p.desired, max: p.max }, "UpdateAutoScalingGroup accepted");
    }
    const done = await pollStep<GroupView>(ctx, async () => {
      const v = await describeGroup(asg, p, ctx.signal);
      if (v.desiredCapacity !== p.desired)
        throw conflict(
          `the desired capacity of ${p.group} is now ${v.desiredCapacity}, not ${p.desired}: a scaling policy or another operator changed it`,
        );
      if (ready(v, p.desired)) return { state: "SUCCESS", value: v };
      const failed = await failedActivitySince(asg, p, since, ctx.signal);
      if (failed)
        return {
          state: "FAILURE",
          reason: `${p.group} could not launch instances: ${failed.statusMessage}`,
        };
      return { state: "RETRY", detail: describeGroupProgress(p.group, v, p.desired) };
    });
    return outputs(done, updated);
  },
});

interface Sizes {
  min?: number | undefined;
  desired: number;
  max?: number | undefined;
}

const sizes = (p: Sizes) =>
  [
    p.min === undefined ? "" : `MinSize ${p.min}`,
    `DesiredCapacity ${p.desired}`,
    p.max === undefined ? "" : `MaxSize ${p.max}`,
  ]
    .filter(Boolean)
    .join(", ");

const sizesHold = (v: GroupView, p: Sizes) =>
  v.desiredCapacity === p.desired && (p.min ?? v.minSize) === v.minSize && (p.max ?? v.maxSize) === v.maxSize;

/** Exactly `desired` instances serving, none still coming. */
const ready = (v: GroupView, desired: number) => v.ready.length === desired && v.pending === 0;

function outputs(v: GroupView, updated: boolean) {
  return {
    minSize: v.minSize,
    desiredCapacity: v.desiredCapacity,
    maxSize: v.maxSize,
    inService: v.ready.length,
    instanceIds: v.ready,
    updated,
  };
}
