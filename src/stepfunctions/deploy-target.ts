import { createHash } from "node:crypto";
import { basename } from "node:path";
import { stsTarget } from "../aws/identity-proof.js";
import { Redactor } from "../engine/redact.js";
import type { Environment } from "../environment/environment.js";
import type { Runbook } from "../language/runbook.js";
import type { SourceMap } from "../language/source-map.js";
import { stableJson } from "./bundle/function-zip.js";
import type { DesiredDeployment } from "./deployment.js";
import { type ExportedMachine, exportStateMachine } from "./export-definition.js";
import {
  type ExportNames,
  exportNames,
  functionArn,
  recoveryRegion,
  stateMachineArn,
} from "./export-names.js";
import type { FunctionConfig } from "./runner/function-config.js";
import { type StateMachinePolicies, stateMachinePolicies } from "./state-machine-policy.js";

/**
 * Everything the Step Functions engine of one runbook in one environment consists of, computed
 * without I/O: the machine, its manifest, the three roles' policies, and the functions' config.
 * `export` writes it, `deploy` puts it in AWS, `run --engine stepfunctions` checks it is there.
 */

export interface StepFunctionsBuild {
  region: string;
  accountId: string;
  names: ExportNames;
  machine: ExportedMachine;
  policies: StateMachinePolicies;
  functionConfig: FunctionConfig;
  stateMachineArn: string;
  approvalsFunctionArn: string;
  stepsFunctionArn: string;
  /** Where the approval function checks proofs of identity (what approvers sign for). */
  sts: { endpoint: string; region: string };
}

/** Lambda's maximum; a step's own timeout bounds its Task, never more than this. */
export const FUNCTION_TIMEOUT_SECONDS = 900;
export const FUNCTION_MEMORY_MB = 1024;

export function buildStepFunctions(
  runbook: Runbook,
  env: Environment,
  o: { accountId: string; region?: string; sourceMap?: SourceMap; validate?: boolean },
): StepFunctionsBuild {
  const region = recoveryRegion(env, o.region);
  const names = exportNames(runbook.name);
  const machine = exportStateMachine(runbook, env, {
    region,
    accountId: o.accountId,
    ...(o.sourceMap ? { sourceMap: o.sourceMap } : {}),
    ...(o.validate === false ? { validate: false } : {}),
  });
  const policies = stateMachinePolicies(runbook, env, {
    region,
    accountId: o.accountId,
    definition: machine.definition,
  });
  const endpoints = env.aws.endpoints;
  const functionConfig: FunctionConfig = {
    // Where the file sits on this machine is not the functions' business, and would make the
    // package (and its CodeSha256) differ between two checkouts of the same runbook.
    runbookIr: { ...runbook, file: basename(runbook.file), dir: "." },
    environment: {
      name: env.name,
      kind: env.kind,
      region: env.aws.region,
      endpoints,
      accounts: env.aws.accounts,
      roles: env.aws.roles,
      vars: env.vars,
    },
    manifest: machine.manifest as unknown as FunctionConfig["manifest"],
  };
  // The functions' config is part of what runs: its digest in the machine's Comment makes a
  // changed environment (a database's address, a role) a changed machine, which deploy updates
  // and run refuses until it has.
  const digest = createHash("sha256").update(stableJson(functionConfig)).digest("hex").slice(0, 16);
  machine.definition.Comment = `${machine.definition.Comment ?? ""} · functions' config ${digest}`.trim();
  return {
    region,
    accountId: o.accountId,
    names,
    machine,
    policies,
    functionConfig,
    stateMachineArn: stateMachineArn(region, o.accountId, names.stateMachine),
    approvalsFunctionArn: functionArn(region, o.accountId, names.functions.approvals),
    stepsFunctionArn: functionArn(region, o.accountId, names.functions.steps),
    sts: stsTarget({ region, endpoints }),
  };
}

/**
 * The environment values the functions' package would carry although they are secrets: the
 * value of a credential-like variable of this shell (`RPO_READER_PASSWORD`), or a password in
 * a URL. Anyone allowed lambda:GetFunction could read them there.
 */
export function secretVars(b: StepFunctionsBuild, env: Record<string, string | undefined>): string[] {
  const redactor = new Redactor();
  redactor.addSensitiveEnv(env);
  return Object.entries(b.functionConfig.environment.vars)
    .filter(([, value]) => JSON.stringify(redactor.value(value)) !== JSON.stringify(value))
    .map(([name]) => name);
}

/** The most step and probe invocations that can run at once: the widest block, plus every watcher. */
export function peakConcurrency(runbook: Runbook): number {
  const widest = Math.max(1, ...runbook.steps.map((s) => (s.kind === "parallel" ? s.children.length : 1)));
  return widest + runbook.abort.length;
}

/** What `deploy` compares with AWS: the build, with the functions' package. */
export function desiredDeployment(
  b: StepFunctionsBuild,
  pkg: { zip: Uint8Array; sha256: string },
): DesiredDeployment {
  const fn = (name: string, roleName: string, role: "steps" | "approvals") => ({
    name,
    roleName,
    zip: pkg.zip,
    sha256: pkg.sha256,
    environment: { RUNBOOK_FUNCTION_ROLE: role },
    timeoutSeconds: FUNCTION_TIMEOUT_SECONDS,
    memoryMb: FUNCTION_MEMORY_MB,
  });
  return {
    region: b.region,
    accountId: b.accountId,
    roles: (["states", "steps", "approvals"] as const).map((k) => ({
      name: b.names.roles[k],
      trust: b.policies[k].trust,
      policy: b.policies[k].policy,
    })),
    functions: [
      fn(b.names.functions.steps, b.names.roles.steps, "steps"),
      fn(b.names.functions.approvals, b.names.roles.approvals, "approvals"),
    ],
    stateMachine: {
      name: b.names.stateMachine,
      roleName: b.names.roles.states,
      definition: b.machine.definition,
    },
  };
}
