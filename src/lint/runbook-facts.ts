import type { ExecutorDefinition } from "../executor.js";
import type { ExecutorStepIR, Runbook } from "../language/runbook.js";
import type { Path } from "../language/source-map.js";

/**
 * What lint needs to know about a validated runbook's steps: what each one does to traffic
 * and to the database, read from its executor type and its params as written (templates
 * unresolved: `${{ vars.x }}` stays text, so what is unknown is said to be unknown).
 */

export type RunbookKind = "failover" | "failback" | "other";

/** An executor step in the main phase, with where it was written and when it runs. */
export interface PlacedStep {
  step: ExecutorStepIR;
  path: Path;
  /** Index of its top-level entry in `steps`: steps of one parallel block share it. */
  top: number;
}

/** An executor step or an abort probe: what lint reads of either. */
export type Probe = Pick<ExecutorStepIR, "type" | "with">;

/** A step that promotes a database (or a block whose milestone says it does). */
export interface Promotion {
  id: string;
  path: Path;
  top: number;
  /** A switchover: waits for replication, loses nothing. */
  lossless: boolean;
}

export interface RunbookProfile {
  kind: RunbookKind;
  /** Some step's executor calls AWS (a runbook of exec steps cannot be judged on AWS readiness). */
  aws: boolean;
}

/**
 * A failback says so in its name or description; a failover says so, or records the
 * db_promoted or traffic_shifted milestone (what only a failover-like runbook does).
 */
export function runbookProfile(
  rb: Runbook,
  registry: ReadonlyMap<string, ExecutorDefinition>,
): RunbookProfile {
  const text = `${rb.name} ${rb.description ?? ""}`;
  const milestones = rb.steps.flatMap((s) => [
    s.milestone,
    ...(s.kind === "parallel" ? s.children.map((c) => c.milestone) : []),
  ]);
  const kind: RunbookKind = /fail[- ]?back/i.test(text)
    ? "failback"
    : /fail[- ]?over/i.test(text) ||
        milestones.includes("db_promoted") ||
        milestones.includes("traffic_shifted")
      ? "failover"
      : "other";
  const steps = [...mainSteps(rb).map((p) => p.step), ...rb.onAbort];
  return { kind, aws: steps.some((s) => registry.get(s.type)?.aws === true) };
}

export function mainSteps(rb: Runbook): PlacedStep[] {
  return rb.steps.flatMap((s, i): PlacedStep[] =>
    s.kind === "parallel"
      ? s.children.map((c, j) => ({ step: c, path: ["steps", i, "parallel", j], top: i }))
      : [{ step: s, path: ["steps", i], top: i }],
  );
}

/** The top-level index of every step id of the main phase (a child: its block's). */
export function topIndexById(rb: Runbook): Map<string, number> {
  const at = new Map<string, number>();
  rb.steps.forEach((s, i) => {
    at.set(s.id, i);
    if (s.kind === "parallel") for (const c of s.children) at.set(c.id, i);
  });
  return at;
}

const PROMOTE_TYPES = new Set([
  "rds.failover-global-cluster",
  "rds.promote-read-replica",
  "postgres.promote",
]);
const SWITCHOVER_TYPES = new Set(["rds.switchover-global-cluster"]);
const PROMOTE_CALLS =
  /^(FailoverGlobalCluster|SwitchoverGlobalCluster|PromoteReadReplica|PromoteReadReplicaDBCluster)$/;

export function promotions(rb: Runbook): Promotion[] {
  const promotes = (step: ExecutorStepIR) => {
    const call = awsCall(step);
    return (
      PROMOTE_TYPES.has(step.type) ||
      SWITCHOVER_TYPES.has(step.type) ||
      (call?.service === "rds" && PROMOTE_CALLS.test(call.command)) ||
      step.milestone === "db_promoted"
    );
  };
  const out: Promotion[] = [];
  rb.steps.forEach((s, i) => {
    // A block marked db_promoted stands for its promotion only when no child is recognisably it.
    if (s.kind === "parallel" && s.milestone === "db_promoted" && !s.children.some(promotes))
      out.push({ id: s.id, path: ["steps", i], top: i, lossless: false });
  });
  for (const { step, path, top } of mainSteps(rb)) {
    if (promotes(step)) out.push({ id: step.id, path, top, lossless: isLossless(step) });
  }
  return out.sort((a, b) => a.top - b.top);
}

/** RDS's FailoverGlobalCluster without AllowDataLoss is a switchover (AWS's default). */
function isLossless(step: ExecutorStepIR): boolean {
  if (SWITCHOVER_TYPES.has(step.type)) return true;
  if (step.type === "rds.failover-global-cluster")
    return step.with.allowDataLoss === undefined || step.with.allowDataLoss === false;
  const call = awsCall(step);
  if (call?.command === "SwitchoverGlobalCluster") return true;
  if (call?.command === "FailoverGlobalCluster") {
    const input = (step.with.input ?? {}) as Record<string, unknown>;
    return input.AllowDataLoss === undefined || input.AllowDataLoss === false;
  }
  return false;
}

/** `aws.call` / `aws.assert`: the service and operation, as written. */
export function awsCall(step: Probe): { service: string; command: string } | undefined {
  if (step.type !== "aws.call" && step.type !== "aws.assert") return undefined;
  const { service, command } = step.with;
  return typeof service === "string" && typeof command === "string" ? { service, command } : undefined;
}

const TRAFFIC_CALLS: Record<string, RegExp> = {
  "route-53": /^ChangeResourceRecordSets$/,
  "route53-recovery-cluster": /^UpdateRoutingControlStates?$/,
};

/** The kind of change a step makes that an onAbort step could reverse. */
export function changeKind(step: ExecutorStepIR): "traffic" | "database" | undefined {
  if (step.type === "arc.set-routing-controls" || step.type === "route53.set-weights") return "traffic";
  if (PROMOTE_TYPES.has(step.type) || SWITCHOVER_TYPES.has(step.type) || step.type === "postgres.fence")
    return "database";
  const call = step.type === "aws.call" ? awsCall(step) : undefined;
  if (call && TRAFFIC_CALLS[call.service]?.test(call.command)) return "traffic";
  if (call?.service === "rds" && PROMOTE_CALLS.test(call.command)) return "database";
  return undefined;
}

/**
 * A main step that sends clients somewhere. Turning routing controls Off only (or a step
 * marked writes_fenced) is fencing: it takes traffic away and sends it nowhere new.
 */
export function shiftsTraffic(step: ExecutorStepIR): boolean {
  if (step.milestone === "writes_fenced") return false;
  if (step.milestone === "traffic_shifted") return true;
  if (changeKind(step) !== "traffic") return false;
  if (step.type === "route53.set-weights" || awsCall(step)?.service === "route-53") return true;
  const states = collectValues(step.with, /^(state|RoutingControlState)$/);
  // A state lint cannot read (a template, a whole list from vars) may be On.
  return states.length === 0 || states.some((s) => s !== "Off");
}

/** Names of the things a step changes, as written: routing control ARNs, a record, a cluster. */
export function resourcesOf(step: ExecutorStepIR): string[] {
  const w = step.with;
  if (step.type === "arc.set-routing-controls") return collectValues(w.controls, /^arn$/);
  if (step.type === "route53.set-weights")
    return [`${String(w.hostedZoneId ?? w.zoneName)} ${String(w.recordName)}`];
  if (step.type.startsWith("rds.")) {
    const id = w.globalClusterIdentifier ?? w.dbClusterIdentifier ?? w.dbInstanceIdentifier;
    return id === undefined ? [] : [String(id)];
  }
  if (step.type.startsWith("postgres.") && typeof w.connection === "string") return [w.connection];
  if (step.type === "aws.call")
    return collectValues(
      w.input,
      /^(RoutingControlArn|GlobalClusterIdentifier|HostedZoneId|DBClusterIdentifier)$/,
    );
  return [];
}

/** String values under keys matching `key`, anywhere in `value`. */
function collectValues(value: unknown, key: RegExp): string[] {
  const out: string[] = [];
  const walk = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === "object") {
      for (const [k, child] of Object.entries(v)) {
        if (key.test(k) && typeof child === "string") out.push(child);
        else walk(child);
      }
    }
  };
  walk(value);
  return out;
}

/** Every string in a value (keys too), joined: what a step "mentions". */
export function textOf(value: unknown): string {
  const parts: string[] = [];
  const walk = (v: unknown) => {
    if (typeof v === "string") parts.push(v);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === "object")
      for (const [k, child] of Object.entries(v)) {
        parts.push(k);
        walk(child);
      }
  };
  walk(value);
  return parts.join(" ");
}

/** A step (or abort probe) that reads replication lag. */
export function readsLag(probe: Probe): boolean {
  const w = probe.with;
  switch (probe.type) {
    case "cloudwatch.metric":
      return /lag/i.test(`${w.metricName ?? ""} ${w.expression ?? ""}`);
    case "postgres.rpo":
      return true;
    case "postgres.query":
      return /lag|replay|pg_stat_replication|pg_last_wal|pg_last_xact|_lsn/i.test(String(w.sql ?? ""));
    case "aws.assert":
    case "aws.call":
    case "exec":
      return /lag/i.test(textOf(w));
    default:
      return false;
  }
}
