/**
 * What an executor needs from IAM: the actions its `check` and its `run` call, each with the
 * resource ARNs its params determine where AWS scopes the action (`*` where AWS does not, or
 * where a param is only known at run time). One declaration feeds `runbook iam-policy`, the
 * permission proof in `runbook check`, and the Step Functions role.
 */

/** `rds:FailoverGlobalCluster` on these ARNs (or `*`). */
export interface Permission {
  /** `<iam service prefix>:<Action>`, as IAM spells it (`route53-recovery-cluster:UpdateRoutingControlStates`). */
  action: string;
  /** ARNs, ARN patterns with `*`, or `["*"]`. Never empty. */
  resources: string[];
  /**
   * The regions the call is sent to (`*`: known only at run time). Absent: the scope's region.
   * ARC's data plane is called in its cluster endpoints' regions, Route 53 in us-east-1.
   */
  regions?: string[];
  /**
   * The SDK operation this action authorizes, when IAM names it otherwise (S3's
   * `GetBucketReplication` is `s3:GetReplicationConfiguration`); absent: the action's own name.
   */
  operation?: string;
}

/** Where a step's calls land, as the engine will make them. */
export interface PermissionScope {
  /** The step's account (its `account:` or the environment's home account); `*` when unknown. */
  account: string;
  /** The environment's default region; an executor uses its own `region` param first. */
  region: string;
  /** `aws`, `aws-cn`, `aws-us-gov`. */
  partition: string;
  /** Where the runbook lives: an `@aws-sdk/client-*` installed there is found first (`aws.call`). */
  runbookDir?: string;
}

/** An executor's declaration: `check` is what its read-only `check()` calls; `run` what `run()` calls. */
export interface ExecutorPermissions {
  check?: Permission[];
  run: Permission[];
}
