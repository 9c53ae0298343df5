import { executors } from "../../executors/index.js";
import type { Environment } from "../environment/environment.js";
import type { ExecutorDefinition } from "../executor.js";
import { partitionOf } from "../iam/arn.js";
import {
  covers,
  type PolicyDocument,
  type PolicyStatement,
  policyDocuments,
} from "../iam/policy-document.js";
import { ENGINE_STEPS, runbookPermissions } from "../iam/runbook-permissions.js";
import type { Runbook } from "../language/runbook.js";
import { allStates, type StateMachineDefinition } from "./asl.js";
import { exportNames, functionArn, stateMachineArn } from "./export-names.js";

/**
 * The three roles of an exported runbook (issue 13 contract), each a trust policy and one
 * permissions document:
 * - `runbook-<name>-states`, the state machine's: invoke its two functions, nothing else;
 * - `runbook-<name>-steps`, the steps function's: what the runbook's executors call, as
 *   `runbook iam-policy` computes it, in the function's account, and sts:AssumeRole of the
 *   environment's roles for steps in other accounts (what those roles need is listed apart:
 *   their trust policies must now trust this role);
 * - `runbook-<name>-approvals`: read the machine's execution histories and answer task tokens
 *   (IAM cannot scope SendTaskSuccess/SendTaskFailure to a token: Resource `*`).
 * Both functions also write their logs.
 */

export interface TrustPolicy {
  Version: "2012-10-17";
  Statement: {
    Effect: "Allow";
    Principal: { Service: string };
    Action: "sts:AssumeRole";
    Condition?: { StringEquals: Record<string, string> };
  }[];
}

export interface RolePolicy {
  name: string;
  trust: TrustPolicy;
  policy: PolicyDocument;
}

export interface StateMachinePolicies {
  states: RolePolicy;
  steps: RolePolicy & {
    /** By account: what the environment's roles there need for the steps that name that account. */
    assumedRoles: Record<string, PolicyDocument>;
  };
  approvals: RolePolicy;
}

export function stateMachinePolicies(
  runbook: Runbook,
  env: Environment,
  /** With the exported `definition`, its every Task is checked to be allowed by the states role. */
  o: { region: string; accountId: string; definition?: StateMachineDefinition },
  registry: ReadonlyMap<string, ExecutorDefinition> = executors,
): StateMachinePolicies {
  const names = exportNames(runbook.name);
  const partition = partitionOf(o.region);
  const fn = (name: string) => functionArn(o.region, o.accountId, name);
  const lambdaTrust = trust("lambda.amazonaws.com");

  // The engine's own calls on a laptop (the permission proof) are not the function's.
  const home = env.accounts?.[0] ?? "*";
  const rows = runbookPermissions(runbook, env, registry)
    .filter((r) => r.stepId !== ENGINE_STEPS.permissionCheck)
    .map((r) => (r.account === home || r.account === "*" ? { ...r, account: o.accountId } : r));
  const byAccount = policyDocuments(rows).accounts;
  const merged = (account: string): PolicyStatement[] => {
    const docs = byAccount[account] ?? {};
    return [...(docs.readOnly?.Statement ?? []), ...(docs.mutating?.Statement ?? [])];
  };
  const assumedRoles = Object.fromEntries(
    Object.keys(byAccount)
      .filter((a) => a !== o.accountId)
      .sort()
      .map((a) => [a, document(merged(a))]),
  );

  const policies: StateMachinePolicies = {
    states: {
      name: names.roles.states,
      trust: trust("states.amazonaws.com", o.accountId),
      policy: document([
        statement(
          "InvokeFunctions",
          ["lambda:InvokeFunction"],
          [names.functions.steps, names.functions.approvals].flatMap((n) => [fn(n), `${fn(n)}:*`]),
        ),
      ]),
    },
    steps: {
      name: names.roles.steps,
      trust: lambdaTrust,
      policy: document([...merged(o.accountId), logs(partition, o, names.functions.steps)]),
      assumedRoles,
    },
    approvals: {
      name: names.roles.approvals,
      trust: lambdaTrust,
      policy: document([
        statement(
          "ReadExecutionHistory",
          ["states:GetExecutionHistory"],
          [
            `${stateMachineArn(o.region, o.accountId, names.stateMachine).replace(":stateMachine:", ":execution:")}:*`,
          ],
        ),
        statement("AnswerTaskTokens", ["states:SendTaskFailure", "states:SendTaskSuccess"], ["*"]),
        logs(partition, o, names.functions.approvals),
      ]),
    },
  };
  const uncovered = o.definition ? uncoveredResources(o.definition, policies.states.policy) : [];
  if (uncovered.length > 0)
    throw new Error(
      `internal: the state machine's role does not allow ${uncovered.map((u) => `${u.action} on ${u.resource}`).join(", ")}`,
    );
  return policies;
}

/** What each Task of the definition calls, as IAM authorizes it: the state machine's role must allow each. */
export function definitionResources(
  definition: StateMachineDefinition,
): { action: string; resource: string }[] {
  return allStates(definition).flatMap(([name, s]) => {
    if (s.Type !== "Task") return [];
    if (/^arn:[\w-]+:states:::lambda:invoke(\.waitForTaskToken)?$/.test(s.Resource ?? ""))
      return [{ action: "lambda:InvokeFunction", resource: String(s.Parameters?.FunctionName) }];
    throw new Error(
      `internal: Task ${name} calls ${s.Resource}, which the state machine's policy does not know`,
    );
  });
}

/** The Tasks' calls a role's policy does not allow (none, for the export's own states role). */
export function uncoveredResources(
  definition: StateMachineDefinition,
  policy: PolicyDocument,
): { action: string; resource: string }[] {
  return definitionResources(definition).filter(
    ({ action, resource }) =>
      !policy.Statement.some(
        (st) => st.Action.includes(action) && st.Resource.some((r) => covers(r, resource)),
      ),
  );
}

function trust(service: string, sourceAccount?: string): TrustPolicy {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Service: service },
        Action: "sts:AssumeRole",
        // Only on behalf of this account's resources (the confused-deputy guard AWS recommends).
        ...(sourceAccount ? { Condition: { StringEquals: { "aws:SourceAccount": sourceAccount } } } : {}),
      },
    ],
  };
}

function statement(Sid: string, Action: string[], Resource: string[]): PolicyStatement {
  return { Sid, Effect: "Allow", Action, Resource };
}

function document(Statement: PolicyStatement[]): PolicyDocument {
  return { Version: "2012-10-17", Statement };
}

function logs(partition: string, o: { region: string; accountId: string }, fn: string): PolicyStatement {
  const group = `arn:${partition}:logs:${o.region}:${o.accountId}:log-group:/aws/lambda/${fn}`;
  return statement(
    "WriteLogs",
    ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
    [group, `${group}:*`],
  );
}
