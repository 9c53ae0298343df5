import { formatDurationExact } from "../language/duration.js";
import type { DivergenceReport } from "./measure-divergence.js";

/** One line for a gate's prompt and a step's outputs: what was lost and what replaying would do. */
export function describeDivergence(r: DivergenceReport): string {
  const lost = r.lostWrites.length;
  if (lost === 0) return `nothing lost: RPO ${formatDurationExact(r.rpoMs)} of heartbeats only`;
  const replay = r.replayPlan.length;
  const conflicts = r.conflicts;
  return [
    `${lost} lost write${lost === 1 ? "" : "s"} over ${formatDurationExact(r.rpoMs)} (RPO)`,
    `${replay} to replay`,
    conflicts > 0
      ? `${conflicts} conflict${conflicts === 1 ? "" : "s"} (written again since: left for a person)`
      : "no conflicts",
  ].join(", ");
}
