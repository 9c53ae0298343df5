import { createHash } from "node:crypto";
import type { Environment } from "../environment/environment.js";
import { partitionOf } from "../iam/arn.js";

/**
 * What an exported runbook is called in AWS (issue 13 contract): the state machine, its two
 * functions, its three roles, and the region they live in. Pure; shared by export and deploy.
 */

export interface ExportNames {
  stateMachine: string;
  functions: { steps: string; approvals: string };
  roles: { states: string; steps: string; approvals: string };
}

/** IAM role names are at most 64 characters (functions too); the export's names all stay within that. */
const MAX_NAME = 64;

/** `name`, or when longer than 64 characters its start and a hash of the whole, so two long names never meet. */
export function limitName(name: string, max = MAX_NAME): string {
  if (name.length <= max) return name;
  const hash = createHash("sha256").update(name).digest("hex").slice(0, 8);
  return `${name.slice(0, max - hash.length - 1)}-${hash}`;
}

export function exportNames(runbook: string): ExportNames {
  const n = (suffix: string) => limitName(`runbook-${runbook}${suffix}`);
  return {
    stateMachine: n(""),
    functions: { steps: n("-steps"), approvals: n("-approvals") },
    roles: { states: n("-states"), steps: n("-steps"), approvals: n("-approvals") },
  };
}

/** Where the machine runs: `--region`, else the environment's `vars.secondaryRegion`, else its region. */
export function recoveryRegion(env: Environment, flag?: string): string {
  if (flag) return flag;
  const secondary = env.vars.secondaryRegion;
  return typeof secondary === "string" && secondary !== "" ? secondary : env.aws.region;
}

export function functionArn(region: string, accountId: string, name: string): string {
  return `arn:${partitionOf(region)}:lambda:${region}:${accountId}:function:${name}`;
}

export function stateMachineArn(region: string, accountId: string, name: string): string {
  return `arn:${partitionOf(region)}:states:${region}:${accountId}:stateMachine:${name}`;
}
