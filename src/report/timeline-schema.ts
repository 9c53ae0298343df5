import { z } from "zod";
import { MAX_LOST_WRITES_SHOWN, TIMELINE_SCHEMA_VERSION } from "./timeline-model.js";

/**
 * The timeline JSON as a zod schema: the runtime check for consumers and the source of
 * schema/timeline.schema.json (a test keeps both in step with `Timeline`).
 * Instants are UTC ISO-8601 with milliseconds; durations and offsets are milliseconds.
 */

const instant = z.iso.datetime({ precision: 3 }).describe("UTC ISO-8601 instant with milliseconds");
const ms = z.number().describe("milliseconds");
const verdict = z.enum(["pass", "fail", "unknown"]);
const proofSummary = z
  .strictObject({ method: z.string(), requestId: z.string() })
  .describe("How the approver's AWS identity was proven (STS GetCallerIdentity and its request id)");

const objective = z.strictObject({
  objectiveMs: ms.optional().describe("the runbook's objective; absent when none was declared"),
  actualMs: ms.optional().describe("RTO achieved / RPO observed; absent when never measured"),
  verdict,
  note: z.string(),
});

const rpo = objective.extend({
  boundMs: ms
    .optional()
    .describe(
      "the RPO measured during the failover (rpo_observed_ms), an upper bound; present once reconciled",
    ),
  reconciledAt: instant
    .optional()
    .describe("when `runbook reconcile` read the old primary; actualMs is then its exact RPO"),
});

const lostWrite = z.strictObject({
  table: z.string(),
  key: z.string().describe("the row's primary key, as text (user data)"),
  committedAt: instant.optional().describe("its updated-at on the old primary"),
  version: z.string().optional(),
  conflict: z
    .strictObject({ rewrittenAt: instant.optional(), version: z.string().optional() })
    .optional()
    .describe("written again in the promoted region after the fork: replaying would overwrite it"),
});

const reconciliation = z
  .strictObject({
    at: instant,
    offsetMs: ms,
    operator: z.string(),
    host: z.string(),
    rpoMs: ms.describe("exact: newest commit on the old primary − newest of its commits that replicated"),
    boundMs: ms.optional().describe("the RPO measured during the failover, an upper bound"),
    lastCommittedAt: instant,
    lastReplicatedAt: instant,
    heartbeat: z.strictObject({
      table: z.string(),
      lastWrittenAt: instant,
      lastReplicatedAt: instant,
      rpoMs: ms,
      lost: z.number().int(),
    }),
    oldPrimary: z.string().describe("redacted connection URL"),
    promoted: z.string().describe("redacted connection URL"),
    tables: z.array(
      z.strictObject({
        name: z.string(),
        key: z.string(),
        compared: z.number().int(),
        lost: z.number().int(),
        conflicts: z.number().int(),
      }),
    ),
    lostWritesTotal: z.number().int(),
    conflicts: z.number().int(),
    replayCount: z.number().int(),
    lostWrites: z.array(lostWrite).describe(`oldest first, at most ${MAX_LOST_WRITES_SHOWN}`),
    lostWritesShown: z.number().int().describe("lostWrites.length; below lostWritesTotal when cut"),
  })
  .describe("the latest `runbook reconcile` of this execution");

const stepSpan = z.strictObject({
  id: z.string(),
  type: z.string(),
  description: z.string(),
  phase: z.enum(["main", "onAbort"]),
  parent: z.string().optional().describe("enclosing parallel block"),
  parallel: z.boolean(),
  status: z.enum([
    "succeeded",
    "failed",
    "declined",
    "skipped",
    "running",
    "awaiting approval",
    "in doubt",
    "not run",
  ]),
  attempts: z.number().int(),
  startedAt: instant.optional(),
  endedAt: instant.optional(),
  startOffsetMs: ms.optional(),
  durationMs: ms.optional(),
  alreadyInPlace: z.boolean(),
  assumedBy: z.string().optional(),
  account: z.string().optional(),
  principal: z.string().optional(),
  calls: z.record(z.string(), z.number().int()).optional(),
  pointOfNoReturn: z.boolean(),
  gate: z.boolean(),
  milestone: z.string().optional(),
  skipReason: z.string().optional(),
  error: z.strictObject({ message: z.string(), class: z.string() }).optional(),
  approvals: z.array(
    z.strictObject({ by: z.string(), via: z.string(), at: instant, proof: proofSummary.optional() }),
  ),
  declined: z
    .strictObject({
      by: z.string(),
      at: instant,
      reason: z.string().optional(),
      proof: proofSummary.optional(),
    })
    .optional(),
});

const entry = z.strictObject({
  seq: z.number().int(),
  at: instant,
  offsetMs: ms,
  kind: z.enum([
    "execution",
    "step",
    "retry",
    "check",
    "skip",
    "gate",
    "abort",
    "milestone",
    "measure",
    "resume",
    "lock",
    "repair",
  ]),
  eventType: z.string(),
  stepId: z.string().optional(),
  actor: z.string().optional(),
  text: z.string(),
  severity: z.enum(["info", "ok", "warn", "error"]),
});

export const timelineSchema = z
  .strictObject({
    schemaVersion: z.literal(TIMELINE_SCHEMA_VERSION),
    warnings: z.array(z.string()),
    header: z.strictObject({
      executionId: z.string(),
      runbook: z.strictObject({
        name: z.string(),
        file: z.string(),
        sourceSha256: z.string(),
        description: z.string().optional(),
      }),
      environment: z.string(),
      mode: z.enum(["run", "drill"]),
      operator: z.string(),
      host: z.string(),
      engineVersion: z.string(),
      declaredAt: instant,
      startedAt: instant,
      endedAt: instant.optional(),
      lastEventAt: instant,
      outcome: z.enum(["completed", "failed", "aborted", "in progress", "paused"]),
      outcomeDetail: z.string().optional(),
      inputs: z.record(z.string(), z.string()),
    }),
    summary: z.strictObject({
      rto: objective,
      rpo,
      verdict,
      elapsedMs: ms,
      stepsSucceeded: z.number().int(),
      stepsFailed: z.number().int(),
      stepsSkipped: z.number().int(),
      retries: z.number().int(),
    }),
    milestones: z.array(z.strictObject({ name: z.string(), at: instant, offsetMs: ms })),
    steps: z.array(stepSpan),
    entries: z.array(entry),
    resumes: z.array(
      z.strictObject({
        at: instant,
        operator: z.string(),
        host: z.string(),
        after: z.enum(["crash", "pause", "failure", "abort"]),
        idleSince: instant,
        idleMs: ms,
      }),
    ),
    lockTakeovers: z.number().int(),
    integrity: z.strictObject({
      verified: z.boolean(),
      events: z.number().int(),
      finalHash: z.string(),
      problem: z
        .strictObject({ line: z.number().int(), seq: z.number().int().nullable(), message: z.string() })
        .optional(),
      tornTailBytes: z.number().int(),
    }),
    reconciliation: reconciliation.optional(),
  })
  .describe("runbook post-incident timeline (runbook timeline --format json)");

export function timelineJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(timelineSchema, { target: "draft-2020-12" }) as Record<string, unknown>;
}
