import { z } from "zod";

/**
 * A count in a runbook (desired tasks, group sizes): a whole number, or the digits of one,
 * which is what `${{ inputs.n }}` renders to. Never coerced: an empty string must not
 * quietly become 0 and scale a service to nothing.
 */
export const WholeNumber = z.union([
  z.number().int().min(0),
  z.string().regex(/^\d+$/, "a whole number, 0 or more").transform(Number),
]);
