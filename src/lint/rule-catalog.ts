import type { Severity } from "./finding.js";

/**
 * Every lint rule: id, name, severity, what it means and how to fix it. Plain data with no
 * imports at run time, so that `runbook lint --help` can list the rules without loading lint.
 * Severities: what can lose data or strand traffic is an error; a readiness gap is a warning.
 * Ids are stable: runbooks name them in `metadata.lint.ignore`, code scanning keys alerts on them.
 */

export interface RuleInfo {
  id: string;
  name: string;
  severity: Severity;
  /** One line: what is wrong. */
  summary: string;
  /** What the rule looks at, precisely, and why it matters. */
  description: string;
  fix: string;
  /** Which runbooks it applies to (see `runbookProfile`). */
  appliesTo: string;
}

export const RULES: readonly RuleInfo[] = [
  {
    id: "RB000",
    name: "unknown-lint-ignore",
    severity: "error",
    summary: "metadata.lint.ignore names a rule that does not exist",
    description:
      "An ignore entry whose id is no lint rule silences nothing, and is most likely a typo of the rule meant. RB000 itself cannot be ignored.",
    fix: "Use an id that `runbook lint --rules` lists, or remove the entry.",
    appliesTo: "every runbook",
  },
  {
    id: "RB001",
    name: "traffic-before-promotion",
    severity: "error",
    summary: "Traffic is shifted before the database is promoted",
    description:
      "A step that sends traffic (arc.set-routing-controls turning a control On, route53.set-weights, an aws.call to Route 53 or ARC, a step with milestone traffic_shifted) runs before the step that promotes the database, or beside it in the same parallel block. Clients reach a region whose database is still a read-only replica. A step that only turns routing controls Off, or has milestone writes_fenced, is fencing, not a shift.",
    fix: "Move the traffic step after the promotion: fence, promote, then shift. A step that takes traffic away to fence writes should say so with milestone: writes_fenced.",
    appliesTo: "every runbook that promotes a database",
  },
  {
    id: "RB002",
    name: "promotion-without-lag-check",
    severity: "error",
    summary: "A database promotion has no replication-lag check before it",
    description:
      "Promoting a replica loses every write it has not received yet. Nothing before the promotion reads replication lag: a cloudwatch.metric on a *Lag metric, postgres.query on replay lag, postgres.rpo, an aws.assert, aws.call or exec that reads lag, or an abort criterion probing lag while the steps up to the promotion run. A switchover (rds.switchover-global-cluster, rds.failover-global-cluster without allowDataLoss) waits for replication itself and is not checked.",
    fix: "Add a pre-check before the promotion (cloudwatch.metric on AuroraGlobalDBRPOLag with the RPO as threshold), or an abort criterion on lag during the steps before it.",
    appliesTo: "every runbook that promotes a database",
  },
  {
    id: "RB003",
    name: "traffic-without-promotion",
    severity: "error",
    summary: "Traffic is shifted but no database is promoted",
    description:
      "DNS or ARC failover without a data promotion sends clients to a region whose database cannot take writes (anti-pattern: DNS failover without a data promotion plan). No step promotes a database: rds.failover-global-cluster, rds.switchover-global-cluster, rds.promote-read-replica, postgres.promote, an aws.call of FailoverGlobalCluster, SwitchoverGlobalCluster or PromoteReadReplica*, or a step with milestone db_promoted.",
    fix: "Promote the database before the traffic shift; if the service has no database of its own, ignore RB003 with that reason.",
    appliesTo: "failover and failback runbooks",
  },
  {
    id: "RB004",
    name: "shallow-health-validation",
    severity: "warning",
    summary: "Validation only hits a shallow /health endpoint",
    description:
      "Every http.check from the traffic shift on (every one, when nothing shifts traffic) hits an endpoint such as /health, /healthz or /ping, or a var named like *HealthUrl: it answers 200 while the database, secrets or queues behind it are broken (anti-pattern: health checks that only test /health). A URL or a var name containing `deep` is a deep check; a URL lint cannot read (a var with another name) is given the benefit of the doubt.",
    fix: "Validate through a check that exercises the dependencies: a synthetic write, /health/deep, or a var named like *DeepHealthUrl.",
    appliesTo: "failover and failback runbooks",
  },
  {
    id: "RB005",
    name: "no-abort-criteria",
    severity: "warning",
    summary: "A failover runbook has no abort criteria",
    description:
      "Without abort criteria nothing stops the run when the recovery region starts failing or replication lag exceeds the RPO before the point of no return; the operator has to notice and press Ctrl-C.",
    fix: "Add abort: criteria (cloudwatch.alarm on the recovery region's 5xx alarm, cloudwatch.metric on lag above the RPO) with during: the steps before the point of no return.",
    appliesTo: "failover and failback runbooks",
  },
  {
    id: "RB006",
    name: "undo-skipped-past-point-of-no-return",
    severity: "error",
    summary: "An onAbort step undoes what only happens past the point of no return, without always",
    description:
      "Once a pointOfNoReturn step has started, the engine skips every onAbort step not marked always: true. An onAbort step that changes traffic or the database, whose counterparts among the main steps (same kind of change, same routing control, record or cluster as far as lint can read) all run at or after the point of no return, never has anything to undo: before that point the change has not happened, after it the step is skipped, and traffic stays where the abort left it. An onAbort step that undoes a change made before the point of no return is fine without always.",
    fix: "If undoing it past the point of no return is safe, mark it always: true; otherwise remove it and tell the operator what to do in a note step marked always: true.",
    appliesTo: "every runbook with a pointOfNoReturn step",
  },
  {
    id: "RB007",
    name: "hard-coded-region-or-arn",
    severity: "warning",
    summary: "A region id or an ARN is hard-coded",
    description:
      "A region id (us-east-1) or an ARN (arn:aws:…) written into a step, abort probe or input default ties the runbook to one deployment: it cannot run against the other region, another account or the sandbox, and a failback needs a copy (anti-pattern: hard-coded regional ARNs). Names, descriptions, prompts, messages and approvers are not checked: they are text for people and identities.",
    fix: "Use ${{ vars.NAME }} and give the value in environments/<env>.yaml.",
    appliesTo: "every runbook",
  },
  {
    id: "RB008",
    name: "no-failback-twin",
    severity: "warning",
    summary: "A failover runbook has no failback twin",
    description:
      "Failback is a planned procedure of its own, not a rollback (anti-pattern: no failback plan). Lint looks in the failover runbook's folder for its file name with failover replaced by failback (failover-case-api.yaml → failback-case-api.yaml, .yaml or .yml).",
    fix: "Write the failback runbook beside it under that name; if it exists under another name or elsewhere, ignore RB008 with a reason that names it.",
    appliesTo: "failover runbooks that call AWS",
  },
  {
    id: "RB009",
    name: "no-secrets-kms-check",
    severity: "warning",
    summary: "No secrets or KMS readiness check before traffic moves",
    description:
      "Secrets only in the primary region, or KMS keys not replicated, fail the recovery region at its first request. No secrets.exists, kms.key-ready, or aws.assert/aws.call on secrets-manager or kms runs before the traffic shift (anywhere in the main steps when nothing shifts traffic) or as an abort probe.",
    fix: "Add secrets.exists and kms.key-ready pre-checks for the recovery region before the traffic shift.",
    appliesTo: "failover and failback runbooks that call AWS",
  },
  {
    id: "RB010",
    name: "one-region-jobs-not-moved",
    severity: "warning",
    summary: "One-region jobs are not moved",
    description:
      "Scheduled jobs (EventBridge rules and schedules) and queue consumers (Lambda event source mappings) that must run in one region at a time stop altogether, or run twice, when nothing moves them. No events.set-rules, lambda.event-source-mappings, or aws.call of EnableRule, DisableRule, UpdateSchedule or UpdateEventSourceMapping.",
    fix: "Add events.set-rules and lambda.event-source-mappings steps (on in the new region, off in the old one when it answers); if the service has no such jobs, ignore RB010 with that reason.",
    appliesTo: "failover and failback runbooks that call AWS",
  },
  {
    id: "RB011",
    name: "no-capacity-step",
    severity: "warning",
    summary: "No capacity step for the recovery region",
    description:
      "A standby region usually runs smaller than the primary (anti-pattern: a secondary region without enough capacity). No step scales or checks compute: ecs.scale-service, autoscaling.set-capacity, or aws.call/aws.assert on ecs, auto-scaling, application-auto-scaling or eks.",
    fix: "Add ecs.scale-service or autoscaling.set-capacity for the recovery region before the traffic shift.",
    appliesTo: "failover runbooks that call AWS",
  },
  {
    id: "RB012",
    name: "rto-below-critical-path",
    severity: "warning",
    summary: "The RTO objective is shorter than the critical path's timeouts",
    description:
      "The worst case of the main steps up to the one with milestone service_restored (all main steps when none has it): an executor step costs timeout × attempts plus the backoffs between its attempts (each the doubling ceiling, at most maxBackoff); a wait step with a literal duration and no timeout costs that duration; a parallel block costs its costliest child. Steps without a timeout, and the time people take at gates, are not counted (the message says how many steps). Above the RTO, the runbook lets its steps run past the objective before it gives up.",
    fix: "Lower the timeouts or attempts of the costliest steps, or raise objectives.rto to what the runbook allows.",
    appliesTo: "every runbook with objectives.rto",
  },
  {
    id: "RB013",
    name: "secret-input-default",
    severity: "error",
    summary: "A secret input has a default",
    description:
      "A default is written in the runbook, so the secret is in git and in every copy of the file; the engine masks secret inputs in journals, logs and reports, but cannot unpublish a committed value.",
    fix: "Remove the default and pass the value at run time (-i name=value), or, if it is not a secret, drop secret: true.",
    appliesTo: "every runbook",
  },
  {
    id: "RB014",
    name: "unused-lint-ignore",
    severity: "note",
    summary: "A metadata.lint.ignore entry matches no finding",
    description:
      "The rule it silences reports nothing in this runbook (any more): the entry only hides a future finding nobody has looked at.",
    fix: "Remove the entry from metadata.lint.ignore.",
    appliesTo: "every runbook",
  },
];

const byId = new Map(RULES.map((r) => [r.id, r]));

export function ruleById(id: string): RuleInfo | undefined {
  return byId.get(id);
}

/** The rule ids and summaries, one line each, for `runbook lint --help`. */
export function rulesHelp(): string {
  return RULES.map((r) => `  ${r.id} ${r.name.padEnd(37)} ${r.severity.padEnd(7)} ${r.summary}`).join("\n");
}
