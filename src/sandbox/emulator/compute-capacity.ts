import type { ServiceDefinition } from "./service.js";
import { autoScalingService } from "./services/autoscaling.js";
import {
  type AutoScalingState,
  advanceGroup,
  createAutoScalingState,
  groupCounts,
} from "./services/autoscaling-model.js";
import type { MetricDatum } from "./services/cloudwatch-metrics.js";
import { ecsService } from "./services/ecs.js";
import { createEcsState, type EcsState, primaryDeployment, taskCounts } from "./services/ecs-model.js";
import { advanceService } from "./services/ecs-scheduler.js";
import type { EmulatorTopology } from "./topology.js";

/**
 * Compute in each region: the ECS services and the EC2 Auto Scaling groups, the
 * capacity-shortage fault they share (no new task placed, no instance launched), their
 * CloudWatch metrics, and a reset to the topology's starting counts.
 */

export interface EcsServiceSummary {
  region: string;
  cluster: string;
  service: string;
  desired: number;
  running: number;
  pending: number;
  rolloutState: string;
}

export interface AutoScalingGroupSummary {
  region: string;
  group: string;
  min: number;
  max: number;
  desired: number;
  inService: number;
  pending: number;
}

export class ComputeCapacity {
  readonly ecs: EcsState;
  readonly autoScaling: AutoScalingState;
  private readonly shortages = new Set<string>();

  constructor(
    private readonly topology: EmulatorTopology,
    private readonly accountId: string,
  ) {
    this.ecs = createEcsState(topology.ecs, accountId);
    this.autoScaling = createAutoScalingState(topology.autoScaling, accountId);
  }

  services(): ServiceDefinition[] {
    const hasCapacity = (region: string) => !this.shortages.has(region);
    return [
      ecsService({
        state: this.ecs,
        canPlace: hasCapacity,
        containerInstances: (region) =>
          this.autoScaling.groups
            .filter((g) => g.region === region)
            .reduce((n, g) => n + groupCounts(g).inService, 0),
      }),
      autoScalingService({ state: this.autoScaling, canLaunch: hasCapacity }),
    ];
  }

  /** New ECS tasks stay PENDING and new instances fail to launch in `region`, until lifted. */
  capacityShortage(region: string, on: boolean): void {
    if (!this.topology.regions.includes(region))
      throw new Error(`unknown region ${region} (one of ${this.topology.regions.join(", ")})`);
    this.advance();
    if (on) this.shortages.add(region);
    else this.shortages.delete(region);
    this.advance();
  }

  get regionsShort(): string[] {
    return [...this.shortages];
  }

  /** Back to the topology's starting counts, with capacity everywhere (the state objects are kept: services read them). */
  reset(): void {
    this.shortages.clear();
    Object.assign(this.ecs, createEcsState(this.topology.ecs, this.accountId));
    Object.assign(this.autoScaling, createAutoScalingState(this.topology.autoScaling, this.accountId));
  }

  /** Every service and group brought up to date with the clock. */
  advance(now = new Date()): void {
    for (const s of this.ecs.services) advanceService(this.ecs, s, now, !this.shortages.has(s.region));
    for (const g of this.autoScaling.groups)
      advanceGroup(this.autoScaling, g, now, !this.shortages.has(g.region));
  }

  summary(): { ecs: EcsServiceSummary[]; autoScaling: AutoScalingGroupSummary[] } {
    this.advance();
    return {
      ecs: this.ecs.services.map((s) => ({
        region: s.region,
        cluster: s.clusterName,
        service: s.name,
        desired: s.desiredCount,
        ...taskCounts(s),
        rolloutState: primaryDeployment(s).rolloutState,
      })),
      autoScaling: this.autoScaling.groups.map((g) => {
        const { inService, pending } = groupCounts(g);
        return {
          region: g.region,
          group: g.name,
          min: g.minSize,
          max: g.maxSize,
          desired: g.desiredCapacity,
          inService,
          pending,
        };
      }),
    };
  }

  /** Container Insights' service task counts and Auto Scaling's group metrics, as AWS publishes them. */
  metrics(): MetricDatum[] {
    const { ecs, autoScaling } = this.summary();
    const timestamp = new Date();
    const datum =
      (region: string, namespace: string, dimensions: Record<string, string>) =>
      (metricName: string, value: number): MetricDatum => ({
        region,
        namespace,
        metricName,
        dimensions,
        value,
        unit: "Count",
        timestamp,
      });
    return [
      ...ecs.flatMap((s) => {
        const put = datum(s.region, "ECS/ContainerInsights", {
          ClusterName: s.cluster,
          ServiceName: s.service,
        });
        return [
          put("RunningTaskCount", s.running),
          put("PendingTaskCount", s.pending),
          put("DesiredTaskCount", s.desired),
        ];
      }),
      ...autoScaling.flatMap((g) => {
        const put = datum(g.region, "AWS/AutoScaling", { AutoScalingGroupName: g.group });
        return [
          put("GroupMinSize", g.min),
          put("GroupMaxSize", g.max),
          put("GroupDesiredCapacity", g.desired),
          put("GroupInServiceInstances", g.inService),
          put("GroupPendingInstances", g.pending),
          put("GroupTotalInstances", g.inService + g.pending),
        ];
      }),
    ];
  }
}
