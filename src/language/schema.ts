import { z } from "zod";

/**
 * The runbook language, `apiVersion: runbook/v1`, as one zod schema: it gives the
 * TypeScript types, the runtime check and (scripts/write-schema.ts) the JSON Schema that
 * editors use. Executor params are checked separately against each executor's own schema.
 */

export const DURATION_PATTERN = "^(\\d+(\\.\\d+)?(ms|s|m|h))+$";
export const Duration = z
  .string()
  .regex(new RegExp(DURATION_PATTERN), { message: "not a duration: use e.g. 500ms, 30s, 15m, 1h" })
  .describe("A duration such as 500ms, 30s, 15m, 1h or 1h30m");

export const ID_PATTERN = "^[a-z][a-z0-9-]*$";
export const StepId = z.string().regex(new RegExp(ID_PATTERN), {
  message: "ids are lower-case letters, digits and dashes, starting with a letter",
});

export const MILESTONES = [
  "incident_declared",
  "writes_fenced",
  "db_promoted",
  "traffic_shifted",
  "service_restored",
] as const;

const Approval = z.union([
  z.boolean(),
  z.strictObject({
    prompt: z.string().optional(),
    approvers: z.array(z.string()).min(1).optional(),
    minApprovals: z.number().int().min(1).optional(),
  }),
]);

const Retry = z.strictObject({
  attempts: z.number().int().min(1).max(100).describe("Total attempts, including the first"),
  backoff: Duration.optional().describe("Delay before the first retry; doubles each time (default 1s)"),
  maxBackoff: Duration.optional().describe("Upper bound of the delay between attempts (default 1m)"),
});

/** An account id, an alias from the environment's `aws.accounts`, or `${{ vars.NAME }}`. */
export const AccountRef = z
  .string()
  .regex(/^(\d{12}|[A-Za-z][A-Za-z0-9_-]*|.*\$\{\{[\s\S]*\}\}.*)$/, {
    message: "an account is a 12-digit id, an alias from the environment's aws.accounts, or ${{ vars.NAME }}",
  })
  .describe(
    "The AWS account this step's calls are made in: an id, an alias (aws.accounts), or ${{ vars.NAME }}; the engine assumes the environment's role for it",
  );

const ExecCheck = z.strictObject({
  command: z.union([z.array(z.string()).min(1), z.string()]),
  env: z.record(z.string(), z.string()).optional(),
  cwd: z.string().optional(),
});

const StepCommon = {
  id: StepId,
  name: z.string().optional().describe("Human title shown in plans and timelines"),
  description: z.string().optional(),
  when: z.string().optional().describe("Run only when this ${{ expression }} is true"),
  approval: Approval.optional().describe(
    "A gate before this step: true, or { prompt, approvers, minApprovals }",
  ),
  milestone: z.enum(MILESTONES).optional().describe("RTO/RPO milestone recorded when this step succeeds"),
};

export const ExecutorStep = z
  .strictObject({
    ...StepCommon,
    type: z.string().describe("Executor type, e.g. exec, http.check, wait, approval"),
    with: z.record(z.string(), z.unknown()).optional().describe("Executor parameters"),
    account: AccountRef.optional(),
    check: ExecCheck.optional().describe(
      "exec only: a read-only command; exit 0 means the effect is already in place",
    ),
    timeout: Duration.optional(),
    retry: Retry.optional(),
    pointOfNoReturn: z.boolean().optional().describe("Once this step starts, onAbort no longer undoes work"),
    always: z
      .boolean()
      .optional()
      .describe("onAbort only: run even past the point of no return (paging, notices)"),
  })
  .meta({ id: "ExecutorStep" });

export const ParallelStep = z.strictObject({
  ...StepCommon,
  parallel: z.array(ExecutorStep).min(1).describe("Steps run at the same time; all must succeed"),
});

export const AbortCriterion = z.strictObject({
  id: StepId,
  description: z.string().optional(),
  probe: z.strictObject({
    type: z.string(),
    with: z.record(z.string(), z.unknown()).optional(),
    account: AccountRef.optional(),
  }),
  every: Duration.optional().describe("Probe interval (default 10s); also probed at every step boundary"),
  failures: z
    .number()
    .int()
    .min(1)
    .optional()
    .describe("Consecutive failed probes that fire the abort (default 1)"),
  during: z
    .array(StepId)
    .min(1)
    .optional()
    .describe("Watch only while these steps run (default: the whole run)"),
});

export const InputSpec = z.strictObject({
  description: z.string().optional(),
  default: z.union([z.string(), z.number(), z.boolean()]).optional(),
  required: z.boolean().optional(),
  enum: z.array(z.string()).min(1).optional(),
  secret: z.boolean().optional().describe("Never written to journals, logs or reports"),
});

export const RunbookDocument = z.strictObject({
  $schema: z.string().optional(),
  apiVersion: z.literal("runbook/v1"),
  kind: z.literal("Runbook"),
  metadata: z.strictObject({
    name: StepId.describe("Must equal the file name without .yaml"),
    description: z.string().optional(),
    environment: z.enum(["prod", "nonprod", "sandbox"]),
    accounts: z
      .array(z.string().regex(/^\d{12}$/, { message: "an AWS account id has 12 digits" }))
      .min(1)
      .optional(),
    owner: z.string().optional(),
    lint: z
      .strictObject({
        ignore: z
          .record(
            z.string().regex(/^RB\d{3}$/),
            z.string().trim().min(1, { message: "say why the rule does not apply to this runbook" }),
            {
              error: (iss) =>
                iss.code === "invalid_key"
                  ? `"${String(iss.input)}" is not a lint rule id: RB and three digits, e.g. RB009`
                  : undefined,
            },
          )
          .describe("Lint rules that do not apply to this runbook, each with the reason: { RB009: why }"),
      })
      .optional()
      .describe("`runbook lint` settings for this runbook"),
  }),
  objectives: z.strictObject({ rto: Duration, rpo: Duration }).optional(),
  approvals: z
    .strictObject({
      identities: z
        .enum(["aws", "names"])
        .describe(
          "aws: approvals count only from AWS identities proven by GetCallerIdentity (default, except where the environment or the runbook is sandbox); names: typed names count too",
        ),
    })
    .optional()
    .describe("How approvers prove who they are; a gate naming any ARN always needs proven identities"),
  inputs: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), InputSpec).optional(),
  abort: z.array(AbortCriterion).optional(),
  steps: z.array(z.union([ParallelStep, ExecutorStep])).min(1),
  onAbort: z.array(ExecutorStep).optional(),
});

export type RunbookDocument = z.infer<typeof RunbookDocument>;
export type ExecutorStepDoc = z.infer<typeof ExecutorStep>;
export type ParallelStepDoc = z.infer<typeof ParallelStep>;
export type AbortCriterionDoc = z.infer<typeof AbortCriterion>;
