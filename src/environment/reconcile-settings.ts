import { z } from "zod";
import { ValidationError } from "../errors.js";
import { renderDeep, type Scope } from "../language/expressions.js";
import type { SourceMap } from "../language/source-map.js";
import { DivergenceParams } from "../reconcile/divergence-spec.js";

/**
 * An environment's `reconcile:` section: which two databases `runbook reconcile` compares
 * after a failover, and the application tables that matter. Values render like vars and may
 * name them (`${{ vars.primaryDbUrl }}`), so the failback runbook's divergence step and the
 * command read the same settings.
 */

/** As written: any field may be an expression, checked once rendered. */
export const ReconcileField = z.strictObject({
  oldPrimary: z.string().min(1),
  promoted: z.string().min(1),
  tables: z.union([z.string(), z.array(z.unknown())]),
  heartbeat: z.unknown().optional(),
  lookback: z.string().optional(),
});

export type ReconcileSettings = DivergenceParams;

export function resolveReconcile(
  raw: z.infer<typeof ReconcileField>,
  scope: Scope,
  map: SourceMap,
): ReconcileSettings {
  const rendered = renderDeep(raw, scope);
  const parsed = DivergenceParams.safeParse(rendered);
  if (parsed.success) return parsed.data;
  throw new ValidationError(
    parsed.error.issues.map((issue) => {
      const path = ["reconcile", ...issue.path.map((p) => (typeof p === "symbol" ? String(p) : p))];
      // A field rendered from an expression points at the deepest node written: the expression.
      return map.diagnostic(path, `${path.join(".")}: ${issue.message}`);
    }),
  );
}
