import type { PolicyDocument, PolicyPart, RunbookPolicy } from "./policy-document.js";

/**
 * `runbook iam-policy` output: the policy as JSON (documents and the reverse index), as
 * Terraform `aws_iam_policy` resources, or as a CloudFormation template of
 * `AWS::IAM::ManagedPolicy` resources. Pure: text in, text out.
 */

export const POLICY_FORMATS = ["json", "terraform", "cloudformation"] as const;
export type PolicyFormat = (typeof POLICY_FORMATS)[number];

export interface PolicyContext {
  runbook: string;
  /** The environment's name; undefined when the runbook was read without one. */
  environment: string | undefined;
}

/** IAM's limit for a managed policy: 6,144 characters, whitespace not counted. */
export const MANAGED_POLICY_MAX_CHARS = 6144;

export function policySize(doc: PolicyDocument): number {
  return JSON.stringify(doc).length;
}

const PARTS: { part: PolicyPart; label: string; slug: string; what: string }[] = [
  { part: "readOnly", label: "read-only", slug: "read-only", what: "what check, plan and drills need" },
  { part: "mutating", label: "mutating", slug: "mutating", what: "what a run changes" },
];

/** Each (account, part) with a document, in a stable order. */
export function policyEntries(policy: RunbookPolicy) {
  return Object.keys(policy.accounts)
    .sort()
    .flatMap((account) =>
      PARTS.flatMap(({ part, label, slug, what }) => {
        const doc = policy.accounts[account]?.[part];
        return doc ? [{ account, part, label, slug, what, doc }] : [];
      }),
    );
}

export function formatPolicy(policy: RunbookPolicy, ctx: PolicyContext, format: PolicyFormat): string {
  if (format === "terraform") return terraform(policy, ctx);
  if (format === "cloudformation") return cloudFormation(policy, ctx);
  return `${JSON.stringify({ runbook: ctx.runbook, environment: ctx.environment ?? null, ...policy }, null, 2)}\n`;
}

const accountLabel = (account: string) => (account === "*" ? "any account" : `account ${account}`);
const where = (ctx: PolicyContext) => (ctx.environment ? ` (environment ${ctx.environment})` : "");

function description(ctx: PolicyContext, label: string, what: string): string {
  return `runbook ${ctx.runbook}${where(ctx)}: ${label}, ${what}`;
}

function terraform(policy: RunbookPolicy, ctx: PolicyContext): string {
  const out = [
    `# Least-privilege IAM policies for runbook ${ctx.runbook}${where(ctx)}, from \`runbook iam-policy\`:`,
    "# regenerate rather than edit. One aws_iam_policy per account and part: apply each with a",
    "# provider for its account, and attach it to the role or user the runbook runs as there.",
  ];
  for (const e of policyEntries(policy)) {
    const name = identifier(`${ctx.runbook}_${e.account === "*" ? "any_account" : e.account}_${e.slug}`);
    out.push(
      "",
      `# ${accountLabel(e.account)[0]!.toUpperCase()}${accountLabel(e.account).slice(1)}: ${e.label} (${e.what})`,
      `resource "aws_iam_policy" "${name}" {`,
      `  name        = ${hclString(`runbook-${ctx.runbook}-${e.slug}`)}`,
      `  description = ${hclString(description(ctx, e.label, e.what))}`,
      `  policy = jsonencode(${indent(hclJson(e.doc), "  ")})`,
      "}",
    );
  }
  return `${out.join("\n")}\n`;
}

/** JSON as an HCL expression: JSON's objects and lists are HCL's, but `${` and `%{` start templates. */
function hclJson(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(/"(?:[^"\\]|\\.)*"/g, (s) =>
    s.replace(/\$\{/g, "$$${").replace(/%\{/g, "%%{"),
  );
}

function hclString(s: string): string {
  return hclJson(s);
}

const identifier = (s: string) => s.replace(/[^A-Za-z0-9_]/g, "_").replace(/^([^A-Za-z_])/, "_$1");
const indent = (text: string, pad: string) => text.split("\n").join(`\n${pad}`);

function cloudFormation(policy: RunbookPolicy, ctx: PolicyContext): string {
  const accounts = Object.keys(policy.accounts).filter((a) => a !== "*");
  const condition = (account: string) => `InAccount${account}`;
  const resources: Record<string, unknown> = {};
  const outputs: Record<string, unknown> = {};
  for (const e of policyEntries(policy)) {
    const id = `${e.part === "readOnly" ? "ReadOnly" : "Mutating"}${e.account === "*" ? "AnyAccount" : e.account}`;
    const only = e.account === "*" ? {} : { Condition: condition(e.account) };
    resources[id] = {
      Type: "AWS::IAM::ManagedPolicy",
      ...only,
      Metadata: { Account: e.account, Part: e.label },
      Properties: {
        ManagedPolicyName: `runbook-${ctx.runbook}-${e.slug}`,
        Description: description(ctx, e.label, e.what),
        PolicyDocument: e.doc,
      },
    };
    outputs[id] = {
      ...only,
      Description: `${e.label} policy, ${accountLabel(e.account)}`,
      Value: { Ref: id },
    };
  }
  const template = {
    AWSTemplateFormatVersion: "2010-09-09",
    Description: `Least-privilege IAM policies for runbook ${ctx.runbook}${where(ctx)}, from runbook iam-policy. ${
      accounts.length > 1
        ? `Deploy one stack per account (${accounts.join(", ")}), e.g. as a StackSet: each account's policies are created only in that account.`
        : "Deploy it in the account the runbook runs in."
    }`,
    ...(accounts.length
      ? {
          Conditions: Object.fromEntries(
            accounts.map((a) => [condition(a), { "Fn::Equals": [{ Ref: "AWS::AccountId" }, a] }]),
          ),
        }
      : {}),
    Resources: resources,
    Outputs: outputs,
  };
  return `${JSON.stringify(template, null, 2)}\n`;
}
