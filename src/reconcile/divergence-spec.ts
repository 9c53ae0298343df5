import { z } from "zod";
import { parseDuration } from "../language/duration.js";

/**
 * What a reconciliation compares, written once for the `postgres.divergence` and
 * `postgres.replay-lost-writes` steps and for an environment's `reconcile:` section.
 *
 * Each application table names its primary key and the column that says when (or in which
 * version) a row was last written: that is all the diff needs, and what every table a
 * failover can lose writes in should have anyway.
 */

const Identifier = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/, {
  message: "a plain SQL identifier (letters, digits, _; optionally schema.name)",
});

export const ReconciledTable = z
  .strictObject({
    name: Identifier.describe("The table (optionally schema.table)"),
    key: Identifier.describe("Its primary key column (one column)"),
    updatedAt: Identifier.optional().describe(
      "A timestamptz column set on every write (gives commit times and a window to compare)",
    ),
    version: Identifier.optional().describe(
      "An integer column incremented on every write (without updatedAt: the whole table is compared)",
    ),
  })
  .refine((t) => t.updatedAt !== undefined || t.version !== undefined, {
    message: "give updatedAt or version: the column that changes on every write",
  });
export type ReconciledTable = z.infer<typeof ReconciledTable>;

export const HeartbeatTable = z.strictObject({
  name: Identifier.default("heartbeat"),
  key: Identifier.default("id"),
  at: Identifier.default("written_at"),
});
export type HeartbeatTable = z.infer<typeof HeartbeatTable>;

export const DivergenceParams = z.strictObject({
  oldPrimary: z
    .string()
    .min(1)
    .describe(
      "Connection URL of the database the failover left behind (after an Aurora failover: its snapshot restored to a temporary cluster)",
    ),
  promoted: z.string().min(1).describe("Connection URL of the promoted database (the writer now)"),
  tables: z.array(ReconciledTable).min(1).describe("The application tables to compare"),
  heartbeat: HeartbeatTable.optional().describe("The heartbeat table (default heartbeat(id, written_at))"),
  lookback: z
    .string()
    .refine((text) => parseDuration(text) !== undefined, { message: "a duration such as 10s or 2m" })
    .optional()
    .describe(
      "How far before the last replicated heartbeat rows are compared (default 10s): longer than any transaction",
    ),
});
export type DivergenceParams = z.infer<typeof DivergenceParams>;

/** `"a.b"` → `"a"."b"`: identifiers are checked above, quoting keeps case and reserved words safe. */
export function quoteIdent(name: string): string {
  return name
    .split(".")
    .map((part) => `"${part.replaceAll('"', '""')}"`)
    .join(".");
}
