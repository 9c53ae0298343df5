import { z } from "zod";
import { defineExecutor } from "../src/executor.js";

/** A manual or informational step that does nothing but leave its message in the timeline. */
export const note = defineExecutor({
  type: "note",
  summary: "Record a message in the journal (a checklist item, a notice, a no-op)",
  params: z.strictObject({ message: z.string().min(1) }),
  idempotent: true,
  describe: (p) => `note: ${p.message}`,
  async run(p) {
    return { message: p.message };
  },
});
