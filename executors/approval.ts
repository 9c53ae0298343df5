import { z } from "zod";
import { defineExecutor } from "../src/executor.js";

export const approval = defineExecutor({
  type: "approval",
  summary: "A decision point: waits for approval by the operator or named approvers",
  params: z.strictObject({
    prompt: z.string().min(1),
    approvers: z.array(z.string().min(1)).min(1).optional(),
    minApprovals: z.number().int().min(1).optional(),
  }),
  // Approvals already recorded in the journal are honoured on resume, so asking again is safe.
  idempotent: true,
  describe: (p) =>
    `ask: "${p.prompt}"${p.approvers ? ` (approvers: ${p.approvers.join(", ")}; ${p.minApprovals ?? 1} needed)` : ""}`,
  async run(p, ctx) {
    const { approvedBy } = await ctx.requestApproval({
      prompt: p.prompt,
      ...(p.approvers ? { approvers: p.approvers } : {}),
      minApprovals: p.minApprovals ?? 1,
    });
    return { approvedBy };
  },
});
